import type { ClientOf as Client } from '../core/client-types.js';
import { followReach, probeMs } from '../core/reachability.js';
import { onLineListener } from './on-line.js';
import { takes } from './takes.js';

/** What `followReachability` uses of TanStack's `onlineManager` (any adapter's). */
export interface ReachabilityOnlineManager {
	setEventListener(setup: (setOnline: (online: boolean) => void) => (() => void) | undefined): void;
}

type Setup = Parameters<ReachabilityOnlineManager['setEventListener']>[0];

/** The follows of each `onlineManager` not unsubscribed yet, oldest first: it follows the last one. */
const follows = new WeakMap<ReachabilityOnlineManager, Setup[]>();

/**
 * Make TanStack's `onlineManager` follow a scope's reachability (`api.reachability(urlOrScope)`, from
 * what the client's own attempts see, and, with a breaker shared across tabs, what the attempts and probes of another tab
 * of its name got) instead of `navigator.onLine`: online unless the scope is
 * `unreachable` or `offline`, so TanStack pauses its queries and mutations only when that origin
 * cannot be reached, never behind a `navigator.onLine` that is wrong. While it is paused so, TanStack is told
 * online for a moment once every 10 000 ms (as an `offline` scope lets one attempt through per 10 s), so that its
 * paused queries and mutations (and those `refetchOnReconnect` refetches) try once: a paused tab alone, which no
 * other tab's answer reaches, finds the origin back within about 10 s of its return; a failure pauses them again. The
 * device back online (`navigator.onLine` true again, the scope `unreachable` from the attempts that failed as it went)
 * is such a moment at once, as TanStack's own `onlineManager` resumes at `online`. Returns the unsubscribe
 * function, which gives TanStack back a listener like its own (the window's `online` and `offline`
 * events, read as `navigator.onLine`) and sets it to `navigator.onLine` at once (in the `workerd`,
 * `deno` and `edge-light` builds, which have neither: online, nothing listened to). Called again
 * (another scope, another client), the last call's scope is followed; the unsubscribe of one that
 * is not the last changes nothing, the last one's gives back the one before it still subscribed.
 * A client closed while another client of its `extend()` family is open goes on reading the family's reachability
 * (`reachability()`), and TanStack goes on following it, as the open clients' followers do, until unsubscribed. Once
 * every client of the family is closed (its `reachability()` then `unknown`), TanStack is online again at the next
 * probe, which is the last.
 * A client without `reachability` or an `onlineManager` without `setEventListener` is a `TypeError` at once.
 * A `urlOrScope` that is no URL (nor a scope of the client's `scope` function) throws
 * `InvalidRequestError`, the `onlineManager` left as it was.
 *
 * @example useEffect(() => followReachability(api, onlineManager, 'https://api.example.com'), []);
 */
export const followReachability = (api: Pick<Client, 'on' | 'reachability'>, onlineManager: ReachabilityOnlineManager, urlOrScope: string | URL): (() => void) => {
	takes('followReachability', api, 'reachability');
	takes('followReachability', onlineManager, 'setEventListener');
	// A scope that is no URL throws here (InvalidRequestError), before TanStack's onlineManager holds a listener that would throw at each of its subscriptions.
	api.reachability(urlOrScope);
	const setup: Setup = (setOnline) => {
		let timer: ReturnType<typeof setTimeout> | undefined;
		let was: string | undefined;
		// Online for one turn: TanStack's paused queries and mutations try once. An answer makes the scope reachable (told);
		// a failure pauses them again, as they were.
		const turn = (): void => {
			setOnline(true);
			timer = setTimeout(() => {
				timer = undefined;
				tell();
			}, 0);
		};

		const tell = (): void => {
			const state = api.reachability(urlOrScope);
			const now = state !== 'unreachable' && state !== 'offline';
			// The device came back online (`navigator.onLine` true again) while the scope's last attempts had failed: a turn at
			// once, as TanStack's own `onlineManager` resumes at `online` (and the breaker turns half-open then), not at the
			// next 10 s turn.
			const back = was === 'offline' && state === 'unreachable';
			was = state;
			setOnline(now);
			if (now || back) {
				clearTimeout(timer);
				timer = undefined;
			}

			if (back) {
				turn();
			} else if (!now && timer === undefined) {
				// Paused, TanStack sends nothing that would find the scope back (a tab alone, no breaker open; a wrong
				// `navigator.onLine`): once every `probeMs` it is online for one turn. A probe already planned is kept: the
				// events of the other scopes (each change of any scope's reachability calls this) never push it back.
				timer = setTimeout(turn, probeMs);
				(timer as { unref?: () => void }).unref?.(); // A Node or Deno script whose calls are done exits.
			}
		};

		tell();
		// Told each change of the reachability the client's `extend()` family shares (`followReach`), also once the client is
		// closed, as its `reachability()` reads it; a client without that member (an app's stand-in), by its events.
		const follow = (api as { [followReach]?: (follow: () => void) => () => void })[followReach];
		const off = follow ? follow(tell) : api.on('reachability', tell);
		return () => {
			clearTimeout(timer);
			off();
		};
	};

	const following = follows.get(onlineManager) ?? [];
	follows.set(onlineManager, following);
	following.push(setup);
	onlineManager.setEventListener(setup);
	return () => {
		const at = following.indexOf(setup);
		if (at >= 0 && following.splice(at, 1) && at === following.length) {
			onlineManager.setEventListener(following[at - 1] ?? onLineListener);
		}
	};
};
