// What `steadfetch` and `steadfetch/core` both export (besides `createClient`).
export type { ClientOf, ClientBase, ClientStats, CallFunction, ContextLike, ContextOptions, ContextClient, ContextStats, BreakerHandle, BreakerMembers, CacheHandle, CacheMembers, CachedEntry, OutboxMembers, CoreMembers, PresetMembers, MembersOf, ExtendedMembers } from '../core/client-types.js';
export type { BaseClientOptions, CallOptions, WaitUntil } from '../core/options.js';
export type { BreakerSnapshot } from '../breaker/snapshot.js';
export type { Outbox, OutboxEntry } from '../outbox/types.js';
export type { RetryBudgetOptions } from '../retry/budget.js';
export type { ScopeStats } from '../core/stats.js';
export type { Clock } from '../core/types.js';
export type * from '../core/event-types.js';

export { SteadfetchError, isSteadfetchError, type SteadfetchErrorCode } from '../errors/SteadfetchError.js';
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
export type { KeyValueStore, StoreFactory } from '../stores/types.js';

export { HTTPError, TimeoutError, NetworkError, KyError, SchemaValidationError, ForceRetryError, isHTTPError, isTimeoutError, isNetworkError, isKyError, replaceOption } from 'ky';
export type { Input, Options, ResponsePromise, RetryOptions, KyResponse, KyInstance } from 'ky';
