import { clear, createStore, del, get, keys, promisifyRequest, set, type UseStore } from 'idb-keyval';
import { prefixEnd } from '../utils/sorted.js';
import type { KeyValueStore, StoreFactory } from './types.js';

/**
 * A store in IndexedDB through idb-keyval: one database per namespace (`steadfetch:<namespace>`),
 * opened on the first operation, never at import or creation. Where IndexedDB is missing or blocked,
 * every method rejects; the client reports that as `storage:error` and degrades. `span(prefix)` is
 * one read-only transaction (a count of the key range and a cursor at its end), whatever the store's size.
 */
export const indexedDbStore: StoreFactory = (namespace: string): KeyValueStore => {
	let useStore: UseStore | undefined;
	const store = (): UseStore => {
		if (typeof indexedDB === 'undefined') {
			throw new TypeError('IndexedDB is not available in this runtime');
		}

		useStore ??= createStore(`steadfetch:${namespace}`, 'kv');
		return useStore;
	};

	return {
		async get<T>(key: string) {
			return get<T>(key, store());
		},
		async set(key, value) {
			return set(key, value, store());
		},
		async delete(key) {
			return del(key, store());
		},
		async keys() {
			return (await keys(store())).map(String);
		},
		async clear() {
			return clear(store());
		},
		async span(prefix) {
			// One read-only transaction: a count of the key range, and a key cursor from its end.
			return store()('readonly', async (objects) => {
				const range = IDBKeyRange.bound(prefix, prefixEnd(prefix), false, true);
				const [count, cursor] = await Promise.all([promisifyRequest(objects.count(range)), promisifyRequest(objects.openKeyCursor(range, 'prev'))]);
				return { count, last: cursor ? String(cursor.key) : undefined };
			});
		},
	};
};
