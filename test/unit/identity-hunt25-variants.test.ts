/**
 * Defect hunt, twenty-fifth round (identity): work bound to who started it (API.md "Identity: persisted state belongs
 * to someone", "Work that outlives its caller").
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { holdGate } from '../helpers/hold-gate.js';
import { createClient, isStale, memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { dedupe } from '../../src/entries/dedupe.js';

let made = 0;

/**
 * A client of `identity` over its own store (whose `keys()` waits at `listing` while it is shut) whose transport holds
 * each GET until the test answers it (200 with a body, or a network failure while `down`); the work each call hands on
 * (`waitUntil`) is kept in `behind`.
 */
const reading = (identity: () => string | undefined, more?: Record<string, unknown>) => {
	const listing = holdGate();
	const held: Array<() => void> = [];
	const state = { down: false };
	const fetch = (async (request: Request) => {
		if (state.down) {
			throw new TypeError('fetch failed');
		}

		await new Promise<void>((answer) => held.push(answer));
		return new Response(`{"path":"${new URL(request.url).pathname}"}`, { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60' } });
	}) as typeof globalThis.fetch;
	const name = `h25-${++made}`;
	const behind: Array<Promise<unknown>> = [];
	const inner = memoryStore(name);
	const store = { ...inner, keys: async () => {
		await listing.held();
		return inner.keys();
	} } as KeyValueStore;
	for (const each of ['get', 'set', 'delete', 'clear'] as const) {
		(store as unknown as Record<string, unknown>)[each] = (inner[each] as (...args: unknown[]) => unknown).bind(inner);
	}

	const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name, identity, ...more });
	const stored: string[] = [];
	api.on('cache:stored', (event) => stored.push(new URL(event.url).pathname));
	/** A GET handing its work on to `behind`. */
	const get = (path: string) => api.get(path, { waitUntil: (promise) => behind.push(promise) });
	/** Every piece of work handed on so far (and what it handed on) settled. */
	const settled = async (): Promise<void> => {
		for (let at = 0; at < behind.length; at++) {
			await behind[at]!.catch(() => undefined);
		}
	};

	/** Whether a GET of `path` is answered from a stale copy while the network fails. */
	const servedStale = async (path: string): Promise<boolean> => {
		state.down = true;
		try {
			return isStale(await api.get(path));
		} catch {
			return false;
		} finally {
			state.down = false;
		}
	};

	return { api, held, get, settled, stored, servedStale, listing };
};

describe('a read whose identity() fails as its answer arrives: a write whose identity cannot be told is stored in no partition', () => {
	it.each([
		['throws', () => {
			throw new Error('session store locked');
		}],
		['returns an empty string', () => ''],
		['returns a Promise', async () => undefined],
		['returns a number', () => 7],
		['returns an object', () => ({ id: 'alice' })],
		['returns null', () => null],
	] as Array<[string, () => unknown]>)('started while nobody was signed in, identity() %s as it is answered: not stored in the anonymous partition', async (_how, fails) => {
		let broken = false;
		const { api, held, get, settled, stored, servedStale } = reading((() => (broken ? fails() : undefined)) as () => string | undefined);
		const response = get('me');
		await waitFor(() => held.length === 1, 'the read to be sent');
		broken = true;
		held[0]!();
		expect(await (await response).json()).toEqual({ path: '/me' });
		await settled();
		broken = false;
		// Before: ['/me'], and the copy answered the next failed read of nobody's.
		expect(stored).toEqual([]);
		expect(await servedStale('me')).toBe(false);
		api.close();
	});
});

describe('alice signs out (or identity() fails, or bob signs in) and back in while her read is in flight, without clear()', () => {
	// A page or a worker (one user per realm): where a change of identity() in between is seen as one (see the last describe).
	beforeEach(() => {
		vi.stubGlobal('WorkerGlobalScope', class {});
	});
	afterEach(() => {
		vi.unstubAllGlobals();
	});

	const between: Array<[string, string | undefined | Error]> = [
		['signed out (identity() returns undefined)', undefined],
		['identity() throws', new Error('session store locked')],
		['bob signs in', 'bob'],
	];

	it.each(between)('%s, a call made then: her read answered once she is back is not stored, nor served', async (_how, meanwhile) => {
		let who: string | undefined | Error = 'alice';
		const { api, held, get, settled, stored, servedStale } = reading(() => {
			if (who instanceof Error) {
				throw who;
			}

			return who;
		});
		const response = get('me');
		await waitFor(() => held.length === 1, 'alice\'s read to be sent');
		who = meanwhile;
		// A call of the app's while she is out: refused as identity() fails, else sent (and answered).
		const other = get('news');
		if (!(meanwhile instanceof Error)) {
			await waitFor(() => held.length === 2, 'the call made meanwhile to be sent');
			held[1]!();
		}

		await other.catch(() => undefined);
		who = 'alice';
		held[0]!();
		expect(await (await response).json()).toEqual({ path: '/me' });
		await settled();
		// Before: the copy of alice's read made before she signed out stored (['/me', …]) and served after.
		expect(stored.filter((path) => path === '/me')).toEqual([]);
		expect(await servedStale('me')).toBe(false);
		api.close();
	});

	it('alice stays signed in, a call of hers made meanwhile: her read is stored and served (the identity never changed)', async () => {
		const { api, held, get, settled, stored, servedStale } = reading(() => 'alice');
		const response = get('me');
		await waitFor(() => held.length === 1, 'alice\'s read to be sent');
		const other = get('news');
		await waitFor(() => held.length === 2, 'the call made meanwhile to be sent');
		held[1]!();
		await other;
		held[0]!();
		await (await response).json();
		await settled();
		expect(stored.sort()).toEqual(['/me', '/news']);
		expect(await servedStale('me')).toBe(true);
		api.close();
	});
});

describe('client.cache.list(): the current identity\'s copies only', () => {
	it('while identity() throws: rejects with InvalidRequestError (as a call does), never the anonymous partition\'s copies', async () => {
		let broken = false;
		const { api, held, get, settled } = reading(() => {
			if (broken) {
				throw new Error('session store locked');
			}

			return undefined;
		});
		const response = get('public');
		await waitFor(() => held.length === 1, 'the read to be sent');
		held[0]!();
		await (await response).json();
		await settled();
		expect((await api.cache.list()).map(({ url }) => url)).toEqual(['https://api.example.com/public']);
		broken = true;
		// Before: resolved [{ url: 'https://api.example.com/public', … }], nobody's copies listed while nobody is known.
		await expect(api.cache.list()).rejects.toMatchObject({ name: 'InvalidRequestError', code: 'INVALID_REQUEST' });
		api.close();
	});

	it('alice lists, bob signs in while the store lists its keys: alice\'s copies are not the answer in bob\'s session', async () => {
		let who = 'alice';
		const { api, held, get, settled, listing } = reading(() => who);
		const response = get('mine');
		await waitFor(() => held.length === 1, 'alice\'s read to be sent');
		held[0]!();
		await (await response).json();
		await settled();
		listing.hold();
		const listed = api.cache.list();
		await waitFor(() => listing.holding(), 'the list to ask the store');
		who = 'bob';
		listing.release();
		// Before: [{ url: 'https://api.example.com/mine', … }], alice's copy shown to bob.
		expect(await listed).toEqual([]);
		who = 'alice';
		expect((await api.cache.list()).map(({ url }) => url)).toEqual(['https://api.example.com/mine']);
		api.close();
	});
});

describe('dedupe: a read alice started before signing out is not shared with her calls once she is back', () => {
	// A page or a worker (one user per realm): where a change of identity() in between is seen as one (see the last describe).
	beforeEach(() => {
		vi.stubGlobal('WorkerGlobalScope', class {});
	});
	afterEach(() => {
		vi.unstubAllGlobals();
	});

	it('alice signs out (a call of nobody\'s made then) and back in: her new read of the same URL goes out on its own', async () => {
		let who: string | undefined = 'alice';
		const { api, held, get } = reading(() => who, { dedupe: dedupe() });
		const first = get('me');
		await waitFor(() => held.length === 1, 'alice\'s first read to be sent');
		who = undefined;
		const other = get('news');
		await waitFor(() => held.length === 2, 'the call made meanwhile to be sent');
		held[1]!();
		await other;
		who = 'alice';
		const again = get('me');
		// Before: it joined the read started before the logout (2 requests in all, the answer of the old one shared).
		await waitFor(() => held.length === 3, 'alice\'s new read to be sent');
		held[0]!();
		held[2]!();
		expect([await (await first).json(), await (await again).json()]).toEqual([{ path: '/me' }, { path: '/me' }]);
		api.close();
	});

	it('alice stays signed in: her second read of the same URL joins the first (one request)', async () => {
		const { api, held, get } = reading(() => 'alice', { dedupe: dedupe() });
		const first = get('me');
		await waitFor(() => held.length === 1, 'alice\'s first read to be sent');
		const again = get('me');
		held[0]!();
		expect([await (await first).json(), await (await again).json()]).toEqual([{ path: '/me' }, { path: '/me' }]);
		expect(held.length).toBe(1);
		api.close();
	});
});

describe('an extend()ed client and its parent read one identity(): a change one of them saw binds the work of both', () => {
	// A page or a worker (one user per realm): where a change of identity() in between is seen as one (see the last describe).
	beforeEach(() => {
		vi.stubGlobal('WorkerGlobalScope', class {});
	});
	afterEach(() => {
		vi.unstubAllGlobals();
	});

	it('alice\'s read in flight on the child, her sign-out seen by a call of the parent, alice back: the child stores nothing of it', async () => {
		let who: string | undefined = 'alice';
		const { api, held, settled, stored, servedStale } = reading(() => who);
		const behind: Array<Promise<unknown>> = [];
		const child = api.extend({ headers: { 'x-from': 'child' } });
		const childStored: string[] = [];
		child.on('cache:stored', (event) => childStored.push(new URL(event.url).pathname));
		const response = child.get('me', { waitUntil: (promise) => behind.push(promise) });
		await waitFor(() => held.length === 1, 'alice\'s read to be sent');
		who = undefined;
		const other = api.get('news');
		await waitFor(() => held.length === 2, 'the parent\'s call to be sent');
		held[1]!();
		await other;
		who = 'alice';
		held[0]!();
		expect(await (await response).json()).toEqual({ path: '/me' });
		for (let at = 0; at < behind.length; at++) {
			await behind[at]!.catch(() => undefined);
		}

		await settled();
		// Before: ['/me'], the child's read made before alice signed out stored once she was back.
		expect([childStored, stored.filter((path) => path === '/me')]).toEqual([[], []]);
		expect(await servedStale('me')).toBe(false);
		child.close();
		api.close();
	});
});

describe('a server runtime (no tabs): one identity() read per request (AsyncLocalStorage), concurrent users', () => {
	it('alice\'s read and bob\'s overlap: each is stored in its own partition (a change seen by one request is no change of the other\'s)', async () => {
		const als = new AsyncLocalStorage<string>();
		const { api, held, get, settled, stored } = reading(() => als.getStore());
		const alices = als.run('alice', () => get('me'));
		await waitFor(() => held.length === 1, 'alice\'s read to be sent');
		const bobs = als.run('bob', () => get('news'));
		await waitFor(() => held.length === 2, 'bob\'s read to be sent');
		held[1]!();
		await (await bobs).json();
		held[0]!();
		await (await alices).json();
		await settled();
		// Before (an epoch bumped by every identity read): ['/news'], alice's answer dropped as bob's read was seen.
		expect(stored.sort()).toEqual(['/me', '/news']);
		expect(await als.run('alice', async () => (await api.cache.list()).map(({ url }) => url))).toEqual(['https://api.example.com/me']);
		api.close();
	});
});
