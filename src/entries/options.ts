import type { BreakerOptions } from '../breaker/options.js';
import type { CacheOptions } from '../cache/options.js';
import type { BaseClientOptions } from '../core/options.js';
import type { Policy } from '../core/policy.js';
import type { OutboxOptions } from '../outbox/options.js';
import type { BulkheadOptions } from '../bulkhead/index.js';
import type { RateLimitOptions } from '../rate-limit/index.js';
import type { HedgeOptions } from '../hedge/index.js';
import type { FailoverOptions } from '../failover/index.js';
import type { AuthOptions } from '../auth/index.js';
import type { TraceOptions } from '../trace/index.js';

/**
 * Options of `createClient` from `steadfetch`: every ky option, the core's keys, and each policy
 * slot as plain options (or `true` for its defaults, `false` for off, or a policy from its entry).
 *
 * Defaults that differ from ky's: `retry.jitter` is full jitter (drawn from `random`),
 * `retry.retryOnTimeout` is `true`, `retry.backoffLimit` and `retry.maxRetryAfter` are 30 000 ms,
 * and POST and PATCH are retried only when the request carries an `Idempotency-Key` header.
 */
export interface ClientOptions extends BaseClientOptions {
	/**
	 * Request ids and W3C trace context: `true` (request id header `X-Request-ID`, headers only to
	 * the client's own origins), `{ requestIdHeader, propagateTo }`, or a trace policy. Off by default.
	 * @default false
	 */
	trace?: boolean | TraceOptions | Policy<'trace'>;
	/**
	 * The per-scope circuit breaker. `false` turns it off.
	 * @default on, see `BreakerOptions`
	 */
	breaker?: BreakerOptions | Policy<'breaker'> | boolean;
	/**
	 * The stale cache fallback for GET and HEAD. `false` turns it off. A string is fetch's own
	 * `RequestCache` mode, passed to fetch; `'no-store'` also turns the stale cache off.
	 * @default on, see `CacheOptions`
	 */
	cache?: CacheOptions | Policy<'cache'> | boolean | RequestCache;
	/**
	 * The offline outbox for mutations. Off until `true` or options turn it on, because queuing
	 * changes what a failed mutation means.
	 * @default false
	 */
	outbox?: OutboxOptions | Policy<'outbox'> | boolean;
	/**
	 * A concurrency limit per scope (see `BulkheadOptions`). Off unless given: a limit changes how
	 * long a burst waits.
	 * @default false
	 */
	bulkhead?: BulkheadOptions | Policy<'bulkhead'> | boolean;
	/**
	 * Identical in-flight GET/HEAD calls share one request (`dedupe()` from `steadfetch/dedupe`).
	 * @default false
	 */
	dedupe?: Policy<'dedupe'> | boolean;
	/**
	 * A token bucket per scope that learns the server's budget from its headers (see
	 * `RateLimitOptions`). Off unless given.
	 * @default false
	 */
	rateLimit?: RateLimitOptions | Policy<'rateLimit'> | boolean;
	/**
	 * A second attempt when the first is slow, paid from the retry budget (see `HedgeOptions`).
	 * Off unless given: hedging adds requests.
	 * @default false
	 */
	hedge?: HedgeOptions | Policy<'hedge'> | boolean;
	/**
	 * Origin failover: a GET, HEAD or keyed call that failed transiently is sent to the primary's
	 * mirrors in order (see `FailoverOptions`). Off unless given.
	 * @default false
	 */
	failover?: FailoverOptions | Policy<'failover'> | false;
	/**
	 * Bearer tokens with one refresh at a time across tabs on a 401 (see `AuthOptions`). Off unless given.
	 * @default false
	 */
	auth?: AuthOptions | Policy<'auth'> | false;
}
