import { deepEqual } from 'node:assert/strict';
import { describe, it } from 'vitest';
import { autoStore, cacheApiStore, indexedDbStore, memoryStore } from '../../src/entries/index.js';
import { missingFeatureCase, storeCases } from '../contract/stores.js';

// Node has neither IndexedDB nor the Cache API: memory is real here, the others must reject cleanly.
// (IndexedDB is tested for real in Chromium, the Cache API in workerd, Deno and Chromium.)
describe('stores in Node', () => {
	for (const { name, run } of [
		...storeCases('memoryStore', memoryStore),
		...storeCases('autoStore (memory in Node)', autoStore),
		missingFeatureCase('indexedDbStore', indexedDbStore),
		missingFeatureCase('cacheApiStore', cacheApiStore),
	]) {
		it(name, run);
	}
});

describe('memoryStore keeps its keys in order only once span() is asked', () => {
	it('answers span() for keys written and deleted before the first span(), and after', async () => {
		const store = memoryStore('lazy-order');
		for (const key of ['p|2', 'd|9', 'p|10', 'p|2|x', 'p|\u00e9', 'p|0']) {
			await store.set(key, key);
		}

		await store.delete('p|0');
		await store.delete('p|never');
		deepEqual(await store.span!('p|'), { count: 4, last: 'p|\u00e9' });
		await store.set('p|3', 'later');
		await store.delete('p|\u00e9');
		deepEqual(await store.span!('p|'), { count: 4, last: 'p|3' });
		await store.clear();
		await store.set('p|1', 'after clear');
		deepEqual(await store.span!('p|'), { count: 1, last: 'p|1' });
	});
});
