import { cacheApiStore } from './cache-api.js';
import { storesInIndexedDb } from '../utils/has-indexeddb.js';
import { basicIndexedDbStore, indexedDbStore, unlessRefused } from './indexeddb.js';
import { basicMemoryStore, memoryStore } from './memory.js';
import type { BasicStoreFactory, StoreFactory } from './types.js';

/**
 * IndexedDB where it exists (browsers, web workers) and does not refuse the context (`unlessRefused`:
 * memory then), else the Cache API (Cloudflare Workers, Deno), else memory (Node). Detected when a
 * namespace's store is made, not at import.
 */
export const autoStore: StoreFactory = (namespace) => {
	if (storesInIndexedDb()) {
		return unlessRefused(indexedDbStore(namespace), () => memoryStore(namespace));
	}

	if (typeof caches !== 'undefined') {
		return cacheApiStore(namespace);
	}

	return memoryStore(namespace);
};

/**
 * `autoStore` without `clear` and `span` (the Cache API store has no `span` anyway): the default of
 * the parts that never ask them, the breaker's and the stale cache's (`BasicStore`).
 */
export const basicAutoStore: BasicStoreFactory = (namespace) =>
	storesInIndexedDb() ? unlessRefused(basicIndexedDbStore(namespace), () => basicMemoryStore(namespace)) : typeof caches === 'undefined' ? basicMemoryStore(namespace) : cacheApiStore(namespace);
