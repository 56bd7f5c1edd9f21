import { cacheApiStore } from './cache-api.js';
import { memoryStore } from './memory.js';
import type { StoreFactory } from './types.js';

/**
 * `autoStore` as the `workerd`, `deno` and `edge-light` build has it: the Cache API where it exists,
 * else memory. idb-keyval is not in this build (import `indexedDbStore` to use it).
 */
export const autoStore: StoreFactory = (namespace) =>
	typeof caches === 'undefined' ? memoryStore(namespace) : cacheApiStore(namespace);
