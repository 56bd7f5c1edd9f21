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
