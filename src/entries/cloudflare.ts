/** `steadfetch/cloudflare`: the breaker shared by every isolate through a Durable Object per scope. */
export { BreakerCoordinator, coordinator, type DurableObjectNamespaceLike, type DurableObjectStateLike } from '../cloudflare/index.js';
export type { SharedBreaker, SharedCoordinator } from '../breaker/shared.js';
export type { SyncAnswer, SyncMessage, SharedPolicy } from '../coordinator/machine.js';
