/**
 * Variants of API.md "Work that outlives its caller" and "Identity" (defect hunt, eleventh round): a write that a
 * store takes while a `clear()` runs is removed by it, and nobody is told it was stored. Node, a store whose writes
 * are held (an IndexedDB or Cache API write that takes its time).
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient, outbox, type KeyValueStore } from '../../src/entries/index.js';
import { auth } from '../../src/entries/auth.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { collect, fetchAndStore, holdingFetch, useCacheKit } from './cache-kit.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { heldWrites, passedBelowLimiter } from '../helpers/test-stores.js';

const kit = useCacheKit();

/** A few turns of the event loop (no timer): the microtasks queued by what just settled have run. */
const turns = async (): Promise<void> => {
	for (let turn = 0; turn < 3; turn++) {
		await new Promise((resolve) => setImmediate(resolve));
	}
};

const refused = (async () => {
	throw new TypeError('fetch failed');
}) as typeof globalThis.fetch;

describe('a failed write stored by the outbox while a clear() runs', () => {
	const make = (store: KeyValueStore, who: () => string | undefined = () => undefined) => createClient({
		baseUrl: 'http://127.0.0.1:2/', retry: 0, breaker: false, staleCache: false, fetch: refused, identity: who,
		clock: new ManualClock(), store: () => store, storageTimeoutMs: 60_000, outbox: outbox(),
	});

	it.each([
		['client.clear()', (api: ReturnType<typeof make>) => api.clear()],
		['client.clear({ identity }) of its identity', (api: ReturnType<typeof make>) => api.clear({ identity: 'alice' })],
	])('%s: the caller gets the failure, never "queued" for a write the clear removed; no outbox:queued', async (_, clear) => {
		const held = heldWrites('p|');
		const api = make(held.store, () => 'alice');
		const told: string[] = [];
		api.on('outbox:queued', () => told.push('outbox:queued'));
		held.hold();
		const call = api.post('h11/a/todos', { json: { title: 'milk' } }).then(() => 'resolved', (error: { code?: string; name?: string }) => error.code ?? error.name);
		await expect.poll(held.holding).toBe(true);
		await clear(api);
		told.push('cleared');
		held.release();
		// Before: 'QUEUED' (OutboxQueuedError of an entry the clear removed), told after the clear resolved.
		expect(await call).toBe('NetworkError');
		expect(told).toEqual(['cleared']);
		expect(await api.outbox.size()).toBe(0);
		expect(await held.inner.keys()).toEqual([]);
		api.close();
	});

	it('a clear of another identity leaves it: told "queued", stored, pending', async () => {
		const held = heldWrites('p|');
		const api = make(held.store, () => 'alice');
		const told: string[] = [];
		api.on('outbox:queued', () => told.push('outbox:queued'));
		held.hold();
		const call = api.post('h11/b/todos', { json: { title: 'milk' } }).then(() => 'resolved', (error: { code?: string }) => error.code);
		await expect.poll(held.holding).toBe(true);
		await api.clear({ identity: 'bob' });
		held.release();
		expect(await call).toBe('QUEUED');
		expect(told).toEqual(['outbox:queued']);
		expect(await api.outbox.size()).toBe(1);
		api.close();
	});
});

describe('a write told "queued" at its deadline whose attempt then fails, written back while a clear() runs', () => {
	it('no outbox:retry for the entry the clear removed, nothing stored, nothing sent again', async () => {
		const held = heldWrites('p|');
		let fail!: () => void;
		let sent = 0;
		const fetch = (async () => {
			sent++;
			await new Promise<void>((resolve) => {
				fail = resolve;
			});
			throw new TypeError('fetch failed');
		}) as typeof globalThis.fetch;
		const api = createClient({
			baseUrl: 'http://127.0.0.1:2/', retry: 0, breaker: false, staleCache: false, fetch, identity: () => 'alice',
			clock: new ManualClock(), store: () => held.store, storageTimeoutMs: 60_000, outbox: outbox({ networkTimeoutMs: 20 }),
		});
		const told: string[] = [];
		api.on('outbox:retry', () => told.push('outbox:retry'));
		await expect(api.post('h11/c/todos', { json: { title: 'milk' } })).rejects.toMatchObject({ code: 'QUEUED' });
		expect(await api.outbox.size()).toBe(1);
		held.hold();
		fail();
		await expect.poll(held.holding).toBe(true);
		await api.clear();
		told.push('cleared');
		held.release();
		// The clear's delete landed again once the store took the write; then what followed it in microtasks ran.
		await expect.poll(async () => (await held.inner.keys()).length).toBe(0);
		await turns();
		// Before: ['cleared', 'outbox:retry'] (an entry the clear removed told as kept for a replay).
		expect(told).toEqual(['cleared']);
		expect(await api.outbox.size()).toBe(0);
		expect(sent).toBe(1);
		api.close();
	});
});

describe('a read\'s copy the store was still taking when a clear or a removal of its URL ran', () => {
	type Api = ReturnType<typeof kit.make>;
	it.each([
		['client.clear()', async (api: Api) => api.clear()],
		['client.clear({ identity }) of its identity', async (api: Api) => api.clear({ identity: 'alice' })],
		['cache.clear()', async (api: Api) => api.cache.clear()],
		['cache.delete(url)', async (api: Api) => api.cache.delete('h11/d/todos/1')],
		['a delivered write of its URL', async (api: Api) => void await api.put('h11/d/todos/1', { json: { done: true }, staleCache: false })],
	])('%s: no cache:stored for the copy it removed, nothing stored, none served', async (_, remove) => {
		const held = heldWrites('r:');
		const api = kit.make({ store: () => held.store, storageTimeoutMs: 60_000, identity: () => 'alice' });
		const told: string[] = [];
		api.on('cache:stored', ({ url }) => told.push(new URL(url).pathname));
		held.hold();
		expect(JSON.parse(await api.get('h11/d/todos/1').text())).toMatchObject({ path: '/h11/d/todos/1' });
		await expect.poll(held.holding).toBe(true);
		await remove(api);
		told.push('removed');
		held.release();
		await expect.poll(async () => (await held.inner.keys()).filter((key) => key.startsWith('r:'))).toEqual([]);
		await turns();
		// Before: ['removed', '/h11/d/todos/1'] (told stored after the removal resolved, for a copy it removed).
		expect(told).toEqual(['removed']);
		expect(await api.cache.list()).toEqual([]);
		expect(await kit.servedStale(api, 'h11/d/todos/1')).toBe(false);
		api.close();
	});

	it('a clear of another identity leaves it: cache:stored, stored, served', async () => {
		const held = heldWrites('r:');
		const api = kit.make({ store: () => held.store, storageTimeoutMs: 60_000, identity: () => 'alice' });
		const stored = collect(api, 'cache:stored');
		held.hold();
		await api.get('h11/e/todos/1').text();
		await expect.poll(held.holding).toBe(true);
		await api.clear({ identity: 'bob' });
		held.release();
		await expect.poll(() => stored.length).toBe(1);
		expect(await kit.servedStale(api, 'h11/e/todos/1')).toBe(true);
		api.close();
	});
});

describe('an attempt that waited for a rate-limit token and is refused as it goes out (no I/O) gives the token back', () => {
	it.each([
		['its identity changed (alice signs out, bob signs in)', (who: { is: string }) => {
			who.is = 'bob';
		}],
		['the client was cleared (a logout)', (_: unknown, api: { clear(): Promise<void> }) => void api.clear()],
	])('a read its copy answered at its deadline, refused after its wait because %s: the next call waits for its own token only', async (_, change) => {
		const who = { is: 'alice' };
		const { fetch, sent } = holdingFetch('/h11/f/none');
		// Just below the rate limiter: what passed its wait (the transport asks the call's world next, synchronously).
		const passed: string[] = [];
		const probe = () => passedBelowLimiter(passed);
		const api = kit.make({ fetch, identity: () => who.is, rateLimit: rateLimit({ perSecond: 10, burst: 1 }), h11probe: probe() } as never);
		await fetchAndStore(api, 'h11/f/me');
		kit.clock.advance(1_000); // The clock stands still from here: every wait below is counted from the same instant.
		const waits = collect(api, 'ratelimit:wait');
		await api.get('h11/f/other').text(); // Takes the token: the next is due 100 ms later.
		const early = await api.get('h11/f/me', { staleCache: { networkTimeoutMs: 20 } });
		expect(early.headers.get('cache-status')).toMatch(/detail=slow/);
		expect(waits.map(({ waitMs }) => waitMs)).toEqual([100]);
		change(who, api); // Her read's attempt is refused as it goes out, after its wait.
		await vi.waitFor(() => expect(passed).toEqual(['/h11/f/me', '/h11/f/other', '/h11/f/me']));
		await turns();
		expect(sent.map(([path]) => path)).toEqual(['/h11/f/me', '/h11/f/other']);
		await api.get('h11/f/next').text();
		// Before: [100, 200] (the token of the attempt never sent was spent: the next call waited for it too).
		expect(waits.map(({ waitMs }) => waitMs)).toEqual([100, 100]);
		api.close();
	});
});

describe('a call whose identity changed while auth read its token (an async token())', () => {
	/** A client whose `token()` answers the identity of the moment it answers, the first time only once `answer()` is called. */
	const signedIn = (first: string | undefined) => {
		const who = { is: first };
		let answer!: () => void;
		const held = new Promise<void>((resolve) => {
			answer = resolve;
		});
		let reading = false;
		const sent: Array<[string, string | null]> = [];
		const fetch = (async (input: unknown) => {
			const request = input as Request;
			sent.push([request.method, request.headers.get('authorization')]);
			return Response.json({ ok: true });
		}) as typeof globalThis.fetch;
		let calls = 0;
		const api = createClient({
			baseUrl: 'https://api.test/', retry: 0, breaker: false, staleCache: false, fetch, identity: () => who.is,
			auth: auth({ token: async () => {
				if (calls++ === 0) {
					reading = true;
					await held;
				}

				return who.is && `token-of-${who.is}`;
			}, refresh: async () => undefined }),
		});
		return { api, who, sent, answer, reading: () => reading };
	};

	it.each(['POST', 'GET'])('a %s made for alice, who signs out while its token is read and bob signs in: never sent with bob\'s token', async (method) => {
		const { api, who, sent, answer, reading } = signedIn('alice');
		const call = api(`h11/g/orders`, { method, ...method === 'POST' ? { json: { item: 1 } } : {} }).then((response) => response.status, (error: { code?: string }) => error.code);
		await expect.poll(reading).toBe(true);
		who.is = 'bob';
		answer();
		// Before: 200, sent [[method, 'Bearer token-of-bob']] (alice's order placed on bob's account).
		expect(await call).toBe('ABORTED');
		expect(sent).toEqual([]);
		// Bob's own calls carry his token.
		expect((await api.post('h11/g/orders', { json: { item: 2 } })).status).toBe(200);
		expect(sent).toEqual([['POST', 'Bearer token-of-bob']]);
		api.close();
	});

	it('a call made while nobody was signed in (a session still loading) goes with the token of who signs in meanwhile, as before', async () => {
		const { api, who, sent, answer, reading } = signedIn(undefined);
		const call = api.get('h11/g/me').then((response) => response.status);
		await expect.poll(reading).toBe(true);
		who.is = 'alice';
		answer();
		expect(await call).toBe(200);
		expect(sent).toEqual([['GET', 'Bearer token-of-alice']]);
		api.close();
	});
});
