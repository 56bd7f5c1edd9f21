import { describe, expect, it } from 'vitest';
import { autoStore, cacheApiStore, indexedDbStore } from '../../src/entries/index.js';
import { missingFeatureCase, storeCases } from '../contract/stores.js';

describe('stores in real workerd', () => {
	for (const { name, run } of [
		...storeCases('cacheApiStore', cacheApiStore),
		...storeCases('autoStore (Cache API in workerd)', autoStore),
		missingFeatureCase('indexedDbStore', indexedDbStore),
	]) {
		it(name, run);
	}

	it('workerd has no IndexedDB but has caches: autoStore picks the Cache API', () => {
		expect(typeof indexedDB).toBe('undefined');
		expect(typeof caches).toBe('object');
	});
});
