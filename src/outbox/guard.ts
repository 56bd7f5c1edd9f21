import { webLocks, type LockManagerLike } from '../shared/lock.js';
import { serial, type Serial } from '../shared/serial.js';
import type { KeyValueStore } from '../stores/types.js';

/** In-process queues per store object: clients sharing a store (same `name`) never drain at once. */
const queues = new WeakMap<KeyValueStore, Serial>();

const locks = (): LockManagerLike | undefined => {
	// Web Locks coordinate the contexts that share persisted storage: tabs and workers of an origin.
	// In Node and Deno (one process, no shared IndexedDB) the in-process chain is the whole guard.
	return typeof indexedDB === 'undefined' ? undefined : webLocks();
};

/**
 * Run `task` as the only drainer of this outbox: inside an exclusive Web Lock named `lockName`
 * where Web Locks and IndexedDB exist (so one tab or worker of the origin drains at a time), and
 * always after the previous task on the same store in this process. Waits its turn; `signal`
 * gives up waiting (rejects with its reason).
 */
export const exclusive = async <T>(store: KeyValueStore, lockName: string, signal: AbortSignal, task: () => Promise<T>): Promise<T> => {
	let queue = queues.get(store);
	if (!queue) {
		queue = serial();
		queues.set(store, queue);
	}

	const manager = locks();
	return queue(async () => {
		signal.throwIfAborted();
		return manager ? manager.request(lockName, { signal }, task) : task();
	});
};
