import type * as Full from './locks.js';

// The `workerd`/`deno`/`edge-light` build's `locks.ts` (see tsup.config.ts): that build has no Web Locks
// (its `utils/lock.ts` gives none), so `task` runs at once, as `locks.ts` runs it where the runtime has
// none: no lock names, no request to a lock manager.

export const lockOutbox: typeof Full.lockOutbox = async (_name, task) => task();

export const lockEntry: typeof Full.lockEntry = async (_name, _id, task) => task();
