import type * as Full from './indexeddb.js';
import type { KeyValueStore } from './types.js';

// The edge build's `indexeddb.ts` (see tsup.config.ts): workerd, Deno and edge functions have no IndexedDB, so
// the store does there what `indexeddb.ts` does where IndexedDB is missing (every operation rejects), without
// idb-keyval: the build carries no IndexedDB code, also where nothing bundles it (Deno loads dist/edge as it is).
// `autoStore` never picks it there (stores/auto-edge.ts); it stays importable, as the types are the same everywhere.

/** Each operation rejects, as `indexeddb.ts`'s do where `indexedDB` is undefined. */
const missing = async (): Promise<never> => {
	throw new TypeError('IndexedDB is not available in this runtime: use `autoStore` (the default: IndexedDB, else the Cache API, else memory) or `memoryStore`');
};

/** `indexedDbStore` where no runtime has IndexedDB: creating is free, every method rejects with a `TypeError`. */
export const indexedDbStore: typeof Full.indexedDbStore = (): KeyValueStore => ({
	get: missing, set: missing, delete: missing, keys: missing, clear: missing, span: missing,
});
