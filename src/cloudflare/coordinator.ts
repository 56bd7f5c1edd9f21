import type { SharedBreaker } from '../breaker/shared.js';
import { ambientWaitUntil } from './ambient.js';
import { coordinatorWith, type DurableObjectNamespaceLike } from './index.js';

/**
 * The coordinator of `breaker({ shared })` over a Durable Object namespace bound to
 * `BreakerCoordinator`: one object per client `name` and scope (named by a SHA-256 of both), reached
 * with `stub.fetch`, so isolates share a scope's breaker and throttle only when their clients have the
 * same `name`; clients of other names on the same namespace keep their own. Isolates cache its answer
 * (`sharedCacheMs`, at most 1 s) and fall back to their own breaker when it fails or is slow. Give
 * each request's calls its `waitUntil` (`api.withContext(ctx)`), so a failure reported without
 * waiting still lands after the response is sent.
 *
 * @example
 * export { BreakerCoordinator } from 'steadfetch/cloudflare';
 * // in fetch(request, env):
 * api ??= createClient({ breaker: breaker({ shared: coordinator(env.STEADFETCH) }) });
 */
export const coordinator = (namespace: DurableObjectNamespaceLike): SharedBreaker => coordinatorWith(namespace, ambientWaitUntil);
