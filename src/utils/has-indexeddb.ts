// Whether the runtime has IndexedDB. The edge build (workerd, Deno, edge functions: none has it) swaps
// this module for has-indexeddb-edge.ts, so that build carries no IndexedDB code at all.

/** Whether the runtime has IndexedDB: browsers (pages, web and service workers); not Node, Deno or workerd. */
export const hasIndexedDb = (): boolean => typeof indexedDB !== 'undefined';
