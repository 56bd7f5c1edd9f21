/** What the Web Locks API offers that steadfetch uses. */
export interface LockManagerLike {
	request<T>(name: string, options: { ifAvailable?: boolean; signal?: AbortSignal; mode?: 'shared' }, callback: (lock: unknown) => Promise<T>): Promise<T>;
}

/** `navigator.locks` where the runtime has it (browsers, Deno, Node), else `undefined` (workerd). */
export const webLocks = (): LockManagerLike | undefined =>
	(globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;

/**
 * Take the lock `name` if nobody holds it (`ifAvailable`): resolves with the function that gives it
 * back, or `undefined` when it is held elsewhere. A lock manager that fails lets the caller go on
 * without the lock (a no-op release).
 */
export const tryLock = async (locks: LockManagerLike, name: string): Promise<(() => void) | undefined> => new Promise((resolve) => {
	locks.request(name, { ifAvailable: true }, async (lock) => lock ? new Promise<void>((release) => resolve(release as () => void)) : resolve(undefined))
		.catch(() => resolve(() => undefined));
});

/**
 * Run `task` under the Web Lock `name` (`options` as `LockManager.request` takes them; `task` gets the
 * lock, `null` when `ifAvailable` found it held) where the runtime has Web Locks; without them, or when
 * the lock manager refuses the request (an opaque origin's `SecurityError`: a sandboxed iframe, a
 * `file:` page), at once without it (`task` gets `true`), as `tryLock` goes on. An abort of
 * `options.signal` before the lock is granted rejects, as does `task`'s own failure.
 */
export const locked = async <T>(name: string, options: { ifAvailable?: boolean; signal?: AbortSignal; mode?: 'shared' }, task: (lock: unknown) => Promise<T>): Promise<T> => {
	const locks = webLocks();
	/** `task`'s run under the lock, once granted: its failure is never one of the lock manager's. */
	let ran: Promise<T> | undefined;
	return locks
		? locks.request(name, options, async (lock) => (ran = task(lock))).catch(async (error: unknown) => ran || options.signal?.aborted ? Promise.reject(error) : task(true))
		: task(true);
};
