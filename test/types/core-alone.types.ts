/**
 * Type tests of `steadfetch/core` alone, checked by `npm run typecheck` as a program of their own
 * (test/types/tsconfig.core-alone.json: this file and what it imports, no policy): the core's sources
 * compile without any policy's declarations (the core names no policy), and `client.on` and a call's
 * options know the core's events and keys only. Each policy adds its own where its factory is
 * imported (test/types/client.types.ts; on the built package, test/node/consumer-types.test.ts).
 */
import { createClient, type ClientStats, type EventMap, type EventType, type PolicyStats, type SlotMembers } from '../../src/entries/core.js';

/** Whether two types are the same (not merely assignable). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;

const api = createClient();
export const exactly: Same<EventType, 'retry' | 'budget:exhausted' | 'storage:error' | 'reachability' | 'scope:back' | 'write:delivered'> = true;
export const retried = api.on('retry', (event: EventMap['retry']) => event.retryCount);
export const every = api.on('*', (event) => (event.type === 'storage:error' ? event.part : event.scope));
export const called = api.get('x', { fallback: null, idempotencyKey: 'k', waitUntil: () => undefined });

// @ts-expect-error no policy imported: no breaker event
api.on('breaker:open', () => undefined);
// @ts-expect-error nor any other policy's
api.on('outbox:queued', () => undefined);
// @ts-expect-error no policy imported: no per-call `breaker`
api.get('x', { breaker: false });
// @ts-expect-error nor `staleCache`
api.get('x', { staleCache: false });

// The core names no policy's members or view of a scope: with no policy imported there are none.
export const noMembers: Same<keyof SlotMembers, never> = true;
export const noStats: Same<keyof PolicyStats, never> = true;
export const noBreakerStats: Same<ClientStats[string]['breaker'], unknown> = true;
export const noHealthStats: Same<ReturnType<typeof api.stats>[string]['latency'], unknown> = true;
// @ts-expect-error no breaker: no `breaker` member
api.breaker;
// @ts-expect-error nor `waitForHealthy`
api.waitForHealthy;
// @ts-expect-error no stale cache: no `cache` member
api.cache;
// @ts-expect-error no outbox: no `outbox` member
api.outbox;
// @ts-expect-error nor after `extend` or `create`
api.extend({ retry: 1 }).breaker;
