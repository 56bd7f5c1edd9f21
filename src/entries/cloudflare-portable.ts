/**
 * `steadfetch/cloudflare` as the `deno` and `edge-light` export conditions resolve it (the edge build
 * only): the same names, without `cloudflare:workers`, which only workerd resolves (so `unavailable()`
 * loads in Deno and Vercel's edge). Its `coordinator` has no running request's `waitUntil` to hand a sync
 * to: a call's own (`withContext(ctx)`) holds it. The types are `steadfetch/cloudflare`'s.
 */
import type { SharedBreaker } from '../breaker/shared.js';
import { coordinatorWith, type DurableObjectNamespaceLike } from '../cloudflare/index.js';

export { BreakerCoordinator, type DurableObjectNamespaceLike, type DurableObjectStateLike } from '../cloudflare/index.js';
export { unavailable } from '../cloudflare/unavailable.js';
export type { SharedBreaker, SharedCoordinator } from '../breaker/shared.js';
export type { SyncAnswer, SyncMessage, SharedPolicy } from '../breaker/sync.js';

/** See `coordinator` of `steadfetch/cloudflare` (src/cloudflare/coordinator.ts). */
export const coordinator = (namespace: DurableObjectNamespaceLike): SharedBreaker => coordinatorWith(namespace);
