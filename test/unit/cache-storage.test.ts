import { describe, expect, it, vi } from 'vitest';
import { createClient, isStale, memoryStore, type ClientOptions, type KeyValueStore } from '../../src/entries/index.js';
import { quiet, useCacheKit, collect, next, fetchAndStore } from './cache-kit.js';

const kit = useCacheKit();

/** A store whose methods fail as told; the others go to a memory store. */
const faulty = (fail: Partial<Record<keyof KeyValueStore, () => Error>>): KeyValueStore => {
	const inner = memoryStore('faulty');
	const wrapped = {} as Record<string, unknown>;
	for (const method of ['get', 'set', 'delete', 'keys', 'clear'] as const) {
		wrapped[method] = async (...args: unknown[]) => {
			const error = fail[method]?.();
			if (error) {
				throw error;
			}

			return (inner[method] as (...a: unknown[]) => Promise<unknown>)(...args);
		};
	}

	return wrapped as unknown as KeyValueStore;
};

describe('write behind', () => {
	it('the caller gets its response and whole body before the write, which waits for no one', async () => {
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		const inner = kit.store;
		kit.store = { ...inner, set: async (key, value) => held.then(async () => inner.set(key, value)) };
		const api = kit.make();
		const stored = collect(api, 'cache:stored');
		const response = await api.get('wb/1?size=200000');
		expect((await response.text()).length).toBe(200_000);
		await quiet();
		expect(stored).toHaveLength(0);
		release();
		await vi.waitFor(() => expect(stored).toHaveLength(1));
		expect(stored[0]).toMatchObject({ bytes: 200_000, method: 'GET' });
		// Until written, a failing call is answered from the record in memory.
		expect(await kit.servedStale(api, 'wb/1?size=200000')).toBe(true);
	});
});

describe('bounds', () => {
	it('maxEntries evicts the least recently used (serving a copy makes it recent)', async () => {
		const api = kit.make({ staleCache: { maxEntries: 2 } });
		await fetchAndStore(api, 'lru/a');
		await fetchAndStore(api, 'lru/b');
		expect(await kit.servedStale(api, 'lru/a')).toBe(true);
		await fetchAndStore(api, 'lru/c');
		expect(await kit.servedStale(api, 'lru/b')).toBe(false);
		expect(await kit.servedStale(api, 'lru/a')).toBe(true);
		expect(await kit.servedStale(api, 'lru/c')).toBe(true);
	});

	it('copies another client of the same name wrote count toward maxEntries (the store is listed before evicting)', async () => {
		const other = kit.make({ staleCache: { maxEntries: 3 } });
		for (const path of ['tab/a', 'tab/b', 'tab/c']) {
			await fetchAndStore(other, path);
		}

		const api = kit.make({ staleCache: { maxEntries: 3 } });
		await fetchAndStore(api, 'tab/d');
		await quiet();
		expect((await kit.store.keys()).map((key) => key.replace(/^.*\/tab\//, ''))).toEqual(['b', 'c', 'd']);
		for (const path of ['tab/e', 'tab/f', 'tab/g']) {
			await fetchAndStore(other, path);
		}

		await fetchAndStore(api, 'tab/h');
		await quiet();
		expect(await kit.store.keys()).toHaveLength(3);
		expect(await kit.servedStale(api, 'tab/h')).toBe(true);
	});

	it('past maxEntries a quarter goes at once (the store is listed once per quarter, not per write); under it nothing goes', async () => {
		const listings: number[] = [];
		const inner = kit.store;
		for (let index = 0; index < 10; index++) {
			await inner.set(`r:~~${kit.url}/earlier/${index}`, { v: 0 });
		}

		kit.store = { ...inner, keys: async () => {
			listings.push(1);
			return inner.keys();
		} };
		const api = kit.make({ staleCache: { maxEntries: 20 } });
		await fetchAndStore(api, 'quarter/0');
		expect(await inner.keys()).toHaveLength(11); // Listed at the first write, under maxEntries: nothing goes.
		for (let index = 1; index < 30; index++) {
			await fetchAndStore(api, `quarter/${index}`);
		}

		await quiet();
		// Listed again after every 5 copies (nothing goes then, but copies other clients stored would count), and each time
		// the view passes 20 (at the copies 10, 16, 22 and 28), when it is cut to 15, the oldest first: what was there
		// before, then this client's first copies. At most 1 + 30 / 5 + 4 listings for 30 copies, never one per copy.
		expect(listings.length).toBeGreaterThanOrEqual(5);
		expect(listings.length).toBeLessThanOrEqual(11);
		expect((await inner.keys()).map((key) => key.replace(/^.*\//, ''))).toEqual(Array.from({ length: 16 }, (_, index) => String(index + 14)));
	});

	it('storage does not grow with the number of distinct URLs', async () => {
		const api = kit.make({ staleCache: { maxEntries: 5 } });
		for (let index = 0; index < 60; index++) {
			await fetchAndStore(api, `many/${index}`);
		}

		await quiet();
		expect((await kit.store.keys()).length).toBeLessThanOrEqual(5);
	});
});

describe('persistence and privacy', () => {
	it('a new client over the same store (a reload) serves the stored copy', async () => {
		await fetchAndStore(kit.make(), 'reload/1');
		await quiet();
		const after = kit.make();
		kit.mode = 'refuse';
		expect(await after.get('reload/1').json()).toMatchObject({ n: 1 });
	});

	it('a copy another client wrote is served; a record of another version is skipped, reported and removed when met', async () => {
		await fetchAndStore(kit.make(), 'adopt/1');
		await fetchAndStore(kit.make(), 'adopt/2');
		await quiet();
		const [recordKey] = (await kit.store.keys()).filter((key) => key.includes('adopt/2'));
		await kit.store.set(recordKey!, { v: 1, key: 'adopt/2', body: 'old' });
		const api = kit.make();
		const errors = collect(api, 'storage:error');
		kit.mode = 'refuse';
		expect(isStale(await api.get('adopt/1'))).toBe(true);
		await expect(api.get('adopt/2')).rejects.toMatchObject({ name: 'NetworkError' });
		await quiet();
		expect(await kit.store.keys()).not.toContain(recordKey);
		expect(errors).toMatchObject([{ part: 'cache', operation: 'decode', key: recordKey }]);
	});

	it('cache.delete(url) removes that URL; cache.clear() and client.clear() remove every record', async () => {
		const api = kit.make();
		await fetchAndStore(api, 'priv/1');
		await fetchAndStore(api, 'priv/2');
		await api.cache.delete(`${kit.url}/priv/1`);
		expect(await kit.servedStale(api, 'priv/1')).toBe(false);
		expect(await kit.servedStale(api, 'priv/2')).toBe(true);
		await api.cache.clear();
		expect(await kit.store.keys()).toEqual([]);
		expect(await kit.servedStale(api, 'priv/2')).toBe(false);
		await fetchAndStore(api, 'priv/3');
		await api.clear();
		await quiet();
		expect(await kit.store.keys()).toEqual([]);
	});
});

describe('cache.delete(url): the URL a call to it goes to', () => {
	it('a relative URL resolves against baseUrl or prefix (ky\'s rules); an absolute string or a URL is taken as it is', async () => {
		for (const [options, root] of [[{}, kit.url], [{ baseUrl: undefined, prefix: `${kit.url}/v1` }, `${kit.url}/v1`]] as const) {
			const api = kit.make(options as ClientOptions);
			for (const path of ['users/1', 'users/2', 'users/3', 'users/4']) {
				await fetchAndStore(api, path);
			}

			await api.cache.delete('users/1');
			await api.cache.delete('/users/2'); // a leading slash: the origin's root with baseUrl, joined to the prefix with prefix (as a call)
			await api.cache.delete(`${root}/users/3`);
			await api.cache.delete(new URL(`${root}/users/4`));
			const left = (await api.cache.list()).map((entry) => entry.url);
			expect(left.filter((url) => url.startsWith(`${root}/users/`))).toEqual([]);
			for (const path of ['users/1', 'users/3', 'users/4']) {
				expect(await kit.servedStale(api, path)).toBe(false);
			}

			api.close();
		}
	});
});

describe('clears that hold', () => {
	it('a copy taken before client.clear() or cache.clear() is not written after it', async () => {
		for (const clear of ['client', 'cache'] as const) {
			let release!: () => void;
			const held = new Promise<void>((resolve) => {
				release = resolve;
			});
			const api = kit.make({ hooks: { afterResponse: [async () => held] } });
			const stored = collect(api, 'cache:stored');
			const read = api.get(`held/${clear}`).text();
			await vi.waitFor(() => expect(kit.hits(`/held/${clear}`)).toBe(1));
			await (clear === 'client' ? api.clear() : api.cache.clear());
			release();
			await read;
			await quiet();
			expect(stored).toHaveLength(0);
			expect(await kit.store.keys()).toEqual([]);
		}
	});
});

describe('storage faults never reach the request', () => {
	it('a write that fails (quota): the response is intact, storage:error is emitted, the copy kept in memory until the store takes it', async () => {
		let full = true;
		kit.store = faulty({ set: () => full ? new DOMException('The quota has been exceeded.', 'QuotaExceededError') : undefined as never });
		const api = kit.make();
		const errors = collect(api, 'storage:error');
		expect(await api.get('fault/1').json()).toMatchObject({ n: 1 });
		await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0));
		expect(errors[0]).toMatchObject({ type: 'storage:error', part: 'cache', operation: 'set' });
		expect((errors[0]!.error as Error).name).toBe('QuotaExceededError');
		expect(await kit.servedStale(api, 'fault/1')).toBe(true);
		// The store takes writes again: the kept copy is written with the next one.
		full = false;
		await fetchAndStore(api, 'fault/1b');
		await quiet();
		expect((await kit.store.keys()).filter((key) => key.includes('fault/1')).length).toBe(2);
	});

	it('a store that fails every operation (IndexedDB missing or blocked): requests unaffected, storage:error per failure, copies answer from memory', async () => {
		const broken = () => new DOMException('A mutation operation was attempted on a database that did not allow mutations.', 'InvalidStateError');
		kit.store = faulty({ get: broken, set: broken, keys: broken, delete: broken, clear: broken });
		const api = kit.make();
		const errors = collect(api, 'storage:error');
		const stored = next(api, 'cache:stored');
		expect((await api.get('fault/2')).status).toBe(200);
		await stored;
		expect(errors.map((event) => event.operation)).toContain('set');
		expect(errors.every((event) => (event.error as Error).name === 'InvalidStateError')).toBe(true);
		expect(await kit.servedStale(api, 'fault/2')).toBe(true);
		kit.mode = 'refuse';
		await expect(api.get('fault/never')).rejects.toMatchObject({ name: 'NetworkError' });
	});

	it('a store factory that throws is a storage fault too', async () => {
		const api = createClient({ baseUrl: kit.url + '/', retry: 0, breaker: false, store: () => {
			throw new Error('no storage here');
		} });
		const errors = collect(api, 'storage:error');
		expect((await api.get('fault/3')).status).toBe(200);
		await vi.waitFor(() => expect(errors.map((event) => event.operation)).toContain('set'));
	});

	it('a corrupt or old-version record is skipped and reported; the original error is thrown', async () => {
		const api = kit.make();
		await fetchAndStore(api, 'fault/4');
		await quiet();
		const [key] = (await kit.store.keys()).filter((name) => name.includes('fault/4'));
		await kit.store.set(key!, { v: 0, whatever: true });
		const errors = collect(api, 'storage:error');
		kit.mode = 'refuse';
		await expect(api.get('fault/4')).rejects.toMatchObject({ name: 'NetworkError' });
		expect(errors).toMatchObject([{ part: 'cache', operation: 'decode', key }]);
	});
});

describe('options', () => {
	it('rejects bad values with a RangeError naming the option and the value; sensitiveHeaders is the client\'s option now', () => {
		for (const [cache, name, value] of [
			[{ maxEntries: 0 }, 'staleCache.maxEntries', '0'], [{ maxStaleMs: -1 }, 'staleCache.maxStaleMs', '-1'],
			[{ maxBodyBytes: -5 }, 'staleCache.maxBodyBytes', '-5'], [{ maxEntries: 1.5 }, 'staleCache.maxEntries', '1.5'],
			[{ shared: 'yes' }, 'staleCache.shared', 'yes'],
			[{ sensitiveHeaders: ['x-api-key'] }, 'staleCache.sensitiveHeaders', "client's `sensitiveHeaders`"],
		] as const) {
			expect(() => createClient({ staleCache: cache as never })).toThrow(RangeError);
			expect(() => createClient({ staleCache: cache as never })).toThrow(name);
			expect(() => createClient({ staleCache: cache as never })).toThrow(value);
		}
	});

	it('shared defaults to true wherever there is no indexedDB — Node (a server), Deno, workerd — and false in browsers', async () => {
		const server = kit.make();
		const stored = collect(server, 'cache:stored');
		await server.get('shared/1?cc=private').text();
		await quiet();
		expect(stored).toHaveLength(0);
		vi.stubGlobal('indexedDB', {});
		const browser = kit.make();
		const kept = next(browser, 'cache:stored');
		await browser.get('shared/2?cc=private').text();
		await kept;
	});
});
