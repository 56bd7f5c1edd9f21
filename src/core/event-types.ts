import type { SteadfetchErrorCode } from '../errors/SteadfetchError.js';

/** Fields every event has. */
export interface BaseEvent<T extends string> {
	type: T;
	/** Epoch ms from the injected clock. */
	time: number;
	/** The scope (the origin by default). */
	scope: string;
	method?: string;
	url?: string;
}

/** A retry is being sent: emitted as the attempt starts, after ky's delay and its `beforeRetry` hooks. */
export interface RetryEvent extends BaseEvent<'retry'> {
	method: string;
	url: string;
	/** 1 for the first retry. */
	retryCount: number;
	/** `classify()`'s code of the error that caused the retry (`UNKNOWN` for a retry forced with `ky.retry()`). */
	code: SteadfetchErrorCode;
	/**
	 * The error that caused the retry, as ky's hooks see it: an `HTTPError`, a `NetworkError`, a
	 * `TimeoutError`; for a retry forced with `ky.retry()`, a `ForceRetryError` without the options given
	 * to `ky.retry()` (ky hands those only to its hooks). For ky's errors a copy of the
	 * same class stands in (`instanceof HTTPError` holds; its `response`, `data` and `cause` kept),
	 * without `request` and `options`, which hold the call's headers, credentials included. When the
	 * message names a URL with a sensitive query value (`sensitiveParams`), those values are removed
	 * from it and nothing else is kept: no event carries a secret.
	 */
	error: unknown;
}

export interface BudgetExhaustedEvent extends BaseEvent<'budget:exhausted'> {
	/** Retries sent in the current window; with `reason: 'subrequests'`, the subrequests of the request context so far. */
	retries: number;
	/** Retries allowed in the current window; with `reason: 'subrequests'`, the count at which steadfetch adds none (`subrequests − 5`). */
	allowed: number;
	/**
	 * Why: absent for the scope's retry budget (once per window); `'subrequests'` when a request
	 * context (`client.withContext(ctx, { subrequests })`) has no subrequest left for a retry (once per
	 * context). Either way the refused retry ends its call with its last attempt's error.
	 */
	reason?: 'subrequests';
}

export interface BreakerEvent<T extends 'breaker:open' | 'breaker:half-open' | 'breaker:closed'> extends BaseEvent<T> {
	/**
	 * Why it changed: `consecutive-failures`, `failure-ratio`, `retry-after`, `probe-failed`,
	 * `probe-timeout` (a probe that did not settle within its attempt timeout), `probe-succeeded`,
	 * `open-elapsed`, `shared`, `restored`; for a `breaker:half-open` before the open period is over
	 * (a breaker opened by attempts that got no HTTP answer): `online`, `visible` (the page became
	 * visible again), `restored` (a client read that open state from storage: a reload).
	 */
	reason: string;
	/** For `breaker:open`: when it lets a probe through (epoch ms). */
	reopensAt?: number;
}

/**
 * A response was written to the stale cache (behind the caller). An answer whose key was stored
 * less than 1 s ago is not written again, nor one with the stored copy's strong ETag (else
 * Last-Modified) for 60 s after it was stored; neither fires this event.
 */
export interface CacheStoredEvent extends BaseEvent<'cache:stored'> {
	url: string;
	bytes: number;
}

export interface CacheStaleEvent extends BaseEvent<'cache:stale'> {
	url: string;
	method: string;
	/** `network`, `timeout`, `http-5xx`, `circuit-open`, `throttled`, `offline` or `subrequests` (a retry or failover attempt its request context had no subrequest left for) (no copy is served with `revalidate` any more: there is no stale-while-revalidate mode). */
	reason: string;
	/** Seconds since the copy was stored. */
	age: number;
}

/** The outbox's events: a write queued, sent, due again, dead, in conflict, superseded by a later write, or discarded by `migrate`. */
export type OutboxEventType = 'outbox:queued' | 'outbox:sent' | 'outbox:retry' | 'outbox:dead' | 'outbox:conflict' | 'outbox:superseded' | 'outbox:discarded';

export interface OutboxEvent<T extends OutboxEventType> extends BaseEvent<T> {
	method: string;
	url: string;
	entryId: string;
	idempotencyKey: string;
	attempts: number;
	/** For `outbox:retry`: when the next attempt is due (epoch ms). */
	nextAttemptAt?: number;
	/** For `outbox:dead`. */
	deadReason?: 'rejected' | 'expired' | 'max-attempts' | 'conflict' | 'migrate';
	/** For `outbox:sent` and `outbox:conflict`: the response status. */
	status?: number;
	/**
	 * For `outbox:sent`: true when the entry was delivered by the call's own attempt after the caller
	 * had been told it was queued (`outbox({ networkTimeoutMs })`), not by a replay.
	 */
	early?: boolean;
	/** For `outbox:retry`, `outbox:dead`, `outbox:queued`: `classify()`'s code (`OFFLINE` or `BEHIND` for a write held before any I/O). */
	code?: SteadfetchErrorCode;
}

export interface StorageErrorEvent extends BaseEvent<'storage:error'> {
	/** What was being done: `get`, `set`, `delete`, `keys`, `clear`, `decode`. */
	operation: string;
	/** The part of the client: `cache`, `outbox`, `breaker`, `store`. */
	part: string;
	key?: string;
	/** The URL of the call whose work failed or was dropped (background work of a call), sensitive query values redacted. */
	url?: string;
	error: unknown;
}

/** A call the scope's bulkhead refused: `maxConcurrent` running and `maxQueue` waiting. */
export interface BulkheadRejectedEvent extends BaseEvent<'bulkhead:rejected'> {
	method: string;
	url: string;
	running: number;
	queued: number;
}

/** A call waits for the scope's rate limit: its own bucket, or the server's spent budget. */
export interface RateLimitWaitEvent extends BaseEvent<'ratelimit:wait'> {
	method: string;
	url: string;
	/** How long it waits, in ms. */
	waitMs: number;
	reason: 'bucket' | 'server';
}

/** `adaptiveThrottle()` refused an attempt locally, with no I/O: the scope rejects much of what it gets. */
export interface ThrottleRejectedEvent extends BaseEvent<'throttle:rejected'> {
	method: string;
	url: string;
	/** The refusal probability the attempt was refused with (0 to `maxRejectRatio`). */
	rejectRatio: number;
}

/** A hedge was sent: the attempt had no answer within the hedge delay. */
export interface HedgeEvent extends BaseEvent<'hedge'> {
	method: string;
	url: string;
	/** 1 for the first hedge of the attempt. */
	hedge: number;
}

/** A call whose primary failed was answered by a mirror (`failover()`). */
export interface FailoverEvent extends BaseEvent<'failover'> {
	method: string;
	/** The URL the call was made for (on the primary). */
	url: string;
	/** The URL that answered. */
	mirror: string;
	/** Why the primary failed: `classify()`'s code of its error or answer (`NETWORK`, `CIRCUIT_OPEN`, `HTTP_5XX`, ...). */
	code: SteadfetchErrorCode;
}

/** A token refresh (`auth()`) ended: here (`shared` false), or in another tab of the origin (`shared` true). */
export interface AuthRefreshEvent extends BaseEvent<'auth:refresh'> {
	/** Whether `refresh()` succeeded (always true for `shared`: tabs tell only of successes). */
	ok: boolean;
	/** How long `refresh()` took, in ms (0 for `shared`). */
	durationMs: number;
	shared: boolean;
}

/** A scope's error rate crossed `healthThreshold` (`scope:unhealthy`) or fell under half of it (`scope:healthy`). */
export interface ScopeHealthEvent<T extends 'scope:unhealthy' | 'scope:healthy'> extends BaseEvent<T> {
	/** Transient failures over calls that reached the network, over `healthWindowMs` (0 to 1). */
	errorRate: number;
	/** Calls that reached the network in the window. */
	calls: number;
}

/** An attempt of a call starts or ends (with `trace`): the request id, attempt number, and the outcome. */
export interface AttemptEvent<T extends 'attempt:start' | 'attempt:end'> extends BaseEvent<T> {
	method: string;
	url: string;
	requestId: string;
	/** 1 for the first attempt of the call. */
	attempt: number;
	/** Whether the attempt is a hedge (a second attempt sent while the first is slow; it carries the call's request id). */
	hedge: boolean;
	/** Whether the call is an outbox replay. */
	replay: boolean;
	/** For `attempt:end`: how long the attempt took, in ms (injected clock). */
	durationMs?: number;
	/** For `attempt:end`: the response status. */
	status?: number;
	/** For `attempt:end` without a response: `classify()`'s code of its error (`NETWORK` for a dropped connection). */
	code?: SteadfetchErrorCode;
}

/** A scope's reachability changed (`client.reachability`): from what the client's attempts saw, `navigator.onLine` a hint. */
export interface ReachabilityEvent extends BaseEvent<'reachability'> {
	state: 'reachable' | 'unreachable' | 'offline' | 'unknown';
	previous: 'reachable' | 'unreachable' | 'offline' | 'unknown';
}

/**
 * A scope answers again: an attempt to it got an answer `classify()` does not call transient (a 2xx,
 * a 404…), its first since an attempt of the scope ended in a network failure, a timeout or a
 * transient answer (a 5xx, a 429, a 408), or since the client met the scope. What
 * `refetchWhenBack` (`steadfetch/tanstack-query`) listens to.
 */
export interface ScopeBackEvent extends BaseEvent<'scope:back'> {
	/** The answer's status. */
	status: number;
}

/** Every event, by type. */
export interface EventMap {
	'retry': RetryEvent;
	'budget:exhausted': BudgetExhaustedEvent;
	'breaker:open': BreakerEvent<'breaker:open'>;
	'breaker:half-open': BreakerEvent<'breaker:half-open'>;
	'breaker:closed': BreakerEvent<'breaker:closed'>;
	'cache:stored': CacheStoredEvent;
	'cache:stale': CacheStaleEvent;
	'outbox:queued': OutboxEvent<'outbox:queued'>;
	'outbox:sent': OutboxEvent<'outbox:sent'>;
	'outbox:retry': OutboxEvent<'outbox:retry'>;
	'outbox:dead': OutboxEvent<'outbox:dead'>;
	'outbox:conflict': OutboxEvent<'outbox:conflict'>;
	'outbox:superseded': OutboxEvent<'outbox:superseded'>;
	'outbox:discarded': OutboxEvent<'outbox:discarded'>;
	'storage:error': StorageErrorEvent;
	'bulkhead:rejected': BulkheadRejectedEvent;
	'ratelimit:wait': RateLimitWaitEvent;
	'hedge': HedgeEvent;
	'failover': FailoverEvent;
	'auth:refresh': AuthRefreshEvent;
	'scope:unhealthy': ScopeHealthEvent<'scope:unhealthy'>;
	'scope:healthy': ScopeHealthEvent<'scope:healthy'>;
	'attempt:start': AttemptEvent<'attempt:start'>;
	'attempt:end': AttemptEvent<'attempt:end'>;
	'reachability': ReachabilityEvent;
	'scope:back': ScopeBackEvent;
	'throttle:rejected': ThrottleRejectedEvent;
}

export type EventType = keyof EventMap;
