/**
 * `steadfetch`: `createClient` with every policy available as plain options, defaults on as
 * API.md states (breaker, retry budget and stale cache on; outbox off). A thin preset over
 * `steadfetch/core`: plain options build each policy with its factory.
 */
import { breaker } from '../breaker/index.js';
import { staleCache } from '../cache/index.js';
import type { Client } from '../core/client-types.js';
import { assemble } from '../core/create-client.js';
import { requestCacheKey, type CoreClientOptions } from '../core/options.js';
import { isPolicy, type Policy, type SlotName } from '../core/policy.js';
import { checkOptionsObject } from '../core/validate-options.js';
import { withTrace } from '../trace/resolve.js';
import { outbox } from '../outbox/index.js';
import { bulkhead } from '../bulkhead/index.js';
import { dedupe } from '../dedupe/index.js';
import { rateLimit } from '../rate-limit/index.js';
import { hedge } from '../hedge/index.js';
import { failover } from '../failover/index.js';
import { auth } from '../auth/index.js';
import type { ClientOptions } from './options.js';

export * from './common.js';
export type { ClientOptions } from './options.js';
export type { CoreClientOptions } from '../core/options.js';
export type { BreakerOptions } from '../breaker/options.js';
export type { CacheOptions } from '../cache/options.js';
export type { OutboxOptions } from '../outbox/options.js';
export { breaker } from '../breaker/index.js';
export { staleCache, isStale } from '../cache/index.js';
export { outbox, outboxSyncHandler, type SyncEventLike } from '../outbox/index.js';
export { bulkhead, type BulkheadOptions } from '../bulkhead/index.js';
export { dedupe } from '../dedupe/index.js';
export { rateLimit, type RateLimitOptions } from '../rate-limit/index.js';
export { hedge, type HedgeOptions } from '../hedge/index.js';
export { failover, type FailoverOptions } from '../failover/index.js';
export { auth, type AuthOptions } from '../auth/index.js';
export { AuthError } from '../errors/AuthError.js';
export { trace, type TraceOptions } from '../trace/index.js';

/** A slot's value as the core takes it: a policy, `false`, or what the core will reject by name. */
const fill = <S extends SlotName>(value: unknown, make: (options: object) => Policy<S>, on: boolean): unknown => {
	if (value === undefined ? !on : value === false) {
		return false;
	}

	if (value === undefined || value === true) {
		return make({});
	}

	return typeof value === 'object' && value !== null && !isPolicy(value) ? make(value) : value;
};

const resolve = (options: ClientOptions): CoreClientOptions => {
	const { cache } = options;
	const mode = typeof cache === 'string' ? cache : undefined;
	return withTrace({
		...options,
		breaker: fill(options.breaker, breaker, true),
		cache: mode === undefined ? fill(cache, staleCache, true) : mode !== 'no-store' && staleCache(),
		outbox: fill(options.outbox, outbox, false),
		bulkhead: fill(options.bulkhead, bulkhead, false),
		dedupe: fill(options.dedupe, dedupe, false),
		rateLimit: fill(options.rateLimit, rateLimit, false),
		hedge: fill(options.hedge, hedge, false),
		failover: fill(options.failover, failover as (options: object) => Policy<'failover'>, false),
		auth: fill(options.auth, auth as (options: object) => Policy<'auth'>, false),
		...(mode === undefined ? {} : { [requestCacheKey]: mode }),
	} as CoreClientOptions);
};

/**
 * Create a client. Every ky option works unchanged; see `ClientOptions` for the rest. Throws a
 * `TypeError` for anything but an options object (or nothing), a `RangeError` naming the option
 * for a value out of range.
 *
 * @example
 * const api = createClient({ prefix: 'https://api.example.com/v1/', timeout: 8_000 });
 * const user = await api.get('users/1').json();
 */
export function createClient(options?: ClientOptions): Client<ClientOptions> {
	checkOptionsObject(options);
	return assemble(options ?? {}, resolve);
}
