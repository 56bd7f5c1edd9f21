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

/**
 * A retry is being sent: emitted as the attempt starts, after ky's delay and its `beforeRetry` hooks.
 * One a layer then refuses without I/O (an open breaker, the throttle, a bulkhead, a rate limit) is
 * told too, but neither counted in `stats().retries` nor paid from the retry budget: it was not sent.
 */
export interface RetryEvent extends BaseEvent<'retry'> {
	method: string;
	url: string;
	/**
	 * 1 for the first retry, counted as ky's `beforeRetry` hooks count it: per run, so a run a policy
	 * starts again (failover's to a mirror, auth's after a refresh) counts its retries from 1 again.
	 */
	retryCount: number;
	/** `classify()`'s code of the error that caused the retry (`UNKNOWN` for a retry forced with `ky.retry()`). */
	code: SteadfetchErrorCode;
	/**
	 * The error that caused the retry, as ky's hooks see it: an `HTTPError`, a `NetworkError`, a
	 * `TimeoutError`; for a retry forced with `ky.retry()`, a `ForceRetryError` without the options given
	 * to `ky.retry()` (ky hands those only to its hooks). For ky's errors a copy of the
	 * same class stands in (`instanceof HTTPError` holds; its `response`, `data` and `cause` kept),
	 * without `request` and `options`, which hold the call's headers, credentials included; a `response`
	 * holding a credential header (`Set-Cookie`, shown by a server runtime's fetch), `Set-Cookie2` or one of
	 * `sensitiveHeaders` is shown as a copy without them (status, `url` and the other headers kept; no body:
	 * ky read it into `data`). When the
	 * message names a URL with a sensitive query value (`sensitiveParams`), those values are removed
	 * from it and nothing else is kept, nor when the answer's URL (a redirect's: a presigned URL) holds
	 * one: no event carries a secret.
	 */
	error: unknown;
}

export interface BudgetExhaustedEvent extends BaseEvent<'budget:exhausted'> {
	/** Retries sent in the current window; with `reason: 'subrequests'`, the subrequests of the request context so far. */
	retries: number;
	/** Retries allowed in the current window; with `reason: 'subrequests'`, the count at which steadfetch adds none (`subrequests − 5`, at least 0). */
	allowed: number;
	/**
	 * Why: absent for the scope's retry budget (once per window); `'subrequests'` when a request
	 * context (`client.withContext(ctx, { subrequests })`) has no subrequest left for a retry (once per
	 * context). Either way the refused retry ends its call with its last attempt's error.
	 */
	reason?: 'subrequests';
}

/**
 * A store operation failed or missed `storageTimeoutMs`, a record or message was malformed, or background work was
 * dropped. Heard by the client whose work met it: a client `extend()` made too, though it shares its parent's part
 * stores (same `name` and `store`), also once that parent is closed. A failed operation of a part's store is heard as
 * well by the client that opened that store first (the family's first: a listener there hears the store failures of
 * every client `extend()` made of it), never by a sibling.
 */
export interface StorageErrorEvent extends BaseEvent<'storage:error'> {
	/** What was being done: `get`, `set`, `delete`, `keys`, `clear`, `decode`. */
	operation: string;
	/** The part of the client: `cache`, `outbox`, `breaker`, `store`. */
	part: string;
	/** The key operated on; absent for `keys`, `clear`, and a delete of many keys in one operation (the stale cache's eviction). */
	key?: string;
	/** The URL of the call whose work failed or was dropped (background work of a call), sensitive query values redacted. */
	url?: string;
	error: unknown;
}

/** A scope's reachability changed (`client.reachability`): from what the client's attempts saw, `navigator.onLine` a hint. */
export interface ReachabilityEvent extends BaseEvent<'reachability'> {
	state: 'reachable' | 'unreachable' | 'offline' | 'unknown';
	previous: 'reachable' | 'unreachable' | 'offline' | 'unknown';
}

/**
 * A scope answers again: an attempt to it got an answer `classify()` does not call transient (a 2xx,
 * a 404…), its first since an attempt of the scope ended in a network failure, a timeout or a
 * transient answer (a 5xx, a 429, a 408), or since a stored copy answered a call of the scope (a stale
 * answer of any reason: `slow`, `offline`, …). Not for the scope's first answers (nothing failed before
 * them). What `refetchWhenBack` (`steadfetch/tanstack-query`) listens to. Also when such an answer reaches another
 * tab of the client's `name` (told on the breaker's channel with that attempt's outcome, or a breaker probe's with the
 * closing it made — a `reset()`'s or a `clear()`'s closing is no answer —, where the breaker shares its state across tabs:
 * on by default with a store in a page; with `breaker: false` or `share: false` no other tab is told, nor of a call made
 * with `breaker: false`, which the breaker does not count): once in each tab whose own attempts to the scope failed, or whose stored copy answered, since its last
 * good answer, so a tab whose queries gave up refetches them without an attempt of its own; a tab that had no
 * failure of its own is not told (another tab's failures are not its own). Likewise in a process or isolate of a fleet
 * (`breaker({ shared })`) whose own attempts failed, when it adopts the closing another one's probe made, with that probe's
 * status (no call of its own: its next sync, also `waitForHealthy`'s).
 */
export interface ScopeBackEvent extends BaseEvent<'scope:back'> {
	/** The answer's status. */
	status: number;
}

/**
 * A write was delivered: a call whose method is not safe (not GET, HEAD, OPTIONS or TRACE) got an
 * answer below 400 — at once, or by an outbox replay — in this client, in another client of its
 * `name` and store (`extend()`), or in another tab, worker or service worker of the origin
 * (`remote: true`, heard over the BroadcastChannel `steadfetch:<name>:world`). With or without the
 * stale cache or the outbox. Not for the `202` a service worker's outbox answers for a write it
 * queued (`Steadfetch-Outbox-Entry`): that worker's client tells the delivery, and this client hears
 * it from there. A write a service worker's client of the same name delivers for this client's call
 * (`fetchHandler`) is told once, by that worker (`remote: true` here too): its answer says so
 * (`Steadfetch-Delivered`). What `syncInvalidation` (`steadfetch/tanstack-query`) listens to.
 */
export interface WriteDeliveredEvent extends BaseEvent<'write:delivered'> {
	/** The write's method (`POST`, `PUT`, `PATCH`, `DELETE`…). */
	method: string;
	/**
	 * The written URL, absolute, its sensitive query values removed; never a body or a header. A write the origin
	 * redirected (`PUT /me` answered `307` to `/users/42`) is told for its URL and for the URL it was finally sent to.
	 */
	url: string;
	/**
	 * `true` when the write was heard over the channel: delivered in another tab, worker or service
	 * worker (or by a client of the same name made apart with `createClient` in this page; or by a
	 * service worker's client of the same name that answered this client's call). Absent for
	 * a write of this client or of a client it shares its name and store with (`extend()`). Where there
	 * are no tabs (Node, Deno, Workers) only those clients hear a write.
	 */
	remote?: true;
}

/**
 * Every event a client can emit, by type: the core's own here; each policy adds its own by declaration
 * merging from its factory's module (`declare module 'steadfetch/core' { interface EventMap { … } }`,
 * e.g. `breaker:*` in src/breaker/index.ts), so a program's `client.on` knows exactly the events of
 * the policies it imports. A policy of your own may add its events the same way.
 */
export interface EventMap {
	'retry': RetryEvent;
	'budget:exhausted': BudgetExhaustedEvent;
	'storage:error': StorageErrorEvent;
	'reachability': ReachabilityEvent;
	'scope:back': ScopeBackEvent;
	'write:delivered': WriteDeliveredEvent;
}

export type EventType = keyof EventMap;

/**
 * An event as a listener gets it: its fields as its policy declares them (`EventMap`), with the
 * `type`, `time` and `scope` the client adds (`PolicyContext.emit`). A union over every type for
 * `'*'`, narrowed by `type`.
 */
export type EmittedEvent<T extends EventType = EventType> = T extends EventType ? EventMap[T] & { type: T; time: number; scope: string } : never;
