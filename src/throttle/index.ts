import { adaptiveThrottleAt } from '../bands/bands.js';
import type { Coordinator } from '../coordinator/fleet.js';
import type { Policy } from '../core/policy.js';
import { check, optionsOf, isNonNegativeInteger, isPositiveFinite } from '../utils/validate.js';
import { createThrottle, type ThrottleSettings } from './throttle.js';
import type { Counts } from './counts.js';
import type { ThrottleRejectedEvent } from './events.js';

/** What importing this policy adds to the client's types (`client.on`): its events. */
declare module 'steadfetch/core' {
	/** The `adaptiveThrottle` slot of `createClient`. */
	interface Slots {
		adaptiveThrottle: Policy<'adaptiveThrottle'>;
	}

	interface EventMap {
		'throttle:rejected': ThrottleRejectedEvent;
	}

	interface CallOptions {
		/**
		 * `false`: this call's attempts are neither refused nor counted by the throttle (with `adaptiveThrottle()`).
		 * @default undefined (each attempt goes through the throttle of its scope)
		 */
		adaptiveThrottle?: false;
	}
}

/** Options of the adaptive throttle (`adaptiveThrottle()` from `steadfetch/throttle`). */
export interface AdaptiveThrottleOptions {
	/**
	 * How many attempts each accepted one vouches for: attempts are refused with probability
	 * max(0, (requests − k × accepts) / (requests + 1)). Lower is more aggressive (1.1 refuses
	 * nearly what the origin would); a number of at least 1.
	 * @default 2
	 */
	k?: number;
	/**
	 * The sliding window `requests` and `accepts` are counted over, in ms (ten buckets of a tenth of
	 * it). Longer than your slowest answers (an attempt is counted when it ends). A positive finite number (no upper bound); one under 1 ms counts as 1 ms.
	 * @default 120_000
	 */
	windowMs?: number;
	/**
	 * Attempts the window must hold (this client's, the other tabs', or the fleet's with `shared`)
	 * before any is refused: a quiet scope is never throttled. A non-negative integer.
	 * @default 20
	 */
	minRequests?: number;
	/**
	 * The highest refusal probability, so some attempts always go and see the origin recover. A
	 * number in [0, 1].
	 * @default 0.9
	 */
	maxRejectRatio?: number;
	/**
	 * A coordinator shared by every isolate or process, the same value `breaker({ shared })` takes:
	 * `coordinator(env.STEADFETCH)` from `steadfetch/cloudflare`, `coordinator(kv)` from
	 * `steadfetch/deno`, `coordinator(evaluate)` from `steadfetch/redis`, or `sharedCoordinator(sync)`. Each isolate reports its counts at most once
	 * a second per scope (a tenth of `windowMs` when shorter), in the background (the call's
	 * `waitUntil`), and decides from the fleet's window; a call waits for the coordinator, at most
	 * 100 ms, only when the isolate has no answer of it from the last two syncs (its first call to a
	 * scope, or one after a quiet spell: an isolate that sends little still decides by the fleet's
	 * window), and not while a sync is under way. A coordinator that fails or does not answer within
	 * 2 000 ms leaves this isolate to its own counts (`storage:error`, once per episode).
	 * @default undefined (this client's counts, and its tabs')
	 */
	shared?: Coordinator;
}

/**
 * Client-side adaptive throttling, for the `adaptiveThrottle` slot (Google SRE book, "Handling
 * Overload"): per scope, each attempt is refused locally, with no I/O, with probability
 * max(0, (requests − k × accepts) / (requests + 1)), capped at `maxRejectRatio`, once the window
 * holds `minRequests` attempts (time is the client's `clock`; refused when its `random()`, drawn only
 * when p > 0, is below p). `requests` counts every attempt that reaches it (retries and hedges too,
 * refused ones included), when it ends; `accepts` the attempts answered with a status `classify()`
 * does not call transient (a 404 is an accept; a 503, a 429, a network failure or a timeout is not).
 * The caller's abort and a hedge that lost count as neither, and so, on purpose, does a refusal of
 * a policy below it (an open breaker, a full bulkhead, a rate limit: the origin said nothing) or of a steadfetch
 * service worker's client (its `503` whose `Steadfetch-Error` is not `NETWORK` or `TIMEOUT`: steadfetch/sw, or its stale copy
 * for one; its copy for a network failure, a timeout or a 5xx is no accept), and an
 * error of the app's own (`classify()`: `UNKNOWN`, a failing `fetch` wrapper of its own). A
 * refused attempt rejects with `ThrottledError` (never retried), fires `throttle:rejected`, and a
 * read with a stored copy is answered stale (`detail=throttled`). The counts are shared by the tabs
 * of the client's `name` (BroadcastChannel, at most a message per scope a second; what the other tabs tell of a scope
 * counts at most 100 000 attempts a second, however many messages) and, with
 * `shared`, by every isolate. A client and the clients its `extend()` makes that keep its `name`, its `store`
 * and this policy object share one throttle (its counts, read on the `clock` of the first of them, its channel to the
 * tabs, which reports to each of them running, and link to the fleet, its `stats()`), open until the last of them closes; a child given an `adaptiveThrottle()` of its own (or `false`),
 * another `name` or another `store`, and a client `create()` makes, have their own.
 * Per call, `adaptiveThrottle: false` opts out. Bad options throw a `RangeError` naming the option and the value.
 *
 * @example
 * import { adaptiveThrottle } from 'steadfetch/throttle';
 * const api = createClient({ adaptiveThrottle: adaptiveThrottle() });
 */
export const adaptiveThrottle = (options?: AdaptiveThrottleOptions): Policy<'adaptiveThrottle'> => {
	const { k = 2, windowMs = 120_000, minRequests = 20, maxRejectRatio = 0.9, shared } = optionsOf(options, 'adaptiveThrottle');
	check(isPositiveFinite(k) && k >= 1, 'adaptiveThrottle.k', k, 'a finite number of at least 1');
	check(isPositiveFinite(windowMs), 'adaptiveThrottle.windowMs', windowMs, 'a positive finite number of ms');
	check(isNonNegativeInteger(minRequests), 'adaptiveThrottle.minRequests', minRequests, 'a non-negative integer');
	check(typeof maxRejectRatio === 'number' && maxRejectRatio >= 0 && maxRejectRatio <= 1, 'adaptiveThrottle.maxRejectRatio', maxRejectRatio, 'a number in [0, 1]');
	check(shared === undefined || typeof shared?.fleet === 'function', 'adaptiveThrottle.shared', shared, 'a coordinator');
	const settings: ThrottleSettings = { k, windowMs, minRequests, maxRejectRatio, shared };
	const families = new WeakMap<object, Counts>();
	return { slot: 'adaptiveThrottle', at: adaptiveThrottleAt, create: (context) => createThrottle(context, settings, families) };
};
