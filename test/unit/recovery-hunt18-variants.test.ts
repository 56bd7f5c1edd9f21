/** Variants of recovery, the breaker and the tabs (API.md "Reachability and recovery"), eighteenth round. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { breaker } from '../../src/entries/breaker.js';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { outbox as coreOutbox } from '../../src/entries/outbox.js';
import { auth } from '../../src/entries/auth.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { fakeWindow } from './outbox-helpers.js';
import { origin, tabPages, times, windowEachTest } from './breaker-kit.js';

let names = 0;

describe('messages from a newer tab, of a kind or a version this code does not know (decided: ignored quietly)', () => {
	it('every channel reader (breaker, auth, world, outbox, throttle, rate limit) ignores them without a storage:error; a malformed message of a kind it reads is still reported', async () => {
		const window = fakeWindow(); // tabs: the channels open
		const name = `newer-tab-${names++}`;
		const store = memoryStore('newer');
		const api = createClient({
			name, retry: 0, store: () => store, staleCache: false,
			breaker: { share: true }, adaptiveThrottle: adaptiveThrottle(), rateLimit: rateLimit({ share: true }), outbox: outbox(),
			auth: auth({ origins: ['https://api.test'], token: () => 't', refresh: async () => undefined }),
			fetch: (async () => new Response('ok')) as typeof fetch,
		});
		const seen: string[] = [];
		api.on('storage:error', ({ part, operation }) => seen.push(`${part} ${operation}`));
		// What a newer build might post on each channel: another version, or a kind this one does not read.
		const newer: Record<string, unknown[]> = {
			breaker: [{ v: 3, scope: 'https://api.test', state: 'draining' }, { v: 2, kind: 'hello' }, { hello: 'world' }, {}],
			'auth https://api.test/': [{ v: 2, identity: 'u', current: true }, { refreshed: true }, { kind: 'signed-out' }, {}],
			world: [{ v: 2, note: 'cache' }, { v: 2, write: ['PUT', 'https://api.test/x'] }, { v: 1, invalidate: ['https://api.test/x'] }, {}],
			pending: [{ v: 2, op: '+', id: 'a', url: 'https://api.test/x' }, { v: 1, op: '*', id: 'a' }, { v: 1, op: 'moved', id: 'a', to: 'b' }, {}],
			throttle: [{ v: 2, scope: 'https://api.test', requests: 1, accepts: 1 }, { scope: 'https://api.test', kind: 'reset' }, {}],
			ratelimit: [[1, 'https://api.test', 1], { v: 2, scope: 'https://api.test', blockedUntil: 1 }, { v: 1, scope: 'https://api.test', policy: 'q;w=60' }, {}],
		};
		const channels = Object.keys(newer).map((kind) => new BroadcastChannel(`steadfetch:${name}${kind.startsWith('auth') ? '/' : ':'}${kind}`));
		try {
			await api.outbox.size(); // started
			await api.get('https://api.test/x'); // the throttle's and the rate limiter's channels are open
			for (const [index, messages] of Object.values(newer).entries()) {
				for (const data of messages) {
					channels[index]!.postMessage(data);
				}

				channels[index]!.postMessage('a marker'); // malformed: reported once it is read, after the newer words (one sender's messages keep their order)
			}

			// Each channel's marker is its last message: once every part reported, every newer word was read.
			await vi.waitFor(() => expect(new Set(seen).size).toBe(channels.length), { timeout: 5000, interval: 10 });
			// Before: every newer word was reported too (got 26 reports, expected the 6 markers').
			expect(seen.sort()).toEqual(['auth channel', 'breaker channel', 'outbox channel', 'rateLimit channel', 'throttle channel', 'world channel']);
		} finally {
			for (const channel of channels) {
				channel.close();
			}

			api.close();
			window.restore();
		}
	}, 15_000);
});

/** A WeakRef whose target the test lets go (as the collector would): `gone`; counts the gone ones still asked. */
class Ref<T extends object> {
	static made: Ref<object>[] = [];
	static asked = 0;
	gone = false;
	readonly #value: T;
	constructor(value: T) {
		this.#value = value;
		Ref.made.push(this as unknown as Ref<object>);
	}

	deref(): T | undefined {
		Ref.asked += this.gone ? 1 : 0;
		return this.gone ? undefined : this.#value;
	}
}

describe('clients made by extend() per request and dropped unclosed (src/core/world.ts: "a client made by extend() per request and never closed is not kept alive by its name\'s others")', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
	});

	it('what the name keeps of each to tell it the delivered writes is let go as more are made, not only at the next delivered write', async () => {
		Ref.made = [];
		vi.stubGlobal('WeakRef', Ref);
		const api = createCore({ name: `dropped-${names++}`, retry: 0, fetch: (async () => new Response('ok')) as typeof fetch });
		// A read-only page: a child per request, dropped after it (collected before the next), no write delivered meanwhile.
		for (let index = 0; index < 1000; index++) {
			await api.extend({ headers: { 'x-request': String(index) } }).get('https://api.test/x');
			for (const ref of Ref.made.splice(0)) {
				ref.gone = true;
			}
		}

		Ref.asked = 0;
		await api.put('https://api.test/x', { json: {} }); // told to every client of the name still there
		// Before: the 1 000 children's entries were all kept until this write (got 1001 asked, expected at most a few dozen).
		expect(Ref.asked).toBeLessThan(100);
		api.close();
	}, 30_000); // 1,000 clients made one after the other: seconds under load, past vitest's 5 s default
});

describe('breaker.reset() of a closed scope with failures counted across tabs (API.md: the counts "are shared by the tabs of one name and kept with its stored record, as its state is"; reset(): "resolves once the state is stored")', () => {
	const clients = windowEachTest();
	const pages = tabPages(clients, 'reset-counts');
	for (const by of ['the tab that counted them', 'another tab, that heard them', 'a client extend() made in the tab that counted them'] as const) {
		it(`reset by ${by}: every tab, that client and a reload count from nothing; one more failure opens nothing`, async () => {
			const { open, store } = pages();
			const a = open({ openMs: 30_000 });
			const b = open({ openMs: 30_000 });
			const child = a.api.extend({ headers: { 'x-child': '1' } });
			await times(4, async () => a.call()); // consecutiveFailures 5: one short of opening
			await vi.waitFor(() => expect(b.snapshot().consecutiveFailures).toBe(4));
			await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ failures: 4 }));
			const resetting = by === 'the tab that counted them' ? a.api : by === 'another tab, that heard them' ? b.api : child;
			await resetting.breaker.reset(origin);
			// Before (reset by the tab that counted them): got [0, 4, 4] (that tab only), and the stored record kept failures 4.
			await vi.waitFor(() => expect([a.snapshot(), b.snapshot(), child.breaker(origin)].map(({ consecutiveFailures }) => consecutiveFailures)).toEqual([0, 0, 0]));
			// Stored without the failures in a row or the ratio window's counts (a reload counts from nothing).
			expect(Object.keys(await store.get(origin) as object).filter((key) => key === 'failures' || key === 'window')).toEqual([]);
			expect(await b.call()).toBe('HTTPError');
			expect(await child.get(`${origin}/x`).then(() => 'ok', (error: Error) => error.name)).toBe('HTTPError');
			const reloaded = open({ openMs: 30_000 });
			expect(await reloaded.call()).toBe('HTTPError');
			expect([a, b, reloaded].map(({ snapshot }) => snapshot().state)).toEqual(['closed', 'closed', 'closed']);
			expect([...a.events, ...b.events, ...reloaded.events]).toEqual([]);
		});
	}
});

describe('a page\'s breaker and the clients extend() made per request, dropped unclosed (circuits.ts: each "held weakly")', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
	});

	it('what the breaker keeps of each (its peers) is let go as more are made, in a page too (where its channel tells the tabs)', async () => {
		const window = fakeWindow(); // a page: the breaker's channel is open
		Ref.made = [];
		vi.stubGlobal('WeakRef', Ref);
		let status = 200;
		const api = createCore({ name: `dropped-breaker-${names++}`, retry: 0, fetch: (async () => new Response('', { status })) as typeof fetch });
		const breaking = api.extend({ breaker: breaker({ share: true }) });
		try {
			for (let index = 0; index < 1000; index++) {
				await breaking.extend({ headers: { 'x-request': String(index) } }).get('https://api.test/x');
				for (const ref of Ref.made.splice(0)) {
					ref.gone = true;
				}
			}

			status = 503;
			await times(5, async () => breaking.get('https://api.test/x').then(() => '', () => '')); // open
			Ref.asked = 0;
			// Refused while open: first the calls of this page wait for a peer's early probe, if one is in flight (tabs.ts `behind`).
			expect(await breaking.get('https://api.test/x').then(() => '', (error: { code?: string }) => error.code)).toBe('CIRCUIT_OPEN');
			// Before: every child ever made was still asked (got 1000, expected at most a few).
			expect(Ref.asked).toBeLessThan(100);
		} finally {
			breaking.close();
			api.close();
			window.restore();
		}
	}, 30_000); // 1,000 clients made one after the other: seconds under load, past vitest's 5 s default
});

describe('the outbox and the clients extend() made per request, dropped unclosed (queue.ts: each other queue "held weakly")', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
	});

	it('what a queue keeps of the others of its name and store is let go as more are made, not only at the next write to the store', async () => {
		Ref.made = [];
		vi.stubGlobal('WeakRef', Ref);
		const store = memoryStore('dropped-outbox');
		const api = createCore({
			name: `dropped-outbox-${names++}`, retry: 0, store: () => store, outbox: coreOutbox(),
			fetch: (async (request: Request) => {
				if (request.method !== 'GET') {
					throw new TypeError('Failed to fetch');
				}

				return new Response('ok');
			}) as typeof fetch,
		});
		try {
			for (let index = 0; index < 1000; index++) {
				await api.extend({ headers: { 'x-request': String(index) } }).get('https://api.test/x');
				for (const ref of Ref.made.splice(0)) {
					ref.gone = true;
				}
			}

			Ref.asked = 0;
			await api.put('https://api.test/x', { json: {} }).catch(() => undefined); // queued (OutboxQueuedError): written to the store, each other queue of the name told
			// Before: every child's queue was still asked (got 1000, expected at most a few).
			expect(Ref.asked).toBeLessThan(100);
		} finally {
			api.close();
		}
	}, 30_000); // 1,000 clients made one after the other: seconds under load, past vitest's 5 s default
});
