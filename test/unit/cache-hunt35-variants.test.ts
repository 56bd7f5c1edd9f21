/**
 * Defect hunt, thirty-fifth round (the stale cache and the stores it writes through): a planted or garbled segment of
 * `cacheApiStore`'s key index, work that outlives its caller, cache semantics, storage on a request's path. Each test
 * names its claim.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheApiStore, createClient, SteadfetchError } from '../../src/entries/index.js';
import { fakeCaches } from '../helpers/fake-caches.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { mapStore } from '../helpers/test-stores.js';
import { waitFor } from '../helpers/wait-for.js';
import { copiedUrl, gatedReads, next, t0 } from './cache-kit.js';

describe('cacheApiStore: a segment of the key index listing far more keys than a write of the store makes', () => {
	let fake: ReturnType<typeof fakeCaches>;
	beforeEach(() => {
		fake = fakeCaches({ holds: 'index' });
		(globalThis as { caches?: unknown }).caches = fake.caches;
	});

	afterEach(() => {
		delete (globalThis as { caches?: unknown }).caches;
	});

	/** Segment 0 of `namespace`'s index replaced by a list of `count` keys (another program's, or garbled bytes). */
	const plant = (count: number): void => {
		const [url] = [...fake.entries.keys()].filter((each) => /%00index$/.test(each));
		const list = Array.from({ length: count }, (_, n) => `planted-${n}`);
		fake.entries.set(url!, [new TextEncoder().encode(JSON.stringify(list)).buffer as ArrayBuffer, new Headers()]);
	};

	it('is read as none (malformed): keys() lists only what was set after it', async () => {
		const store = cacheApiStore('planted');
		await store.set('first', 1);
		plant(100_000);
		const fresh = cacheApiStore('planted'); // another isolate: it knows no change of the first
		await fresh.set('mine', 2);
		expect((await fresh.keys()).length).toBe(1);
	});

	it('neighbour: a segment listing 512 keys (isolates adding to one segment at once) is read whole', async () => {
		const store = cacheApiStore('raced');
		await store.set('first', 1);
		plant(512);
		const fresh = cacheApiStore('raced');
		await fresh.set('mine', 2);
		expect((await fresh.keys()).length).toBe(513);
	});
});

describe('cache.list() in flight across a clear: it shows nothing the clear removed', () => {
	/** A client over gated reads with a copy of /x stored; its list() held in the store's read while `between` runs; what it shows. */
	const listAcross = async (between: (api: ReturnType<typeof createClient>, who: { id: string | undefined }) => Promise<unknown>): Promise<string[]> => {
		const gated = gatedReads('hunt35-list');
		const who = { id: 'alice' as string | undefined };
		const api = createClient({
			name: 'hunt35-list', clock: new ManualClock(t0), store: () => gated.store, retry: 0, breaker: false, identity: () => who.id,
			fetch: (async () => new Response('v1', { headers: { 'cache-control': 'max-age=60' } })) as typeof fetch,
		});
		const stored = next(api, 'cache:stored');
		await (await api.get(copiedUrl)).text();
		await stored;
		gated.hold();
		const listing = api.cache.list();
		await waitFor(gated.reading, 'the list read the copy');
		await between(api, who);
		gated.release();
		return (await listing).map(({ url }) => url);
	};

	it('client.clear()', async () => {
		expect(await listAcross(async (api) => api.clear())).toEqual([]);
	});

	it('cache.clear()', async () => {
		expect(await listAcross(async (api) => api.cache.clear())).toEqual([]);
	});

	it('clear({ identity }) of its identity', async () => {
		expect(await listAcross(async (api) => api.clear({ identity: 'alice' }))).toEqual([]);
	});

	it('cache.delete(url) of the copy', async () => {
		expect(await listAcross(async (api) => api.cache.delete(copiedUrl))).toEqual([]);
	});

	it('neighbour: clear({ identity }) of another identity leaves it shown', async () => {
		expect(await listAcross(async (api) => api.clear({ identity: 'bob' }))).toEqual([copiedUrl]);
	});
});

describe('a call refused before any attempt (an app wrapper) whose copy was stored through `.json()` (its Accept) under `Vary: Accept`', () => {
	/** A client whose app policy `gate` refuses every call with a transient error of its own while `gated.down`; the origin answers JSON with `Vary: Accept`. */
	const gatedClient = (name: string) => {
		const gated = { down: false };
		const gate = {
			slot: 'gate',
			create: () => ({ wrap: async (_call: unknown, run: () => Promise<Response>) => gated.down ? Promise.reject(new SteadfetchError('in maintenance', 'MAINTENANCE' as never, true)) : run() }),
		};
		const api = createClient({
			name, clock: new ManualClock(t0), store: mapStore(new Map()), retry: 0, breaker: false, gate,
			fetch: (async () => new Response('{"v":1}', { headers: { 'content-type': 'application/json', vary: 'Accept', 'cache-control': 'max-age=0' } })) as typeof fetch,
		} as never) as ReturnType<typeof createClient>;
		return { api, gated };
	};

	const outcomeOf = async (promise: Promise<unknown>): Promise<string> => promise.then((value) => JSON.stringify(value), (error: { code?: string }) => String(error.code ?? error));

	it('is answered by the copy, as the same call with the header given is', async () => {
		const { api, gated } = gatedClient('hunt35-accept');
		const stored = next(api, 'cache:stored');
		expect(await api.get(copiedUrl).json()).toEqual({ v: 1 });
		await stored;
		gated.down = true;
		// Before: 'MAINTENANCE' (the request it would have sent had no Accept: the copy's Vary did not match).
		expect(await outcomeOf(api.get(copiedUrl).json())).toBe('{"v":1}');
		expect(await outcomeOf(api.get(copiedUrl, { headers: { accept: 'application/json' } }).json())).toBe('{"v":1}');
	});

	it('neighbour: a call of another shortcut (`.text()`: Accept text/*) or Accept is not', async () => {
		const { api, gated } = gatedClient('hunt35-accept-other');
		const stored = next(api, 'cache:stored');
		await api.get(copiedUrl).json();
		await stored;
		gated.down = true;
		expect(await outcomeOf(api.get(copiedUrl).text())).toBe('MAINTENANCE');
		expect(await outcomeOf(api.get(copiedUrl, { headers: { accept: 'text/html' } }).json())).toBe('MAINTENANCE');
	});
});
