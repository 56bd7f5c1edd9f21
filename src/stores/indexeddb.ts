import { clear, createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import { prefixEnd } from '../utils/sorted.js';
import type { BasicStore, BasicStoreFactory, KeyValueStore, StoreFactory } from './types.js';

/** The namespace's database (`steadfetch:<namespace>`), opened at the first operation; where IndexedDB is missing, each operation throws. */
const opener = (namespace: string): (() => UseStore) => {
	let useStore: UseStore | undefined;
	return () => {
		if (typeof indexedDB === 'undefined') {
			throw new TypeError('IndexedDB is not available in this runtime: use `autoStore` (the default: IndexedDB, else the Cache API, else memory) or `memoryStore`');
		}

		useStore ??= createStore(`steadfetch:${namespace}`, 'kv');
		return useStore;
	};
};

/**
 * The four operations every part asks (see `BasicStore`), in the database `store` opens: each one
 * request in one transaction, as idb-keyval's `get`, `set`, `del` and `keys` make it, written on its
 * store handle as `span` is (those functions would bring idb-keyval's default store, and `keys` its
 * cursor walk for browsers without `getAllKeys`, which no supported browser lacks).
 */
const basics = (store: () => UseStore): BasicStore => ({
	async get<T>(key: string) {
		return store()('readonly', async (objects) => promisifyRequest<T>(objects.get(key)));
	},
	async set(key, value) {
		return store()('readwrite', async (objects) => {
			objects.put(value, key);
			return promisifyRequest(objects.transaction);
		});
	},
	async delete(key) {
		return store()('readwrite', async (objects) => {
			objects.delete(key);
			return promisifyRequest(objects.transaction);
		});
	},
	// String keys only: another program's key in the object store (a number, a Date, an array) is not ours, and
	// `String()` of an array may read as one of ours (no get or delete of that string reaches it).
	async keys() {
		return (await store()('readonly', async (objects) => promisifyRequest(objects.getAllKeys()))).filter((key): key is string => typeof key === 'string');
	},
});

/**
 * `indexedDbStore` without `clear` and `span`: the default of the parts that never ask them (the
 * breaker's and the stale cache's, through `basicAutoStore`), so a program without the outbox carries
 * neither. The same database as `indexedDbStore`'s for a namespace.
 */
export const basicIndexedDbStore: BasicStoreFactory = (namespace) => basics(opener(namespace));

/**
 * A store in IndexedDB through idb-keyval (its `createStore`): one database per namespace (`steadfetch:<namespace>`),
 * opened on the first operation, never at import or creation. Where IndexedDB is missing or blocked,
 * every method rejects; the client reports that as `storage:error` and degrades. `span(prefix)` is
 * one read-only transaction (a count of the key range and a cursor at its end), whatever the store's size.
 */
export const indexedDbStore: StoreFactory = (namespace: string): KeyValueStore => {
	const store = opener(namespace);
	return {
		...basics(store),
		async clear() {
			return clear(store());
		},
		async span(prefix) {
			// One read-only transaction: a count of the key range, and a key cursor from its end.
			return store()('readonly', async (objects) => {
				// No end (`prefixEnd`): up to the first array key, after every string.
				const range = IDBKeyRange.bound(prefix, prefixEnd(prefix) ?? [], false, true);
				const [count, cursor] = await Promise.all([promisifyRequest(objects.count(range)), promisifyRequest(objects.openKeyCursor(range, 'prev'))]);
				return { count, last: cursor ? String(cursor.key) : undefined };
			});
		},
	};
};

/**
 * `store` (IndexedDB's, for `autoStore`) until IndexedDB refuses this context with a `SecurityError` — an opaque
 * origin (a sandboxed iframe or page without `allow-same-origin`: `indexedDB` is there, its `open` throws), or
 * storage the user blocked for the site — then, from that operation on and for good, `next()`'s: memory, the next
 * store the runtime has, as where there is no IndexedDB (the parts keep their state for the page's life, a queued
 * write is delivered, and no operation fails for it).
 */
export const unlessRefused = <S extends BasicStore>(store: S, next: () => S): S => {
	let use = store;
	const each: Record<string, unknown> = {};
	for (const name of Object.keys(store) as Array<keyof S & string>) {
		each[name] = async (...args: unknown[]) => {
			if (use === store) {
				try {
					return await (store[name] as (...args: unknown[]) => Promise<unknown>)(...args);
				} catch (error) {
					if ((error as Error | null)?.name !== 'SecurityError') {
						throw error;
					}

					use = use === store ? next() : use;
				}
			}

			return (use[name] as (...args: unknown[]) => Promise<unknown>)(...args);
		};
	}

	return each as S;
};
