/**
 * `steadfetch/cloudflare`: the breaker shared by every isolate through a Durable Object per scope,
 * and `unavailable(error)`: a Worker's 503 with `Retry-After` for a call steadfetch refused.
 */
export { BreakerCoordinator, type DurableObjectNamespaceLike, type DurableObjectStateLike } from '../cloudflare/index.js';
export { coordinator } from '../cloudflare/coordinator.js';
export { unavailable } from '../cloudflare/unavailable.js';
export type { SharedBreaker, SharedCoordinator } from '../breaker/shared.js';
export type { SyncAnswer, SyncMessage, SharedPolicy } from '../breaker/sync.js';
