import { staleCacheAt } from '../bands/bands.js';
import type { CacheMembers, CacheParts } from './members.js';
import type { Policy } from '../core/policy.js';
import { check, optionsOf, checkRules, isPositiveFinite, isPositiveInteger, isPositiveTimerMs, type Rule, positiveTimerMsOrFalse } from '../utils/validate.js';
import { createCache } from './cache.js';
import { hasIndexedDb } from '../utils/has-indexeddb.js';
import type { CacheOptions } from './options.js';
import type { CacheStaleEvent, CacheStoredEvent, CacheSupersededEvent } from './events.js';

/**
 * What importing this policy adds to the client's types (`client.on`, a call's options, the client's
 * members): its events, its per-call option `staleCache`, and the member `cache` of a client whose
 * `staleCache` slot it fills.
 */
declare module 'steadfetch/core' {
	interface PolicyHooks {
		/**
		 * Set by the stale cache: the validators (`etag`, `lastModified`) of the copy it holds for an
		 * absolute URL and identity, for the outbox's `conditional` writes; with the write's `request`,
		 * of the copy of its credentials (the same key as a read of them), none when there is none.
		 */
		validatorOf?(url: string, identity: string | undefined, request?: Request): Promise<{ etag?: string; lastModified?: string } | undefined>;
	}

	/** The `staleCache` slot of `createClient`. */
	interface Slots {
		staleCache: Policy<'staleCache'>;
	}

	interface EventMap {
		'cache:stored': CacheStoredEvent;
		'cache:stale': CacheStaleEvent;
		'cache:superseded': CacheSupersededEvent;
	}

	interface CallOptions {
		/**
		 * `false` skips the stale cache for this call: nothing stored, nothing served. (`cache: 'no-store'` does too.)
		 * `{ networkTimeoutMs }`: this call's deadline for a stored copy to answer, in ms, or `false` for
		 * none (the copy answers only a failure); see the stale cache's `networkTimeoutMs`.
		 * @default undefined (the client's stale cache applies, with its `networkTimeoutMs`)
		 */
		staleCache?: false | { networkTimeoutMs?: number | false };
	}

	interface SlotMembers {
		staleCache: CacheMembers;
	}
}

export { isStale } from './is-stale.js';

/** Each option checked when given (a RangeError naming it). */
const rules: Record<string, Rule> = {
	// An age: any positive finite value (API.md "Option values"); 0 would serve no copy and remove each as it is met.
	'staleCache.maxStaleMs': [isPositiveFinite, 'a positive finite number of ms'],
	'staleCache.networkTimeoutMs': [(value) => value === false || isPositiveTimerMs(value), positiveTimerMsOrFalse],
	'staleCache.maxEntries': [isPositiveInteger, 'a positive integer'],
	// Whole bytes, at least one: 0 would keep nothing but empty bodies (`staleCache: false` says "none").
	'staleCache.maxBodyBytes': [isPositiveInteger, 'a positive integer'],
	'staleCache.shared': [(value) => typeof value === 'boolean', 'a boolean'],
};

/**
 * The stale cache, for the `staleCache` slot of `createClient` (see `CacheOptions`). Bad options
 * throw a `RangeError` naming the option and the value, here; so does `sensitiveHeaders`, which is
 * the client's option now (`createClient({ sensitiveHeaders })`, read by every part).
 *
 * @example
 * import { createClient } from 'steadfetch/core';
 * import { staleCache } from 'steadfetch/cache';
 * const api = createClient({ staleCache: staleCache({ maxStaleMs: 86_400_000 }) });
 */
export const staleCache = (given?: CacheOptions): Policy<'staleCache', CacheParts> => {
	const options = optionsOf(given, 'staleCache');
	checkRules(options, rules, 'staleCache.');
	check((options as Record<string, unknown>)['sensitiveHeaders'] === undefined, 'staleCache.sensitiveHeaders', 'given', "given as the client's `sensitiveHeaders`");
	const { maxStaleMs = 86_400_000, networkTimeoutMs = 3000, maxEntries = 500, maxBodyBytes = 1_048_576, shared = !hasIndexedDb() } = options;
	const resolved = { maxStaleMs, networkTimeoutMs, maxEntries, maxBodyBytes, shared };
	return { slot: 'staleCache', at: staleCacheAt, create: (context) => createCache(context, resolved) };
};
