import type { Options as KyOptions, RetryOptions } from 'ky';
import type { BreakerOptions } from './breaker/options.js';
import type { CacheOptions } from './cache/options.js';
import type { Clock } from './core/types.js';
import type { OutboxOptions } from './outbox/options.js';
import type { RetryBudgetOptions } from './retry/budget.js';
import type { StoreFactory } from './stores/types.js';

/**
 * Options of `createClient`: every ky option, plus the keys below.
 *
 * Defaults that differ from ky's: `retry.jitter` is full jitter (drawn from `random`),
 * `retry.retryOnTimeout` is `true`, `retry.backoffLimit` is 30 000 ms, and POST and PATCH are
 * retried only when the request carries an `Idempotency-Key` header.
 */
export interface ClientOptions extends Omit<KyOptions, 'cache'> {
	/**
	 * Limit retries per scope to a share of first attempts over a sliding window, so an outage
	 * does not multiply traffic. `false` turns it off.
	 * @default { ratio: 0.1, minRetries: 10, windowMs: 10_000 }
	 */
	retryBudget?: RetryBudgetOptions | false;
	/**
	 * The per-scope circuit breaker. `false` turns it off.
	 * @default on, see `BreakerOptions`
	 */
	breaker?: BreakerOptions | false;
	/**
	 * The stale cache fallback for GET. `false` turns it off.
	 * @default on, see `CacheOptions`
	 */
	cache?: CacheOptions | false;
	/**
	 * The offline outbox for mutations. Off until `true` or options turn it on, because queuing
	 * changes what a failed mutation means.
	 * @default false
	 */
	outbox?: OutboxOptions | boolean;
	/**
	 * Where persisted state (stale cache, outbox, breaker state) lives.
	 * @default autoStore (IndexedDB, else the Cache API, else memory)
	 */
	store?: StoreFactory;
	/**
	 * Namespace of persisted state and of the cross-tab channel. Two clients with the same name
	 * share persisted state.
	 * @default 'steadfetch'
	 */
	name?: string;
	/**
	 * The clock every policy reads, in epoch ms. Inject one in tests for exact time.
	 * @default Date.now
	 */
	clock?: Clock;
	/**
	 * Random source in [0, 1) for retry jitter and outbox backoff (ids use crypto.randomUUID). Inject one in tests.
	 * @default Math.random
	 */
	random?: () => number;
}

/** Options of one call: ky's, plus the keys below. */
export interface CallOptions extends Omit<KyOptions, 'cache'> {
	/**
	 * `false` skips the stale cache for this call: nothing stored, nothing served. A string is
	 * fetch's own `RequestCache` mode and is passed to fetch; `'no-store'` also skips the stale cache.
	 */
	cache?: false | RequestCache;
	/**
	 * `false`: never queue this call. `true`: make this call eligible even if its method is not in
	 * `outbox.methods`. Ignored when the client has no outbox.
	 */
	outbox?: boolean;
	/** `false` bypasses the breaker for this call (it is neither blocked nor counted). */
	breaker?: false;
	/**
	 * Send an `Idempotency-Key` header: `true` makes a fresh UUID, a string is used as is. With it,
	 * POST and PATCH are retried like idempotent methods.
	 */
	idempotencyKey?: string | true;
}

export type { RetryOptions };
