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
	/**
	 * Optional: how many keys start with `prefix`, and the greatest of them (string order), answered
	 * without listing every key — IndexedDB counts a key range and opens a cursor at its end,
	 * `memoryStore` keeps its keys sorted. The outbox asks it on each queued write to learn, cheaply,
	 * whether another tab, worker or process changed what is pending; a store without it is listed
	 * with `keys()` at most once per `maxEntries / 4` queued writes (and entries other contexts queue
	 * meanwhile are not counted toward `maxEntries` until then).
	 */
	span?(prefix: string): Promise<KeySpan>;
}

/** What `KeyValueStore.span(prefix)` answers: the number of keys with the prefix, and the greatest (`undefined` when none). */
export interface KeySpan {
	count: number;
	last: string | undefined;
}

/** Makes the store of one namespace. Must not touch storage until a method is called. */
export type StoreFactory = (namespace: string) => KeyValueStore;

/**
 * What the client's parts ask of a store: a `KeyValueStore` without `clear` (no part calls it), `span`
 * optional (only the outbox asks it). The breaker's and the stale cache's default (`basicAutoStore`) is
 * one, so a program without the outbox carries neither; a `KeyValueStore` (the client's `store`) is one too.
 */
export type BasicStore = Omit<KeyValueStore, 'clear' | 'span'> & Partial<Pick<KeyValueStore, 'span'>>;

/** Makes the `BasicStore` of one namespace. Must not touch storage until a method is called. */
export type BasicStoreFactory = (namespace: string) => BasicStore;
