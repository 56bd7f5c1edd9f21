/**
 * Defect hunt, twenty-fifth round (b): the stores (API.md "Stores"; src/stores/types.ts: operations on one key take effect
 * in the order they are called, as in memoryStore and IndexedDB). `cacheApiStore` runs over an in-memory Cache API
 * (test/helpers/fake-caches.ts) whose `hold()` keeps a value's put from landing until `release()`, as a large put lands
 * after a later put or delete. Each test names the claim it holds the code to.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheApiStore } from '../../src/entries/index.js';
import { fakeCaches } from '../helpers/fake-caches.js';

let fake: ReturnType<typeof fakeCaches>;
beforeEach(() => {
	fake = fakeCaches({ holds: 'copy' });
	(globalThis as { caches?: unknown }).caches = fake.caches;
});

afterEach(() => {
	delete (globalThis as { caches?: unknown }).caches;
});

const until = async (condition: () => boolean): Promise<void> => {
	while (!condition()) {
		await new Promise((resolve) => setTimeout(resolve, 1));
	}
};

/** `store.set('k', 1)` with its value's put held until `later` is done, then landed; what the store holds of k after. */
const lateSet = async (namespace: string, stored: boolean, later: (store: ReturnType<typeof cacheApiStore>) => Promise<void>) => {
	const store = cacheApiStore(namespace);
	if (stored) {
		await store.set('k', 0);
	}

	fake.hold();
	const first = store.set('k', 1);
	await until(() => fake.holding === 1);
	await later(store);
	fake.release();
	await first;
	return { k: await store.get('k'), keys: await cacheApiStore(namespace).keys() };
};

describe('cacheApiStore: a set() whose value lands late does not land over a later set() or delete() of its key', () => {
	for (const stored of [false, true]) {
		const label = stored ? 'a key already stored' : 'a new key';
		it(`${label}: set(k, 1) lands after set(k, 2): k reads 2`, async () => {
			// Before: { k: 1 } (the earlier set()'s value landed last).
			expect(await lateSet(`set-${stored}`, stored, async (store) => store.set('k', 2))).toEqual({ k: 2, keys: ['k'] });
		});

		it(`${label}: set(k, 1) lands after delete(k): k is gone, and not listed`, async () => {
			// Before: { k: 1, keys: ['k'] } (new key: listed again by the set()'s index write) or { k: 1, keys: [] } (stored: a value no keys() lists).
			expect(await lateSet(`delete-${stored}`, stored, async (store) => store.delete('k'))).toEqual({ k: undefined, keys: [] });
		});

		it(`${label}: set(k, 1) lands after delete(k) then set(k, 3): k reads 3, listed once`, async () => {
			expect(await lateSet(`both-${stored}`, stored, async (store) => {
				await store.delete('k');
				await store.set('k', 3);
			})).toEqual({ k: 3, keys: ['k'] });
		});
	}
});

describe('cacheApiStore: a set() whose value lands late, a clear() and a set() called after it', () => {
	it('set(k, 1) lands after clear() then set(k, 3): k reads 3, listed', async () => {
		// Before: { k: undefined, keys: ['k'] }: the first set(), seeing the clear(), deleted the value the later set() wrote.
		expect(await lateSet('clear-set', true, async (store) => {
			await store.clear();
			await store.set('k', 3);
		})).toEqual({ k: 3, keys: ['k'] });
	});
});

describe('cacheApiStore: a new key whose value write fails after a later set() of it landed', () => {
	it('set(k, 1) refused (its quota) once set(k, 2) landed: k reads 2, listed; the first rejects', async () => {
		const cache = await fake.caches.open();
		const put = cache.put.bind(cache);
		let refuse = () => {};
		let reached = false;
		let first = true;
		cache.put = async (url: string, response: Response) => {
			if (url.endsWith('/k') && first) {
				first = false;
				reached = true;
				await new Promise<void>((resolve) => {
					refuse = resolve;
				});
				throw new DOMException('quota', 'QuotaExceededError');
			}

			await put(url, response);
		};

		const store = cacheApiStore('refused');
		const one = store.set('k', 1);
		await until(() => reached);
		await store.set('k', 2);
		refuse();
		await expect(one).rejects.toThrow('quota');
		// Before: { k: undefined, keys: [] }: the refused set() undid the key, the later set()'s value and listing too.
		expect({ k: await store.get('k'), keys: await cacheApiStore('refused').keys() }).toEqual({ k: 2, keys: ['k'] });
	});
});

describe('cacheApiStore: a set() of a key whose delete() is still writing the key index', () => {
	it('delete(k) with its index write held, then set(k, 2): once both land, k reads 2 and is listed', async () => {
		fake = fakeCaches({ holds: 'index' });
		(globalThis as { caches?: unknown }).caches = fake.caches;
		const store = cacheApiStore('delete-set');
		await store.set('k', 1);
		fake.hold();
		const removal = store.delete('k');
		await until(() => fake.holding === 1);
		await store.set('k', 2);
		fake.release();
		await removal;
		// Before: { k: 2, keys: [] }: the set() read the segment still listing k and did not list it; the delete's write then landed.
		expect({ k: await store.get('k'), keys: await cacheApiStore('delete-set').keys() }).toEqual({ k: 2, keys: ['k'] });
	});
});
