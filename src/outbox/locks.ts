import { locked } from '../utils/lock.js';

// The outbox's Web Locks, where the runtime has them (browsers, Node): without them (or refused: `locked`) the task runs at once.
// The edge build has none (its `utils/lock.ts` gives none) and swaps this module for locks-edge.ts.

/**
 * `Queue.lock`: run `task` under the outbox's lock of client name `name` (`steadfetch:<name>/outbox`):
 * one drain at a time across tabs, workers and clients. `signal`: give up waiting for the lock when it
 * aborts (the promise rejects, `task` is not run).
 */
export const lockOutbox = async <T>(name: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> =>
	locked(`steadfetch:${name}/outbox`, signal ? { signal } : {}, task);

/** `Queue.entryLock`: run `task` under entry `id`'s own lock (`steadfetch:<name>/outbox#<id>`). */
export const lockEntry = async <T>(name: string, id: string, task: () => Promise<T>): Promise<T> =>
	locked(`steadfetch:${name}/outbox#${id}`, {}, task);
