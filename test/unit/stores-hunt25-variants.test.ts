/**
 * Defect hunt, twenty-fifth round: the stores (API.md "Stores"). `cacheApiStore` runs over an in-memory Cache API
 * (test/helpers/fake-caches.ts). Each test names the claim it holds the code to.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheApiStore, memoryStore } from '../../src/entries/index.js';
import { fakeCaches } from '../helpers/fake-caches.js';

let fake: ReturnType<typeof fakeCaches>;
beforeEach(() => {
	fake = fakeCaches({ holds: 'index' });
	(globalThis as { caches?: unknown }).caches = fake.caches;
});

afterEach(() => {
	delete (globalThis as { caches?: unknown }).caches;
});

describe('cacheApiStore: every string is a key, as in memoryStore and IndexedDB', () => {
	const keys = ['\uD800', 'a\uDC00b', '\uDBFF\uDFFF', '\uDC00\uD800', '%ED%A0%80', '\uD83D\uDE00'];
	for (const [label, factory] of [['memoryStore', memoryStore], ['cacheApiStore', cacheApiStore]] as const) {
		it(`${label}: a key holding a lone surrogate is stored, read, listed and deleted, apart from its neighbours`, async () => {
			const store = factory('lone');
			// Before (cacheApiStore): set('\uD800') rejected with a URIError (encodeURIComponent).
			for (const [n, key] of keys.entries()) {
				await store.set(key, n);
			}

			expect(await Promise.all(keys.map(async (key) => store.get(key)))).toEqual([0, 1, 2, 3, 4, 5]);
			expect((await store.keys()).sort()).toEqual([...keys].sort());
			await store.delete('\uD800');
			expect([await store.get('\uD800'), await store.get('%ED%A0%80'), (await store.keys()).length]).toEqual([undefined, 4, 5]);
		});
	}

	it('cacheApiStore: a namespace holding a lone surrogate works too', async () => {
		const store = cacheApiStore('ns\uDFFF');
		await store.set('k', 1);
		expect([await store.get('k'), await store.keys()]).toEqual([1, ['k']]);
	});
});
