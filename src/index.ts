export { createClient } from './client.js';
export type { BreakerSnapshot, Client, ClientStats } from './client.js';
export type { CallOptions, ClientOptions } from './options.js';
export type { BreakerOptions } from './breaker/options.js';
export type { CacheOptions } from './cache/options.js';
export type { OutboxOptions } from './outbox/options.js';
export type { Outbox, OutboxEntry } from './outbox/types.js';
export type { RetryBudgetOptions } from './retry/budget.js';
export type { ScopeStats } from './core/stats.js';
export type { Clock } from './core/types.js';
export type * from './core/event-types.js';

export { SteadfetchError, isSteadfetchError } from './errors/SteadfetchError.js';
export { CircuitOpenError } from './errors/CircuitOpenError.js';
export { OutboxQueuedError } from './errors/OutboxQueuedError.js';
export { OutboxFullError } from './errors/OutboxFullError.js';
export { InvalidRequestError } from './errors/InvalidRequestError.js';
export { classify, type Classification } from './errors/classify.js';
export { isStale } from './cache/is-stale.js';
export { outboxSyncHandler, type SyncEventLike } from './outbox/sync.js';

export { memoryStore } from './stores/memory.js';
export { indexedDbStore } from './stores/indexeddb.js';
export { cacheApiStore } from './stores/cache-api.js';
export { autoStore } from './stores/auto.js';
export type { KeyValueStore, StoreFactory } from './stores/types.js';

export { HTTPError, TimeoutError, NetworkError, KyError, isHTTPError, isTimeoutError, isNetworkError, isKyError } from 'ky';
export type { Input, Options, ResponsePromise, RetryOptions, KyResponse } from 'ky';
