// What `steadfetch` and `steadfetch/core` both export (besides `createClient`).
export type { ClientOf, ClientBase, ClientStats, CallFunction, ContextLike, ContextOptions, ContextClient, ContextStats, CoreMembers, MembersOf, ExtendedMembers, SlotMembers, PolicyStats } from '../core/client-types.js';
// Each policy's members (its own module adds them to `SlotMembers`), and the preset's: the names only.
export type { BreakerHandle, BreakerMembers } from '../breaker/members.js';
export type { CacheHandle, CacheMembers, CachedEntry } from '../cache/members.js';
export type { PresetMembers } from './options.js';
export type { BaseClientOptions, CallOptions, WaitUntil } from '../core/options.js';
export type { PolicyHooks, Slots } from '../core/policy.js';
export type { BreakerSnapshot } from '../breaker/snapshot.js';
export type { Outbox, OutboxEntry, OutboxMembers } from '../outbox/types.js';
export type { RetryBudgetOptions } from '../retry/budget.js';
export type { ScopeStats } from '../core/stats.js';
export type { Clock } from '../core/types.js';
export type * from '../core/event-types.js';
// The policies' events, as both entries exported them before each policy declared its own: the names
// only. `client.on` knows a policy's events where its factory is imported (its factory's module
// augments `EventMap`), so a program of `steadfetch/core` alone is not offered them.
export type { BreakerEvent } from '../breaker/events.js';
export type { CacheStoredEvent, CacheStaleEvent, CacheSupersededEvent } from '../cache/events.js';
export type { OutboxEvent, OutboxEventType } from '../outbox/events.js';
export type { BulkheadRejectedEvent } from '../bulkhead/events.js';
export type { RateLimitWaitEvent } from '../rate-limit/events.js';
export type { ThrottleRejectedEvent } from '../throttle/events.js';
export type { HedgeEvent } from '../hedge/events.js';
export type { FailoverEvent } from '../failover/events.js';
export type { AuthRefreshEvent } from '../auth/events.js';
export type { ScopeHealthEvent } from '../health/events.js';
export type { AttemptEvent } from '../trace/events.js';

export { SteadfetchError, isSteadfetchError, type ErrorCodes, type SteadfetchErrorCode } from '../errors/SteadfetchError.js';
export { CircuitOpenError } from '../errors/CircuitOpenError.js';
export { OutboxQueuedError } from '../errors/OutboxQueuedError.js';
export { OutboxFullError } from '../errors/OutboxFullError.js';
export { InvalidRequestError } from '../errors/InvalidRequestError.js';
export { BulkheadFullError } from '../errors/BulkheadFullError.js';
export { RateLimitedError } from '../errors/RateLimitedError.js';
export { ThrottledError } from '../errors/ThrottledError.js';
export { StorageTimeoutError } from '../errors/StorageTimeoutError.js';
export { AuthError } from '../errors/AuthError.js';
export { classify, type Classification } from '../errors/classify.js';
export { isFallback } from '../core/fallback.js';

export { memoryStore } from '../stores/memory.js';
export { indexedDbStore } from '../stores/indexeddb.js';
export { cacheApiStore } from '../stores/cache-api.js';
export { autoStore } from '../stores/auto.js';
export type { KeySpan, KeyValueStore, StoreFactory } from '../stores/types.js';

export { HTTPError, TimeoutError, NetworkError, KyError, SchemaValidationError, ForceRetryError, isHTTPError, isTimeoutError, isNetworkError, isKyError, replaceOption } from 'ky';
export type { Input, Options, ResponsePromise, RetryOptions, KyResponse, KyInstance } from 'ky';
