import { StorageTimeoutError } from '../errors/StorageTimeoutError.js';
import type { PolicyContext } from '../core/policy.js';
import type { KeyValueStore, StoreFactory } from '../stores/types.js';

const bound = <T>(operation: Promise<T>, ms: number, what: string): Promise<T> => {
	let settled = false;
	const mark = (): void => {
		settled = true;
	};

	operation.then(mark, mark);
	// A store that answers at once (memory) settles before this check: no timer for it.
	return Promise.resolve().then(async () => settled ? operation : new Promise<T>((resolve, reject) => {
		const timer = setTimeout(() => {
			reject(new StorageTimeoutError(`The store did not answer ${what} within ${ms} ms (storageTimeoutMs)`));
		}, ms);
		operation.then((value) => {
			clearTimeout(timer);
			resolve(value);
		}, (error: unknown) => {
			clearTimeout(timer);
			reject(error);
		});
	}));
};

/** One wrapper per store and deadline, so code that keys on a store's identity (one drainer per store) still can. */
const wrappers = new WeakMap<KeyValueStore, Map<number, KeyValueStore>>();

/**
 * A store whose `get`, `set`, `delete` and `keys` reject with `StorageTimeoutError` when they take
 * longer than `ms` (an IndexedDB blocked by another connection's upgrade never answers). The
 * operation itself goes on: a write may still land later. `clear` has no deadline: it is never on a
 * request's path, and it must not be told done before it is.
 */
export const withDeadline = (store: KeyValueStore, ms: number): KeyValueStore => {
	let byMs = wrappers.get(store);
	if (!byMs) {
		byMs = new Map();
		wrappers.set(store, byMs);
	}

	let wrapper = byMs.get(ms);
	if (!wrapper) {
		wrapper = {
			get: async (key) => bound(store.get(key), ms, `get(${key})`),
			set: async (key, value) => bound(store.set(key, value), ms, `set(${key})`),
			delete: async (key) => bound(store.delete(key), ms, `delete(${key})`),
			keys: async () => bound(store.keys(), ms, 'keys()'),
			clear: async () => store.clear(),
		};
		byMs.set(ms, wrapper);
	}

	return wrapper;
};

/**
 * The store of one part of a client (`cache`, `outbox`, `breaker`), created once per client name
 * and store (shared with the clients it extends) from the client's `store` option, else from
 * `fallback` (the part's own default), with the client's `storageTimeoutMs` deadline (500 ms).
 */
export const storeFor = (context: PolicyContext, part: string, fallback: StoreFactory): KeyValueStore => {
	const key = `${context.name}/${part}`;
	let store = context.stores.get(key) as KeyValueStore | undefined;
	if (!store) {
		store = withDeadline(((context.options['store'] as StoreFactory | undefined) ?? fallback)(key), (context.options['storageTimeoutMs'] as number | undefined) ?? 500);
		context.stores.set(key, store);
	}

	return store;
};

/** Report a storage failure of a part as `storage:error`. Never throws. */
export const storageError = (context: PolicyContext, part: string, operation: string, error: unknown, key?: string): void => {
	context.emit('storage:error', { scope: '', part, operation, error, ...(key === undefined ? {} : { key }) });
};
