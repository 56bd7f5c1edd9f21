import { openChannel } from '../shared/channel.js';
import { tryLock, webLocks } from '../shared/lock.js';
import type { BreakerRecord } from './record.js';

/** Cross-tab sharing of one client's breakers (`breaker.share`). */
export interface Sharing {
	/** Tell the other tabs and workers about a change of state. */
	post(record: BreakerRecord): void;
	/**
	 * Take one of the scope's probe slots across tabs (Web Locks, `ifAvailable`): resolves with the
	 * function that gives it back, or `undefined` when another tab holds every slot. Where Web Locks
	 * are missing it always succeeds: probes are then limited per isolate only.
	 */
	lock(scope: string, slots: number): Promise<(() => void) | undefined>;
	close(): void;
}

const noop = (): void => undefined;

export { hasTabs } from '../shared/tabs.js';

/**
 * Open the BroadcastChannel `steadfetch:<name>:breaker` (feature-detected: missing in Cloudflare
 * Workers, where each isolate has its own breakers). An open channel keeps a Node or Deno process
 * alive until `client.close()`; the breaker opens it there only on `share: true`.
 */
export const createSharing = (name: string, receive: (data: unknown) => void): Sharing => {
	const prefix = `steadfetch:${name}:breaker`;
	// No BroadcastChannel: per-isolate state (and the store, read under the probe lock).
	let channel = openChannel(prefix, receive);
	const locks = webLocks();
	return {
		post(record) {
			channel?.post(record);
		},
		async lock(scope, slots) {
			if (!locks) {
				return noop;
			}

			for (let slot = 0; slot < slots; slot++) {
				// Sequential on purpose: the first free slot wins.
				const release = await tryLock(locks, `${prefix}:${scope}:${slot}`);
				if (release) {
					return release;
				}
			}

			return undefined;
		},
		close() {
			channel?.close();
			channel = undefined;
		},
	};
};
