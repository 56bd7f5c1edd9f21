// Whether the runtime has IndexedDB. The edge build (workerd, Deno, edge functions: none has it) swaps
// this module for has-indexeddb-edge.ts: no default of that build reads `indexedDB` (`indexedDbStore`
// stays importable there, as API.md lists it, and asks for itself when used).

/** `indexedDB` as the runtime gives it; `null` where reading it throws (a browser that refuses this context its storage: a `SecurityError`). */
const given = (): unknown => {
	try {
		return typeof indexedDB === 'undefined' ? undefined : indexedDB;
	} catch {
		return null;
	}
};

/**
 * Whether the runtime has IndexedDB: browsers (pages, web and service workers), one whose `indexedDB` throws when read
 * too; not Node, Deno or workerd.
 */
export const hasIndexedDb = (): boolean => given() !== undefined;

/**
 * Whether the runtime has an IndexedDB to store in: not a browser that has it turned off (`indexedDB`
 * is `null` there, as Firefox's `dom.indexedDB.enabled: false` leaves it) or whose `indexedDB` throws
 * when read, which is a browser still (`hasIndexedDb`: the stale cache is private there), but whose
 * default store is the next one it has.
 */
export const storesInIndexedDb = (): boolean => given() != null;
