import { copyPlain } from '../utils/copy.js';
import { prefixEnd, type KeyValueStore, type StoreFactory } from './types.js';

/** Where `key` is, or would be inserted, in the sorted `keys`. */
const place = (keys: readonly string[], key: string): number => {
	let low = 0;
	let high = keys.length;
	while (low < high) {
		const middle = (low + high) >>> 1;
		if (keys[middle]! < key) {
			low = middle + 1;
		} else {
			high = middle;
		}
	}

	return low;
};

/**
 * A store in memory: gone with the page or process. Values are copied on the way in and out, as
 * IndexedDB would structured-clone them, so later mutation of a stored object never changes what is
 * stored (plain data is copied directly, anything else with `structuredClone`). Its keys are also
 * kept sorted, so `span(prefix)` answers with two binary searches.
 *
 * Each call makes a new, empty store. To share one between clients (or to simulate a reload in a
 * test), make it once and pass `store: () => shared`.
 */
export const memoryStore: StoreFactory = (_namespace: string): KeyValueStore => {
	const map = new Map<string, unknown>();
	const sorted: string[] = [];
	return {
		async get<T>(key: string) {
			const value = map.get(key);
			return value === undefined ? undefined : copyPlain(value) as T;
		},
		async set(key, value) {
			if (!map.has(key)) {
				sorted.splice(place(sorted, key), 0, key);
			}

			map.set(key, copyPlain(value));
		},
		async delete(key) {
			if (map.delete(key)) {
				sorted.splice(place(sorted, key), 1);
			}
		},
		async keys() {
			return [...map.keys()];
		},
		async clear() {
			map.clear();
			sorted.length = 0;
		},
		async span(prefix) {
			const from = place(sorted, prefix);
			const to = place(sorted, prefixEnd(prefix));
			return { count: to - from, last: to > from ? sorted[to - 1] : undefined };
		},
	};
};
