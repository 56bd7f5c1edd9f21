import type * as Full from './has-indexeddb.js';

/** The edge build's `has-indexeddb.ts` (see tsup.config.ts): no runtime of the edge build has IndexedDB. */
export const hasIndexedDb: typeof Full.hasIndexedDb = () => false;

/** No IndexedDB to store in (see `hasIndexedDb`). */
export const storesInIndexedDb: typeof Full.storesInIndexedDb = () => false;
