import { describe, expect, it, vi } from 'vitest';
import { isStale, memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { indexEveryMs } from '../../src/cache/entry-store.js';
import { coalesceMs, store } from '../../src/cache/capture.js';
import { CacheCore } from '../../src/cache/core.js';
import { resolveCacheOptions } from '../../src/cache/resolve-options.js';
import type { PolicyContext } from '../../src/core/policy.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { useCacheKit, collect, next, settle, type CacheKit } from './cache-kit.js';

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
const storedBody = async (api: Api, path: string, headers: Record<string, string> = {}): Promise<{ n: number; lang: string | null } | undefined> => {
	kit.mode = 'refuse';
	try {
		const response = await api.get(path, { headers });
		return isStale(response) ? await response.json() : undefined;
	} catch {
		return undefined;
	} finally {
		kit.mode = 'up';
	}
};

const persistedIndex = async (): Promise<string[]> =>
	((await kit.store.get<{ entries: { url: string }[] }>('index'))?.entries ?? []).map(({ url }) => url.replace(kit.url, ''));

describe('write coalescing', () => {
	it('the window is 1 s', () => {
		expect(coalesceMs).toBe(1000);
		expect(indexEveryMs).toBe(1000);
	});

	// `length=1`: the origin sends Content-Length, the repeat is known before the body is copied;
	// without it the body is chunked and the repeat is known once the copy is read.
	for (const [variant, query] of [['Content-Length', '?length=1'], ['chunked', '']] as const) {
		it(`a GET stored less than 1 s ago with the same validators, body size and timing is not written again (${variant})`, async () => {
			const path = `co/window/${variant}${query}`;
			const writes = countWrites();
			const api = kit.make();
			const stored = collect(api, 'cache:stored');
			await api.get(path).text();
			await vi.waitFor(() => expect(stored).toHaveLength(1));
			await api.get(path).text();
			kit.clock.advance(999);
			await api.get(path).text();
			await settle();
			expect(stored).toHaveLength(1);
			expect(writes.filter((key) => key.startsWith('r:'))).toHaveLength(1);
			// What is served is the stored copy (the first answer), stored 999 ms before.
			expect(await storedBody(api, path)).toMatchObject({ n: 1 });
			kit.clock.advance(1);
			await api.get(path).text();
			await vi.waitFor(() => expect(stored).toHaveLength(2));
			expect(writes.filter((key) => key.startsWith('r:'))).toHaveLength(2);
			expect(await storedBody(api, path)).toMatchObject({ n: 4 });
		});
	}

	it('a changed ETag, body size or timing, or an invalidation in between, is written at once', async () => {
		const api = kit.make();
		const stored = collect(api, 'cache:stored');
		// The ETag changes with every hit.
		await api.get('co/etag?etag=hit&length=1').text();
		await vi.waitFor(() => expect(stored).toHaveLength(1));
		await api.get('co/etag?etag=hit&length=1').text();
		await vi.waitFor(() => expect(stored).toHaveLength(2));
		// The body holds the Accept-Language (no Vary: one key): another size.
		await api.get('co/size?length=1', { headers: { 'accept-language': 'en' } }).text();
		await vi.waitFor(() => expect(stored).toHaveLength(3));
		await api.get('co/size?length=1', { headers: { 'accept-language': 'fr-CA' } }).text();
		await vi.waitFor(() => expect(stored).toHaveLength(4));
		expect(await storedBody(api, 'co/size?length=1')).toMatchObject({ lang: 'fr-CA' });
		// Another freshness lifetime.
		await api.get('co/size?length=1', { headers: { 'accept-language': 'fr-CA', 'x-cc': 'max-age=60' } }).text();
		await vi.waitFor(() => expect(stored).toHaveLength(5));
		// A successful POST invalidates: the next GET stores again.
		await api.post('co/size?length=1');
		expect(await storedBody(api, 'co/size?length=1')).toBeUndefined();
		await api.get('co/size?length=1', { headers: { 'accept-language': 'fr-CA', 'x-cc': 'max-age=60' } }).text();
		await vi.waitFor(() => expect(stored).toHaveLength(6));
		expect(await storedBody(api, 'co/size?length=1')).toMatchObject({ lang: 'fr-CA' });
	});

	for (const [variant, query] of [['Content-Length', '?length=1'], ['chunked', '']] as const) {
		it(`concurrent GETs of one key: one write (${variant})`, async () => {
			const path = `co/flight/${variant}${query}`;
			const writes = countWrites();
			const api = kit.make();
			const warm = next(api, 'cache:stored');
			await api.get('co/flight/warm?length=1').text(); // The index is loaded.
			await warm;
			const stored = collect(api, 'cache:stored');
			let release!: () => void;
			kit.gate = new Promise<void>((resolve) => {
				release = resolve;
			});
			// A copy is a clone (a tee), or for a small body with Content-Length one read of the bytes.
			const clone = vi.spyOn(Response.prototype, 'clone');
			const read = vi.spyOn(Response.prototype, 'arrayBuffer');
			const copies = () => clone.mock.calls.length + read.mock.calls.length;
			const calls = [api.get(path).text(), api.get(path).text(), api.get(path).text()];
			await vi.waitFor(() => expect(kit.hits(`/co/flight/${variant}`)).toBe(3));
			release();
			await Promise.all(calls);
			await settle();
			expect(stored).toHaveLength(1);
			expect(writes.filter((key) => key.includes('/co/flight/'))).toHaveLength(2);
			// With Content-Length, a repeat is known before its body is copied: only the first call copies.
			const clones = copies();
			clone.mockClear();
			read.mockClear();
			await api.get('co/flight/warm?length=1').text(); // A repeat: no copy of ours.
			expect(clones - 3 * copies()).toBe(variant === 'chunked' ? 3 : 1);
			clone.mockRestore();
			read.mockRestore();
		});
	}
});

describe('write coalescing, told before the body is copied', () => {
	it('with Content-Length, a repeat of a key stored or being written less than 1 s ago is not even copied', async () => {
		const clock = new ManualClock();
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		const inner = memoryStore('unit');
		const slow: KeyValueStore = { ...inner, set: async (key, value) => held.then(async () => inner.set(key, value)) };
		const context = { name: 'unit', clock, options: {}, stores: new Map([['unit/cache', slow]]), emit: () => undefined, scopeOf: () => '' } as unknown as PolicyContext;
		const core = new CacheCore(context, resolveCacheOptions({ shared: false }));
		const request = new Request('https://api.test/a');
		const response = (body = '{"a":1}', headers: Record<string, string> = {}) =>
			new Response(body, { headers: { 'content-length': String(body.length), ...headers } });
		/** Whether `store` copies the body: decided at once, before the caller would get the response. */
		const copies = async (answer: Response): Promise<boolean> => {
			const clone = vi.spyOn(answer, 'clone');
			const read = vi.spyOn(answer, 'arrayBuffer');
			void store(core, request, undefined, answer, core.epoch, undefined);
			const copied = clone.mock.calls.length + read.mock.calls.length > 0;
			await settle();
			return copied;
		};

		expect(await copies(response())).toBe(true); // The index was not loaded: cannot tell.
		expect(core.entries.index.size).toBe(1);
		expect(await copies(response())).toBe(false); // Being written.
		release();
		await settle();
		clock.advance(coalesceMs - 1);
		expect(await copies(response())).toBe(false);
		// Without Content-Length, or with one that is not the (decoded) size, the body is copied, then
		// told a repeat and not written.
		expect(await copies(response('{"a":1}', { 'content-encoding': 'gzip', 'content-length': '30' }))).toBe(true);
		expect(await copies(new Response('{"a":1}'))).toBe(true);
		expect(core.entries.index.get('https://api.test/a')?.storedAt).toBe(clock.now() - coalesceMs + 1);
		clock.advance(1);
		expect(await copies(response())).toBe(true);
		expect(core.entries.index.get('https://api.test/a')?.storedAt).toBe(clock.now());
		// Another size, ETag or lifetime is another write.
		for (const [body, headers] of [['{"a":10}', {}], ['{"a":10}', { etag: '"v2"' }], ['{"a":10}', { etag: '"v2"', 'cache-control': 'max-age=5' }]] as const) {
			expect(await copies(response(body, headers))).toBe(true);
			expect(await copies(response(body, headers))).toBe(false);
		}
	});
});

describe('persisted index', () => {
	const fetchAll = async (api: Api, prefix: string, count: number) => {
		for (let index = 0; index < count; index++) {
			const stored = next(api, 'cache:stored');
			await api.get(`${prefix}/${index}`).text();
			await stored;
		}
	};

	it('no timer at creation', () => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'] });
		const api = kit.make();
		expect(vi.getTimerCount()).toBe(0);
		api.close();
	});

	it('is written at once after a quiet interval, then at most once per interval; close() writes it at once', async () => {
		const writes = countWrites();
		const api = kit.make();
		await fetchAll(api, 'ix/close', 5);
		await settle();
		expect(writes.filter((key) => key === 'index')).toHaveLength(1);
		expect((await persistedIndex()).length).toBeLessThan(5);
		api.close();
		await settle();
		expect(writes.filter((key) => key === 'index')).toHaveLength(2);
		expect(await persistedIndex()).toEqual([0, 1, 2, 3, 4].map((index) => `/ix/close/${index}`));
		// Closed: later changes write it at once.
		await api.cache.delete(`${kit.url}/ix/close/0`);
		await settle();
		expect(await persistedIndex()).toEqual([1, 2, 3, 4].map((index) => `/ix/close/${index}`));
	});

	it('without close(), the changes of an interval are written when it ends', async () => {
		const writes = countWrites();
		const api = kit.make();
		await fetchAll(api, 'ix/timer', 5);
		await vi.waitFor(async () => expect(await persistedIndex()).toHaveLength(5), { timeout: indexEveryMs * 3, interval: 50 });
		expect(writes.filter((key) => key === 'index')).toHaveLength(2);
		api.close();
	});

	it('a crash before the index write loses no record: a new client adopts the records the index misses', async () => {
		await fetchAll(kit.make(), 'ix/crash', 5);
		await settle();
		expect((await persistedIndex()).length).toBeLessThan(5);
		const after = kit.make();
		for (let index = 0; index < 5; index++) {
			expect(await storedBody(after, `ix/crash/${index}`)).toMatchObject({ n: 1 });
		}
	});

	it('another client of the same name: a miss on a failing call adopts records not in the persisted index yet', async () => {
		const api = kit.make();
		await api.get('ix/tab/warm').text(); // Its index is loaded before the other one stores.
		await fetchAll(kit.make(), 'ix/tab', 3);
		await settle();
		expect(await persistedIndex()).not.toContain('/ix/tab/2');
		expect(await storedBody(api, 'ix/tab/2')).toMatchObject({ n: 1 });
	});
});
