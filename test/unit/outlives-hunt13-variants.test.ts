/**
 * Variants of API.md "Work that outlives its caller" and "Identity" (defect hunt, thirteenth round).
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient, isStale, outbox, type CallOptions, type ClientOptions, type KeyValueStore } from '../../src/entries/index.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { heldWrites } from '../helpers/test-stores.js';
import { collect, settle, useCacheKit } from './cache-kit.js';

const kit = useCacheKit();

const detail = (response: Response): string | undefined => response.headers.get('cache-status')?.split('detail=')[1];

/**
 * A transport over the real one that counts its attempts; `network: false` fails them as an offline device does;
 * `expired: true` answers a 200 that the app's `afterResponse` hook rejects (a session ended: `X-Session: expired`).
 */
const device = () => {
	const state = { attempts: 0, network: true, expired: false };
	const fetch = async (input: unknown, init?: RequestInit): Promise<Response> => {
		state.attempts++;
		if (!state.network) {
			throw new TypeError('Failed to fetch');
		}

		if (state.expired) {
			return Response.json({ error: 'session expired' }, { headers: { 'x-session': 'expired' } });
		}

		return globalThis.fetch(input as Request, init);
	};

	return { state, fetch: fetch as typeof globalThis.fetch };
};

/** The app's check of every answer: a 200 that says the session ended is an error, never data. */
const rejectExpired = ({ response }: { response: Response }): void => {
	if (response.headers.get('x-session') === 'expired') {
		throw new Error('session expired');
	}
};

describe('the offline read\'s background attempt answered with what the caller\'s afterResponse hooks reject', () => {
	it.each<[string, string, ClientOptions | 'extend', CallOptions]>([
		['the client\'s hook', 'h13/offline/1', { hooks: { afterResponse: [rejectExpired] } }, {}],
		['the call\'s hook', 'h13/offline/2', {}, { hooks: { afterResponse: [rejectExpired] } }],
		['a hook extend() added', 'h13/offline/3', 'extend', {}],
	])('%s: the answer is not stored, the copy stays as it was', async (_, path, clientOptions, callOptions) => {
		const { state, fetch } = device();
		const api = clientOptions === 'extend' ? kit.make({ fetch }).extend({ hooks: { afterResponse: [rejectExpired] } }) : kit.make({ fetch, ...clientOptions });
		const stored = collect(api, 'cache:stored');
		expect(await api.get(path, callOptions).json()).toMatchObject({ n: 1 });
		await vi.waitFor(() => expect(stored).toHaveLength(1));
		// Online, such an answer is the hook's error and is never stored.
		kit.clock.advance(1_000);
		state.expired = true;
		await expect(api.get(path, callOptions)).rejects.toThrow('session expired');
		await settle();
		expect(stored).toHaveLength(1);
		// Offline: the copy answers at once, and the scope's attempt goes out behind it; it gets the answer the hook rejects.
		kit.clock.advance(1_000);
		vi.stubGlobal('navigator', { onLine: false });
		const first = await api.get(path, callOptions);
		expect([isStale(first), detail(first)]).toEqual([true, 'offline']);
		await vi.waitFor(() => expect(state.attempts).toBe(3));
		await vi.waitFor(() => expect(api.reachability(kit.url)).toBe('reachable')); // Its answer came back…
		await settle();
		// …and was not stored. Before: cache:stored a second time, and the copy served next was { error: 'session expired' }.
		expect(stored).toHaveLength(1);
		state.network = false;
		const served = await api.get(path, callOptions);
		expect([isStale(served), await served.json()]).toEqual([true, expect.objectContaining({ n: 1 })]);
		api.close();
	});
});

describe('the offline read\'s background attempt of a service worker\'s fetchHandler (whose own hook only watches the answers)', () => {
	it('still replaces the copy with its good answer, as without a hook', async () => {
		vi.stubGlobal('location', new URL(`${kit.url}/sw.js`));
		const { state, fetch } = device();
		const api = kit.make({ fetch, staleCache: { shared: false } });
		const handle = fetchHandler(api, { match: () => true });
		const read = async (): Promise<Response> => {
			let answered: Promise<Response> | undefined;
			handle({ request: new Request(`${kit.url}/h13/sw/1`), respondWith: (response: Response | Promise<Response>) => {
				answered = Promise.resolve(response);
			} } as never);
			return answered!;
		};

		const stored = collect(api, 'cache:stored');
		expect(await (await read()).json()).toMatchObject({ n: 1 });
		await vi.waitFor(() => expect(stored).toHaveLength(1));
		kit.clock.advance(1_000);
		vi.stubGlobal('navigator', { onLine: false });
		const first = await read();
		expect([isStale(first), detail(first)]).toEqual([true, 'offline']);
		await vi.waitFor(() => expect(stored).toHaveLength(2)); // the background attempt's answer replaced the copy
		state.network = false;
		const served = await read();
		expect([isStale(served), await served.json()]).toEqual([true, expect.objectContaining({ n: 2 })]);
		api.close();
	});
});

describe('outbox.retry(id) of a dead letter while a clear() or discard(id) removes it (the store still taking the revived record)', () => {
	/** A client whose writes to `h13/r/*` are refused (`refuse`) or answered 422 (`reject`); reads go to the origin unless `refuse`. */
	const make = (store: KeyValueStore) => {
		const state = { mode: 'up' as 'up' | 'refuse' | 'reject' };
		const fetch = (async (input: Request, init?: RequestInit) => {
			if (state.mode === 'refuse') {
				throw new TypeError('Failed to fetch');
			}

			return state.mode === 'reject' && input.method !== 'GET' ? new Response('no', { status: 422 }) : globalThis.fetch(input, init);
		}) as typeof globalThis.fetch;
		const api = createClient({
			baseUrl: `${kit.url}/`, clock: kit.clock, random: () => 0.5, retry: 0, breaker: false, fetch, identity: () => 'alice',
			store: () => store, storageTimeoutMs: 60_000, outbox: outbox({ resumeJitterMs: 0 }),
		});
		return { api, state };
	};

	it.each(['clear()', 'clear({ identity }) of its identity', 'discard(id)', 'nothing (a clear of another identity)'] as const)('%s as it runs: removed, retry rejects OUTBOX_NOT_FOUND and a stale answer of its URL counts no pending write', async (how) => {
		const held = heldWrites('p|');
		const { api, state } = make(held.store);
		const path = `h13/r/${how.length}`;
		state.mode = 'up';
		await api.get(path).text(); // A copy of its URL (a clear of another identity leaves it).
		// A dead letter: queued while the network refuses, then its replay answered 422.
		state.mode = 'refuse';
		const queued = await api.put(path, { json: { title: 'milk' } }).then(() => undefined, (error: { entryId?: string }) => error.entryId);
		expect(typeof queued).toBe('string');
		state.mode = 'reject';
		expect(await api.outbox.flush()).toMatchObject({ dead: 1 });
		expect((await api.outbox.deadLetters()).map(({ id }) => id)).toEqual([queued]);
		state.mode = 'refuse'; // Revived, its replay fails and it stays pending.
		// Its revival is under way (the store takes its pending record) when the app removes it.
		held.hold();
		const retried = api.outbox.retry(queued!).then(() => 'resolved', (error: { code?: string }) => error.code);
		await vi.waitFor(() => expect(held.holding()).toBe(true));
		const removing = how === 'discard(id)' ? api.outbox.discard(queued!) : api.clear(how === 'clear()' ? undefined : { identity: how.startsWith('nothing') ? 'bob' : 'alice' });
		held.release();
		await removing;
		if (how.startsWith('nothing')) {
			// Still alice's: pending again, told so, and counted in a stale answer of its URL.
			expect(await retried).toBe('resolved');
			expect((await api.outbox.list()).map(({ id }) => id)).toEqual([queued]);
			state.mode = 'refuse';
			expect((await api.get(path)).headers.get('cache-status')).toContain('pending-writes=1');
			api.close();
			return;
		}

		// Before: 'resolved' (told it is pending again), and the stale answer below said pending-writes=1.
		expect(await retried).toBe('OUTBOX_NOT_FOUND');
		expect(await api.outbox.list()).toEqual([]);
		expect(await api.outbox.deadLetters()).toEqual([]);
		// A copy of its URL stored now, served when the network refuses: no write to it is pending.
		state.mode = 'up';
		kit.clock.advance(2_000); // Copied again (not within 1 s of the last copy).
		const stored = collect(api, 'cache:stored');
		await api.get(path).text();
		await vi.waitFor(() => expect(stored).toHaveLength(1));
		state.mode = 'refuse';
		const stale = await api.get(path);
		expect([isStale(stale), stale.headers.get('cache-status')]).toEqual([true, expect.not.stringContaining('pending-writes')]);
		api.close();
	});
});

describe('the offline read\'s background attempt refused before it is sent (thirteenth round, second pass)', () => {
	it('refused because the identity changed: it does not use up the scope\'s 10-second slot, the next read\'s attempt goes out', async () => {
		const { state, fetch } = device();
		let who = 'a';
		const api = kit.make({ fetch, identity: () => who });
		const stored = collect(api, 'cache:stored');
		expect(await api.get('h13b/offline/1').json()).toMatchObject({ n: 1 });
		await vi.waitFor(() => expect(stored).toHaveLength(1));
		kit.clock.advance(1_000);
		vi.stubGlobal('navigator', { onLine: false });
		// Signed out as the copy answers: its background attempt is refused before it is sent (World.check).
		const signOut = api.on('cache:stale', () => {
			who = 'b';
		});
		expect(isStale(await api.get('h13b/offline/1'))).toBe(true);
		signOut();
		await settle();
		expect(state.attempts).toBe(1);
		who = 'a';
		kit.clock.advance(1_000);
		expect(isStale(await api.get('h13b/offline/1'))).toBe(true);
		await vi.waitFor(() => expect(state.attempts).toBe(2)); // before: 1 (no attempt for 10 s: the refused one took the slot)
		api.close();
	});
});

describe('the offline read\'s background attempt refused by an open breaker (thirteenth round, second pass)', () => {
	it('it does not use up the scope\'s 10-second slot: once the breaker closed, the next read\'s attempt goes out', async () => {
		const { state, fetch } = device();
		const api = kit.make({ fetch, breaker: {} });
		const stored = collect(api, 'cache:stored');
		expect(await api.get('h13b/offline/2').json()).toMatchObject({ n: 1 });
		await vi.waitFor(() => expect(stored).toHaveLength(1));
		await api.breaker.isolate(kit.url);
		kit.clock.advance(1_000);
		vi.stubGlobal('navigator', { onLine: false });
		expect(isStale(await api.get('h13b/offline/2'))).toBe(true); // its attempt behind: CIRCUIT_OPEN, nothing sent
		await settle();
		expect(state.attempts).toBe(1);
		await api.breaker.reset(kit.url);
		kit.clock.advance(1_000);
		expect(isStale(await api.get('h13b/offline/2'))).toBe(true);
		await vi.waitFor(() => expect(state.attempts).toBe(2)); // before: 1 (no attempt for 10 s: the refused one took the slot)
		api.close();
	});
});
