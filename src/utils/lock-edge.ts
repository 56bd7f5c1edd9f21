import type * as Full from './lock.js';

// The edge build's `lock.ts` (see tsup.config.ts): no Web Locks code; the runtime has none to use
// (`undefined`, as in workerd), and a lock asked for anyway lets the caller go on without it.

export type { LockManagerLike } from './lock.js';

/** No Web Locks in the edge build. */
export const webLocks: typeof Full.webLocks = () => undefined;

/** Go on without the lock (a no-op release), as the full build does when a lock manager fails. */
export const tryLock: typeof Full.tryLock = async () => () => undefined;

/** Run the task at once, without a lock, as the full build does where the runtime has none. */
export const locked: typeof Full.locked = async (_name, _options, task) => task(true);
