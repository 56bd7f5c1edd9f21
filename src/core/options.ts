import type { Options as KyOptions } from 'ky';
import type { RetryBudgetOptions } from '../retry/budget.js';
import type { StoreFactory } from '../stores/types.js';
import type { Policy, SlotName } from './policy.js';
import type { Logger } from './logger.js';
import type { Clock } from './types.js';

/** The slot keys of `createClient`, each taking the policy made by that slot's factory, or `false`. */
export type Slots = { [S in SlotName]?: Policy<S> | false };

/** Options of `createClient` both entries share (ky's options plus the keys below). */
export interface BaseClientOptions extends Omit<KyOptions, 'cache'> {
	/**
	 * Limit retries per scope to a share of first attempts over a sliding window, so an outage
	 * does not multiply traffic. `false` turns it off.
	 * @default { ratio: 0.1, minRetries: 10, windowMs: 10_000 }
	 */
	retryBudget?: RetryBudgetOptions | false;
	/**
	 * Where persisted state (stale cache, outbox, breaker state) lives. Each policy that persists
	 * state has its own default when this is not set (`autoStore` for the wave-1 policies).
	 * @default each policy's default: autoStore (IndexedDB, else the Cache API, else memory)
	 */
	store?: StoreFactory;
	/**
	 * Who the calls are made for, read at each call (e.g. the signed-in user's id). Persisted state
	 * belongs to it: the stale cache stores and serves only within the call's identity, an outbox
	 * entry is replayed only while the identity it was queued under is current, and
	 * `client.clear({ identity })` removes one identity's data. Only a SHA-256 digest of it is ever
	 * stored. Without it, apps whose users share a browser must call `client.clear()` at logout.
	 * @default undefined (no identity: one partition)
	 */
	identity?: () => string | undefined;
	/**
	 * Query parameters whose values are secrets: never written to any store (a cached URL keys them
	 * by a digest of their value; a mutation carrying one is never queued, it is sent as with
	 * `outbox: false`), redacted in `client.cache.list()`. Matched case-insensitively.
	 * @default ['access_token', 'refresh_token', 'id_token', 'token', 'api_key', 'apikey', 'key', 'password', 'passwd', 'secret', 'client_secret', 'signature', 'sig', 'x-amz-signature', 'x-amz-credential', 'x-amz-security-token']
	 */
	sensitiveParams?: readonly string[];
	/**
	 * Request headers whose values are secrets, besides `Authorization`, `Cookie` and
	 * `Proxy-Authorization` (always): never stored; the stale cache partitions by a digest of them.
	 * @default []
	 */
	sensitiveHeaders?: readonly string[];
	/**
	 * A degraded answer for a call that failed when nothing else answered (no stale copy): a value
	 * (answered as JSON, status 200) or `(error, request) => Response | value` (may be async). The
	 * answer carries `Cache-Status: steadfetch; fwd=miss; detail=fallback` (`isFallback(response)`) and
	 * is counted in `stats().fallbacks`. Never used for the caller's abort, bad input or a queued
	 * write. Per call, `fallback` overrides it.
	 * @default undefined (a failed call rejects)
	 */
	fallback?: unknown;
	/**
	 * The longest a storage operation (`get`, `set`, `delete`, `keys`) may take, in ms. Past it the
	 * operation is given up for the caller (`storage:error` fires, the call goes on without that
	 * state; the outbox keeps the entry in memory) — an IndexedDB blocked by another tab's upgrade
	 * never answers. A positive finite number.
	 * @default 500
	 */
	storageTimeoutMs?: number;
	/**
	 * A console-like `{ info, warn, error }` (`console` works): each call's outcome, retry, breaker
	 * change, queued/replayed/dead write, failover, health change and storage error becomes one
	 * plain-object record `{ event, level, severity, scope, requestId?, method?, url?, status?, code?,
	 * attempt?, durationMs? }` (see `LogRecord`). URLs have their `sensitiveParams` values removed; no
	 * header is logged.
	 * @default undefined (no logging)
	 */
	logger?: Logger;
	/**
	 * The sliding window of `stats()`' `errorRate`, `latency` and `topErrors`, in ms.
	 * @default 30_000
	 */
	healthWindowMs?: number;
	/**
	 * The error rate (transient failures over calls that reached the network, over `healthWindowMs`,
	 * at least 10 calls) at which `scope:unhealthy` fires; `scope:healthy` fires when it falls under
	 * half of it. A number in (0, 1].
	 * @default 0.5
	 */
	healthThreshold?: number;
	/**
	 * Namespace of persisted state and of cross-tab channels. Two clients with the same name share
	 * persisted state.
	 * @default 'steadfetch'
	 */
	name?: string;
	/**
	 * The clock every policy reads, in epoch ms. Inject one in tests for exact time.
	 * @default Date.now
	 */
	clock?: Clock;
	/**
	 * Random source in [0, 1) for retry jitter and backoff (ids use crypto.randomUUID). Inject one in tests.
	 * @default Math.random
	 */
	random?: () => number;
}

/**
 * Options of `createClient` from `steadfetch/core`: ky's options, the core's keys, and one slot per
 * policy. An empty slot (or `false`) means the policy is off. A client-level `cache` string is
 * fetch's own `RequestCache` mode, passed to fetch.
 */
export interface CoreClientOptions extends BaseClientOptions, Omit<Slots, 'cache' | 'trace'> {
	/**
	 * Request ids and W3C trace context: `true` (request id header `X-Request-ID`), `{ requestIdHeader }`,
	 * or a trace policy (`trace()`; `otel({ tracer })` later). Off by default.
	 * @default false
	 */
	trace?: boolean | { requestIdHeader?: string } | Policy<'trace'>;
	/** The stale cache (`staleCache()` from `steadfetch/cache`), `false`, or fetch's `RequestCache` mode (`'no-store'` also means no stale cache). */
	cache?: Policy<'cache'> | false | RequestCache;
}

/** Options of one call: ky's, plus the keys below. */
export interface CallOptions extends Omit<KyOptions, 'cache'> {
	/**
	 * `false` skips the stale cache for this call: nothing stored, nothing served. A string is
	 * fetch's own `RequestCache` mode and is passed to fetch; `'no-store'` also skips the stale cache.
	 */
	cache?: false | RequestCache;
	/**
	 * `false`: never queue this call. `true`: make this call eligible even if its method is not in
	 * `outbox.methods`. Ignored when the client has no outbox.
	 */
	outbox?: boolean;
	/** `false` bypasses the breaker for this call (it is neither blocked nor counted). */
	breaker?: false;
	/** `false`: this call is never sent to a mirror (with `failover()`). */
	failover?: false;
	/** A degraded answer for this call when it fails (see the client option `fallback`). */
	fallback?: unknown;
	/**
	 * Send an `Idempotency-Key` header: `true` makes a fresh UUID, a string is used as is. With it,
	 * POST and PATCH are retried like idempotent methods.
	 */
	idempotencyKey?: string | true;
	/**
	 * `false`: `auth()` leaves this call alone — no token, no wait for a refresh in flight, and its
	 * 401 triggers no refresh. Meant for the refresh's own request (`api.post('auth/refresh', { auth: false })`).
	 * Ignored when the client has no `auth`.
	 * @default undefined (the call is `auth()`'s when its URL is one of `auth.origins`)
	 */
	auth?: false;
}

/** Where the main entry puts a client-level `RequestCache` string while its `cache` slot holds the stale cache. */
export const requestCacheKey: unique symbol = Symbol('steadfetch.requestCache');

/** Per-call keys of ours, taken out of what ky gets (ky would pass them on to fetch). */
export const callKeys: readonly string[] = ['cache', 'outbox', 'breaker', 'idempotencyKey', 'dedupe', 'hedge', 'failover', 'fallback', 'auth'];

/** Client-level keys of ours, never given to ky. */
export const clientKeys: readonly string[] = ['retryBudget', 'store', 'name', 'clock', 'random', 'storageTimeoutMs', 'identity', 'sensitiveParams', 'sensitiveHeaders', 'fallback', 'healthWindowMs', 'healthThreshold', 'logger'];
