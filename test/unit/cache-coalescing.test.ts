/**
 * A GET of a URL this client copied less than 1 s ago (injected clock) is not copied again: on a
 * workload of repeated URLs the cache costs no copy per call, and a stored copy is never more than
 * 1 s older than the latest answer. Decided before any copy is taken (no clone, no read).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isStale, type KeyValueStore } from '../../src/entries/index.js';
import { useCacheKit, collect, settle, type CacheKit } from './cache-kit.js';

const kit = useCacheKit();

type Api = ReturnType<CacheKit['make']>;

/** Count the writes of `kit.store` by key. */
const countWrites = (): string[] => {
	const inner: KeyValueStore = kit.store;
	const writes: string[] = [];
	kit.store = { ...inner, set: async (key, value) => {
		writes.push(key);
		return inner.set(key, value);
	} };
	return writes;
};

/** What a failing call to `path` is answered with: the stored body, or undefined. */
const storedBody = async (api: Api, path: string): Promise<{ n: number } | undefined> => {
	kit.mode = 'refuse';
	try {
		const response = await api.get(path);
		return isStale(response) ? await response.json() : undefined;
	} catch {
		return undefined;
	} finally {
		kit.mode = 'up';
	}
};

/** How many copies of a response body are taken (a clone: ky itself takes none without hooks). */
const copies = () => vi.spyOn(Response.prototype, 'clone');

afterEach(() => {
	vi.restoreAllMocks();
});

describe('a URL copied less than 1 s ago is not copied again', () => {
	// `length=1`: the origin sends Content-Length; without it the body is chunked. Either way the
	// repeat is told before anything is copied.
	for (const [variant, query] of [['Content-Length', '?length=1'], ['chunked', '']] as const) {
		it(`no clone, no write within 1 s; the next GET after it is copied (${variant})`, async () => {
			const path = `co/window/${variant}${query}`;
			const writes = countWrites();
			const api = kit.make();
			const stored = collect(api, 'cache:stored');
			const clone = copies();
			await api.get(path).text();
			await vi.waitFor(() => expect(stored).toHaveLength(1));
			expect(clone).toHaveBeenCalledTimes(1);
			await api.get(path).text();
			kit.clock.advance(999);
			await api.get(path).text();
			await settle();
			expect(clone).toHaveBeenCalledTimes(1);
			expect(stored).toHaveLength(1);
			expect(writes).toHaveLength(1);
			// What is served is the stored copy (the first answer), stored 999 ms before.
			expect(await storedBody(api, path)).toMatchObject({ n: 1 });
			kit.clock.advance(1);
			await api.get(path).text();
			await vi.waitFor(() => expect(stored).toHaveLength(2));
			expect(writes).toHaveLength(2);
			expect(await storedBody(api, path)).toMatchObject({ n: 4 });
		});
	}

	it('whatever changed within the second (another ETag): the copy is at most 1 s older than the latest answer', async () => {
		const api = kit.make();
		const stored = collect(api, 'cache:stored');
		await api.get('co/etag?etag=hit').text();
		await vi.waitFor(() => expect(stored).toHaveLength(1));
		await api.get('co/etag?etag=hit').text();
		await settle();
		expect(stored).toHaveLength(1);
		kit.clock.advance(1000);
		await api.get('co/etag?etag=hit').text();
		await vi.waitFor(() => expect(stored).toHaveLength(2));
		expect(await storedBody(api, 'co/etag?etag=hit')).toMatchObject({ n: 3 });
	});

	it('a successful mutation of the URL in between: the next GET is copied at once', async () => {
		const api = kit.make();
		const stored = collect(api, 'cache:stored');
		await api.get('co/inv').text();
		await vi.waitFor(() => expect(stored).toHaveLength(1));
		await api.post('co/inv');
		expect(await storedBody(api, 'co/inv')).toBeUndefined();
		await api.get('co/inv').text();
		await vi.waitFor(() => expect(stored).toHaveLength(2));
		expect(await storedBody(api, 'co/inv')).toMatchObject({ n: 3 });
	});

	it('concurrent GETs of one key: one copy, one write', async () => {
		const writes = countWrites();
		const api = kit.make();
		const stored = collect(api, 'cache:stored');
		let release!: () => void;
		kit.gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		const clone = copies();
		const calls = [api.get('co/flight').text(), api.get('co/flight').text(), api.get('co/flight').text()];
		await vi.waitFor(() => expect(kit.hits('/co/flight')).toBe(3));
		release();
		await Promise.all(calls);
		await settle();
		expect(clone).toHaveBeenCalledTimes(1);
		expect(stored).toHaveLength(1);
		expect(writes).toHaveLength(1);
	});
});

describe('no timer', () => {
	it('none at creation', () => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'] });
		const api = kit.make();
		expect(vi.getTimerCount()).toBe(0);
		api.close();
		vi.useRealTimers();
	});
});

describe('an unchanged answer (same strong validator) is not copied again for 60 s', () => {
	it('same ETag: no copy for 60 s (its stored time may lag, its content never does); a new ETag or 60 s later: copied', async () => {
		const api = kit.make();
		const stored = collect(api, 'cache:stored');
		const clone = copies();
		await api.get('co/same?length=1', { headers: { 'x-etag': '"v1"' } }).text();
		await vi.waitFor(() => expect(stored).toHaveLength(1));
		kit.clock.advance(1000);
		await api.get('co/same?length=1', { headers: { 'x-etag': '"v1"' } }).text();
		kit.clock.advance(58_999);
		await api.get('co/same?length=1', { headers: { 'x-etag': '"v1"' } }).text();
		await settle();
		expect(stored).toHaveLength(1);
		expect(clone).toHaveBeenCalledTimes(1);
		// Another ETag (changed content) is copied at once, once the second is over.
		await api.get('co/same?length=1', { headers: { 'x-etag': '"v2"' } }).text();
		await vi.waitFor(() => expect(stored).toHaveLength(2));
		expect(await storedBody(api, 'co/same?length=1')).toMatchObject({ n: 4 });
		kit.clock.advance(60_000);
		await api.get('co/same?length=1', { headers: { 'x-etag': '"v2"' } }).text();
		await vi.waitFor(() => expect(stored).toHaveLength(3));
	});

	it('a copy a cache:stored listener deletes is gone from the client\'s view too: the same answer is copied again', async () => {
		const api = kit.make();
		const stored = collect(api, 'cache:stored');
		const deleted: Array<Promise<void>> = [];
		api.on('cache:stored', ({ url }) => {
			if (deleted.length === 0) {
				deleted.push(api.cache.delete(url));
			}
		});
		await api.get('co/dropped?length=1', { headers: { 'x-etag': '"v1"' } }).text();
		await vi.waitFor(() => expect(deleted).toHaveLength(1));
		await deleted[0];
		expect(await api.cache.list()).toEqual([]);
		kit.clock.advance(1000);
		await api.get('co/dropped?length=1', { headers: { 'x-etag': '"v1"' } }).text();
		await vi.waitFor(() => expect(stored).toHaveLength(2));
		expect(await storedBody(api, 'co/dropped?length=1')).toMatchObject({ n: 2 });
	});

	it('without a validator the 1 s rule alone applies (a body of the same length may differ)', async () => {
		const api = kit.make();
		const stored = collect(api, 'cache:stored');
		await api.get('co/plain?length=1').text();
		await vi.waitFor(() => expect(stored).toHaveLength(1));
		kit.clock.advance(1000);
		await api.get('co/plain?length=1').text();
		await vi.waitFor(() => expect(stored).toHaveLength(2));
	});

	it('a weak ETag is no proof of the same bytes: the 1 s rule alone', async () => {
		const api = kit.make();
		const stored = collect(api, 'cache:stored');
		await api.get('co/weak', { headers: { 'x-etag': 'W/"v1"' } }).text();
		await vi.waitFor(() => expect(stored).toHaveLength(1));
		kit.clock.advance(1000);
		await api.get('co/weak', { headers: { 'x-etag': 'W/"v1"' } }).text();
		await vi.waitFor(() => expect(stored).toHaveLength(2));
	});
});
