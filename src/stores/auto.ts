import { cacheApiStore } from './cache-api.js';
import { hasIndexedDb } from '../utils/has-indexeddb.js';
import { indexedDbStore } from './indexeddb.js';
import { memoryStore } from './memory.js';
import type { StoreFactory } from './types.js';

/**
 * IndexedDB where it exists (browsers, web workers), else the Cache API (Cloudflare Workers, Deno),
 * else memory (Node). Detected when a namespace's store is made, not at import.
 */
export const autoStore: StoreFactory = (namespace) => {
	if (hasIndexedDb()) {
		return indexedDbStore(namespace);
	}

	if (typeof caches !== 'undefined') {
		return cacheApiStore(namespace);
	}

	return memoryStore(namespace);
};
