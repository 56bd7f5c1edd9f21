import { cacheApiStore } from './cache-api.js';
import { basicMemoryStore, memoryStore } from './memory.js';
import type { BasicStoreFactory, StoreFactory } from './types.js';

/**
 * `autoStore` as the `workerd`, `deno` and `edge-light` build has it: the Cache API where it exists,
 * else memory. idb-keyval is not in this build: no runtime of it has IndexedDB (its `indexedDbStore`,
 * stores/indexeddb-edge.ts, rejects every operation).
 */
export const autoStore: StoreFactory = (namespace) =>
	typeof caches === 'undefined' ? memoryStore(namespace) : cacheApiStore(namespace);

/** `autoStore` without `span` where memory stands in, as the edge build has it: the breaker's and the stale cache's default (`BasicStore`). */
export const basicAutoStore: BasicStoreFactory = (namespace) =>
	typeof caches === 'undefined' ? basicMemoryStore(namespace) : cacheApiStore(namespace);
