import { storageError } from '../core/part-store.js';
import type { PolicyContext } from '../core/policy.js';
import { isNewer, openChannel } from '../utils/channel.js';
import { locked } from '../utils/lock.js';

/** The refresh shared by the tabs of the client's name and origins (`linkTabs`). */
export interface TabLink {
	/**
	 * `run` the refresh under its Web Lock (without one where the runtime has no Web Locks). The lock
	 * held elsewhere means another tab is refreshing right now: wait for it to finish and for its word (which may
	 * come a moment after the lock), and run nothing — unless `again()` says that refresh served a session that had
	 * ended (its token is not this one's), or no word came (what held it was no refresh: a replay waiting for one, a
	 * tab gone mid-refresh): then try again.
	 */
	lock(run: () => Promise<void>, again: () => boolean): Promise<void>;
	/**
	 * Tell the other tabs a refresh finished, for `identity`, and whether its session was `current` as it ended (never
	 * the token); `ok` false: it failed (their waiters do not run one of their own for it), told at once with `current`
	 * true, and again with `current` false once it settled after its session ended (it may have stored a token: theirs
	 * note it as such a refresh's, as for a success).
	 */
	refreshed(identity: string | undefined, current: boolean, ok: boolean): void;
	/** The channel closes; the lock is still taken for a refresh. */
	close(): void;
}

/**
 * The refresh shared by the tabs of one client: its Web Lock and the channel that says one finished,
 * both named after the client's `name` and the origins it guards (`prefixes`), so tabs of one client
 * share a refresh and two clients of one page for two APIs (each its own token and refresh) never
 * wait for, nor skip for, the other's. Another tab's word that its refresh finished (`{ identity, current, ok }`: the
 * identity of the session it served, whether that session was still signed in as it ended, whether it succeeded, and
 * `by`: which `auth()` ran it (a random number of its state: the clients of this tab given it hear their own word);
 * `1` from an earlier build) releases the waiters; a success goes to `heard` (a waiter then skips its own, unless that
 * session is not the one signed in here) and is emitted as a shared `auth:refresh`. A newer build's word (an object
 * with a `v`, or without `current`) is ignored quietly; anything else is ignored and reported as `storage:error`
 * (operation `channel`), without its content. The `workerd`/`deno`/`edge-light` build has
 * `tabs-edge.ts` instead (no tabs, channel or Web Locks there): no link, and a refresh runs without a lock.
 */
export const linkTabs = (context: PolicyContext, prefixes: readonly string[], by: number, heard: (identity: string | undefined, current: boolean) => void): TabLink | undefined => {
	const name = `steadfetch:${context.name}/auth ${prefixes}`;
	/** Words heard from the other tabs. */
	let words = 0;
	const channel = openChannel(name, (data) => {
		// `1`: a tab of an earlier build (a refresh of the session signed in there). Else the identity and whether its session was current.
		// A word with a `v` is a newer build's (this one's has none), whatever else it holds: it may mean anything, so it is not taken.
		const { v, identity, current, ok, by: from } = data === 1 ? { identity: context.identity(), current: true } : Object(data) as { v?: unknown; identity?: string; current?: unknown; ok?: unknown; by?: unknown };
		if (v === undefined && typeof current === 'boolean' && (identity === undefined || typeof identity === 'string')) {
			words++;
			// A failure is told only to the waiters (the event tells successes), unless it left a token of a session that ended
			// (`current` false); a refresh of this `auth()` is not heard at all (`by`: a client of this tab given it, an `extend()`:
			// their state is one, and it was told here as it ended).
			if (from !== by && (ok !== false || !current)) {
				heard(identity, current);
				if (ok !== false) {
					context.emit('auth:refresh', { ok: true, durationMs: 0, shared: true });
				}
			}
		} else if (!isNewer(data, ({ v, current }) => v === undefined && current !== undefined)) {
			storageError(context, 'auth', 'channel', new TypeError('Ignored a malformed auth message from another tab'));
		}
	});
	return {
		// Without Web Locks, or refused (an opaque origin: `locked`), the refresh runs without one.
		lock: async (run, again) => {
			for (let before = words; !await locked(name, { ifAvailable: true }, async (lock) => lock ? run().then(() => true) : locked(name, {}, async () => false)); before = words) {
				for (let wait = 5; words === before && wait <= 320; wait *= 2) {
					await new Promise((resolve) => setTimeout(resolve, wait));
				}

				if (words !== before && !again()) {
					return;
				}
			}
		},
		// A closed channel drops what is posted (utils/channel.ts): a refresh after close() tells nobody.
		refreshed: (identity, current, ok) => channel?.post({ identity, current, ok, by }),
		close: () => channel?.close(),
	};
};
