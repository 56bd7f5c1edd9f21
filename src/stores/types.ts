/**
 * Where persisted state lives. Values are structured-clonable; every method may reject. Operations
 * on one key must take effect in the order they are called, even one that answers after the
 * client's `storageTimeoutMs` (the client has gone on without it): a late `set` must not land over
 * a later `delete` or `set` of its key, else a dropped copy, a delivered outbox entry or a reset
 * breaker comes back. IndexedDB (its transactions run in the order they are made) and
 * `memoryStore` keep this order; a store of your own (a remote one, a queue) must too.
 */
export interface KeyValueStore {
	get<T>(key: string): Promise<T | undefined>;
	/** `value` is structured-clonable. */
	set(key: string, value: unknown): Promise<void>;
	delete(key: string): Promise<void>;
	keys(): Promise<string[]>;
	clear(): Promise<void>;
}

/** Makes the store of one namespace. Must not touch storage until a method is called. */
export type StoreFactory = (namespace: string) => KeyValueStore;
