/** What the Web Locks API offers that steadfetch uses. */
export interface LockManagerLike {
	request<T>(name: string, options: { ifAvailable?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => Promise<T>): Promise<T>;
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
