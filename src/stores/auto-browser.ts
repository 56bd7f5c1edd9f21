import { storesInIndexedDb } from '../utils/has-indexeddb.js';
import { basicIndexedDbStore, indexedDbStore, unlessRefused } from './indexeddb.js';
import { basicMemoryStore, memoryStore } from './memory.js';
import type { BasicStoreFactory, StoreFactory } from './types.js';

/**
 * `autoStore` as the `browser` build has it: IndexedDB where it exists (pages, workers, service
 * workers) and does not refuse the context (`unlessRefused`), else memory. The Cache API store is not in
 * this build (import `cacheApiStore` to use it).
 */
export const autoStore: StoreFactory = (namespace) =>
	storesInIndexedDb() ? unlessRefused(indexedDbStore(namespace), () => memoryStore(namespace)) : memoryStore(namespace);

/** `autoStore` without `clear` and `span`, as the `browser` build has it: the breaker's and the stale cache's default (`BasicStore`). */
export const basicAutoStore: BasicStoreFactory = (namespace) =>
	storesInIndexedDb() ? unlessRefused(basicIndexedDbStore(namespace), () => basicMemoryStore(namespace)) : basicMemoryStore(namespace);
