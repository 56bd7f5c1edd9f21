/** Where persisted state lives. Values are structured-clonable; every method may reject. */
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
