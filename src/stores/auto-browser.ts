import { hasIndexedDb } from '../utils/has-indexeddb.js';
import { indexedDbStore } from './indexeddb.js';
import { memoryStore } from './memory.js';
import type { StoreFactory } from './types.js';

/**
 * `autoStore` as the `browser` build has it: IndexedDB where it exists (pages, workers, service
 * workers), else memory. The Cache API store is not in this build (import `cacheApiStore` to use it).
 */
export const autoStore: StoreFactory = (namespace) =>
	hasIndexedDb() ? indexedDbStore(namespace) : memoryStore(namespace);
