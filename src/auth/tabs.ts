import { storageError } from '../core/part-store.js';
import type { PolicyContext } from '../core/policy.js';
import { openChannel } from '../utils/channel.js';
import { locked } from '../utils/lock.js';

/** The refresh shared by the tabs of the client's name and origins (`linkTabs`). */
export interface TabLink {
	/**
	 * `run` the refresh under its Web Lock (without one where the runtime has no Web Locks). The lock
	 * held elsewhere means another tab is refreshing right now: wait for it to finish, and run nothing.
	 */
	lock(run: () => Promise<void>): Promise<void>;
	/** Tell the other tabs a refresh finished (never the token). */
	refreshed(): void;
	/** The channel closes; the lock is still taken for a refresh. */
	close(): void;
}

/**
 * The refresh shared by the tabs of one client: its Web Lock and the channel that says one finished,
 * both named after the client's `name` and the origins it guards (`prefixes`), so tabs of one client
 * share a refresh and two clients of one page for two APIs (each its own token and refresh) never
 * wait for, nor skip for, the other's. Another tab's word that its refresh finished goes to
 * `heard` (a waiter then skips its own) and is emitted as a shared `auth:refresh`; anything but that word
 * (`1`) is ignored and reported as `storage:error` (operation `channel`), without its content. The
 * `workerd`/`deno`/`edge-light` build has `tabs-edge.ts` instead (no tabs, channel or Web Locks
 * there): no link, and a refresh runs without a lock.
 */
export const linkTabs = (context: PolicyContext, prefixes: readonly string[], heard: () => void): TabLink | undefined => {
	const name = `steadfetch:${context.name}/auth ${prefixes}`;
	const channel = openChannel(name, (data) => {
		if (data === 1) {
			heard();
			context.emit('auth:refresh', { ok: true, durationMs: 0, shared: true });
		} else {
			storageError(context, 'auth', 'channel', new TypeError('Ignored a malformed auth message from another tab'));
		}
	});
	return {
		// Without Web Locks, or refused (an opaque origin: `locked`), the refresh runs without one.
		lock: async (run) => locked(name, { ifAvailable: true }, async (lock) => lock ? run() : locked(name, {}, async () => undefined)),
		// A closed channel drops what is posted (utils/channel.ts): a refresh after close() tells nobody.
		refreshed: () => channel?.post(1),
		close: () => channel?.close(),
	};
};
