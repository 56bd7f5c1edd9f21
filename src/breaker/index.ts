import { breakerAt } from '../bands/bands.js';
import { optionsOf } from '../utils/validate.js';
import type { Policy, PolicyCall } from '../core/policy.js';
import type { BreakerMembers, BreakerParts } from './members.js';
import type { BreakerSnapshot } from './snapshot.js';
import { createBreaker } from './breaker.js';
import { resolve, type BreakerOptions } from './options.js';
import type { BreakerEvent } from './events.js';

/**
 * What importing this policy adds to the client's types (`client.on`, a call's options, the client's
 * members, `stats()`): its events, its per-call option `breaker`, the members `breaker` and
 * `waitForHealthy` of a client whose `breaker` slot it fills, and each scope's `breaker` snapshot.
 */
declare module 'steadfetch/core' {
	interface PolicyHooks {
		/**
		 * Set by the breaker slot: true when the retry ky is about to wait for after `error` (an attempt of `call`; the
		 * retry goes to `url`) would find the scope open when it goes, ky's delay (`timed`: read from the answer's headers,
		 * else at most ky's `backoffLimit`) ending before the open period (one opened by answers, not by failures a
		 * recovery trigger may cut short) or an isolated scope. The core then makes no retry: the call ends at once with
		 * that error, not with `CircuitOpenError` after a wait for nothing (a `Retry-After` beyond `maxRetryAfter`).
		 */
		refusesRetry?(call: PolicyCall, url: string, error: Error, timed: boolean): boolean;
	}

	/** The `breaker` slot of `createClient`. */
	interface Slots {
		breaker: Policy<'breaker'>;
	}

	interface EventMap {
		'breaker:open': BreakerEvent<'breaker:open'>;
		'breaker:half-open': BreakerEvent<'breaker:half-open'>;
		'breaker:closed': BreakerEvent<'breaker:closed'>;
	}

	interface CallOptions {
		/**
		 * `false` bypasses the breaker for this call (it is neither blocked nor counted).
		 * @default undefined (the breaker counts and guards the call)
		 */
		breaker?: false;
	}

	interface SlotMembers {
		breaker: BreakerMembers;
	}

	interface PolicyStats {
		/** The scope's breaker, as `client.breaker(url)` shows it. */
		breaker: BreakerSnapshot;
	}
}

/**
 * The per-scope circuit breaker, for the `breaker` slot of `createClient` (see `BreakerOptions`).
 * Bad options throw a `RangeError` naming the option and the value, here.
 *
 * In a page, a change of state and the failure counts are stored behind the call that changed
 * them (a few ms after it settles, as all of the client's background work): a reload or a crash
 * before that write completed starts from the state and counts stored before it (one failure
 * fewer in a row, a breaker closed that had just opened). The other open tabs know at once.
 *
 * @example
 * import { createClient } from 'steadfetch/core';
 * import { breaker } from 'steadfetch/breaker';
 * const api = createClient({ breaker: breaker({ consecutiveFailures: 3 }) });
 */
export const breaker = (given?: BreakerOptions): Policy<'breaker', BreakerParts> => {
	const options = optionsOf(given, 'breaker');
	resolve(options);
	return { slot: 'breaker', at: breakerAt, create: (context) => createBreaker(context, options) };
};
