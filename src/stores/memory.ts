import { copyPlain } from '../utils/copy.js';
import type { KeyValueStore, StoreFactory } from './types.js';

/**
 * A store in memory: gone with the page or process. Values are copied on the way in and out, as
 * IndexedDB would structured-clone them, so later mutation of a stored object never changes what is
 * stored (plain data is copied directly, anything else with `structuredClone`).
 *
 * Each call makes a new, empty store. To share one between clients (or to simulate a reload in a
 * test), make it once and pass `store: () => shared`.
 */
export const memoryStore: StoreFactory = (_namespace: string): KeyValueStore => {
	const map = new Map<string, unknown>();
	return {
		async get<T>(key: string) {
			const value = map.get(key);
			return value === undefined ? undefined : copyPlain(value) as T;
		},
		async set(key, value) {
			map.set(key, copyPlain(value));
		},
		async delete(key) {
			map.delete(key);
		},
		async keys() {
			return [...map.keys()];
		},
		async clear() {
			map.clear();
		},
	};
};
