import type { Options as KyOptions, RetryOptions } from 'ky';
import type { RetryBudgetOptions } from '../retry/budget.js';
import type { StoreFactory } from '../stores/types.js';
import type { Slots } from './policy.js';
import type { Clock, WaitUntil } from './types.js';

/** The slot keys of `createClient` (`Slots`, as the policies declare them), each taking that slot's policy, or `false`. */
export type SlotOptions = { [S in keyof Slots]?: Slots[S] | false };

export type { WaitUntil } from './types.js';

/**
 * Options of `createClient` both entries share: every ky option (unchanged, `cache` included: it is
 * fetch's own `RequestCache`), plus the keys below.
 */
export interface BaseClientOptions extends KyOptions {
	/**
	 * The longest a whole call may take, retries and their delays included, in ms (ky's option, with
	 * a default here: ky has none). Whatever the origin does, a call settles — an answer, a stale copy
	 * or a typed error — within it of its start. `false`: no limit (each attempt still has `timeout`).
	 * Per call, a number or `false` of its own replaces it.
	 * @default 20_000
	 */
	totalTimeout?: number | false;
	/**
	 * ky's `retry` (a number is its `limit`), with defaults of ours where ky's would hang a call or
	 * herd a fleet: full jitter (drawn from `random`), retries on timeout, delays at most 30 000 ms
	 * (`backoffLimit`, and `maxRetryAfter` for a server's `Retry-After`, which bounds `hedge()`'s pause too); ky's `limit`, `methods` and
	 * `statusCodes` kept, and a POST or PATCH retried too when it carries an `Idempotency-Key` (given
	 * `methods` decide alone: a POST or PATCH listed gets a key). An object given is laid over these
	 * defaults key by key. Each retry is asked of `retryBudget`. A `Retry-After` sent twice (a proxy repeating it:
	 * `5, 5`) ky reads as malformed, its own backoff then; the breaker, `rateLimit()` and the outbox read it whole
	 * (its longest wait), and the breaker it opens ends the call with that answer at once, not after ky's early retry.
	 * @default { limit: 2, jitter: true, retryOnTimeout: true, backoffLimit: 30_000, maxRetryAfter: 30_000 }
	 */
	retry?: RetryOptions | number;
	/**
	 * Limit retries per scope to a share of first attempts over a sliding window, so an outage
	 * does not multiply traffic. `false` turns it off, `true` is the defaults; anything else than
	 * options, `true` or `false` is a `RangeError` naming `retryBudget`. A client and the clients its
	 * `extend()` makes that keep its `name`, `store`, `retryBudget` and `clock` share one budget per scope
	 * (what one spends, another cannot; hedges and failover mirrors pay from it too); each client's
	 * `stats()` counts its own refused retries, and `budget:exhausted` is told once per window for them
	 * all. A child that sets its own `retryBudget` (or `false`), `name`, `store` or `clock`, and a client
	 * `create()` makes, have their own.
	 * @default { ratio: 0.1, minRetries: 10, windowMs: 10_000 }
	 */
	retryBudget?: RetryBudgetOptions | boolean;
	/**
	 * Where persisted state (stale cache, outbox, breaker state) lives. Each policy that persists
	 * state has its own default when this is not set.
	 * @default each policy's default: autoStore (IndexedDB, else the Cache API, else memory)
	 */
	store?: StoreFactory;
	/**
	 * Who the calls are made for, read at each call (e.g. the signed-in user's id). Persisted state
	 * belongs to it: the stale cache stores and serves only within the call's identity, an outbox
	 * entry is replayed only while the identity it was queued under is current, and
	 * `client.clear({ identity })` removes one identity's data. Only a SHA-256 digest of it is ever
	 * stored. Without it, apps whose users share a browser must call `client.clear()` at logout.
	 * While it fails (throws, or returns anything else: `''`, a Promise) nobody known is signed in:
	 * a call and `cache.list()` are refused (`InvalidRequestError`), the outbox replays and settles no
	 * one's entries, and no call then in flight stores its answer. A call is bound to the identity it
	 * started under: in a page or a worker, once a read of it (any call's, any policy's) saw another
	 * answer (another user, none, a failure), the call's late answer is not stored even if the first
	 * identity is back; in a server runtime (concurrent requests may read different users through one
	 * `identity()`), while it reads the same identity in the call's own context.
	 * @default undefined (no identity: one partition)
	 */
	identity?: () => string | undefined;
	/**
	 * Query parameters whose values are secrets: never written to any store (a cached URL keys them
	 * by a digest of their value; a mutation carrying one is never queued, it is sent as with
	 * `outbox: false`); their values are removed from every URL in `client.cache.list()`, events, log
	 * records and spans. Names are matched case-insensitively after percent-decoding (`secre%74` is
	 * `secret`), a nested one by each name it nests (`access_token[]`, `access_token[0]`: an array as axios or `qs`
	 * sends it; `user[token]`, `access.token`: an object as `qs`, Rails and PHP read it), separated by `&` or by `;` (`a=1;token=x`: the value up to the next `&` goes), also as
	 * `name=value` parts of the URL's fragment (an OAuth implicit grant's `#access_token=…`, a hash route's query). The default includes OpenTelemetry's list (`AWSAccessKeyId`, `Signature`, `sig`,
	 * `X-Goog-Signature`); a list given here adds to it, never replaces it.
	 * @default ['access_token', 'refresh_token', 'id_token', 'token', 'api_key', 'apikey', 'key', 'password', 'passwd', 'secret', 'client_secret', 'signature', 'sig', 'AWSAccessKeyId', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token', 'X-Goog-Signature', 'X-Goog-Credential']
	 */
	sensitiveParams?: readonly string[];
	/**
	 * Request headers whose values are secrets, besides `Authorization`, `Cookie`,
	 * `Proxy-Authorization` and `Set-Cookie` (always): never stored; the stale cache partitions by a digest of them.
	 * @default []
	 */
	sensitiveHeaders?: readonly string[];
	/**
	 * A degraded answer for a call that failed when nothing else answered (no stale copy): a value
	 * (answered as JSON, status 200; a `Response` answers as it is, a copy of it for each call) or
	 * `(error, request) => Response | value` (may be async); a value JSON cannot serialize (a BigInt,
	 * a cycle) is a `RangeError` here (per call, an `InvalidRequestError` before any I/O); one the
	 * function gives, or a `Response` whose body was read, fails the call with an `InvalidRequestError`
	 * naming `fallback`, the call's own error its `cause` (never a raw `TypeError`); what the function
	 * throws, the call rejects with as it is (the app's own error: `classify()` says `UNKNOWN`). The answer carries `Cache-Status: steadfetch; fwd=miss; detail=fallback` (`isFallback(response)`) and
	 * is counted in `stats().fallbacks`. Never used for the caller's abort, bad input, a queued write or an outbox replay (a failed replay stays pending).
	 * Per call, `fallback` overrides it.
	 * @default undefined (a failed call rejects)
	 */
	fallback?: unknown;
	/**
	 * The longest a storage operation (`get`, `set`, `delete`, `keys`) on a request's path may take,
	 * in ms. Past it the operation is given up for the caller (`storage:error` fires, the call goes on
	 * without that state): an IndexedDB blocked by another tab's upgrade never answers. The outbox
	 * gives the write of an entry with a body 1 ms more per 10 000 bytes of it (a 10 MB photo: 1 000
	 * ms more), so an entry the caller is told is queued is in the store. `memoryStore`'s operations
	 * settle before any timer could fire, so no timer is armed for them (a method you replace or wrap
	 * is bounded as any store's). A positive finite number.
	 * @default 500
	 */
	storageTimeoutMs?: number;
	/**
	 * A request header that carries a deadline, in whole ms, from one service to the next (e.g.
	 * `'request-timeout-ms'`). When the request a Worker serves carries it
	 * (`client.withContext(ctx, { request })`), no call of that context outlives that many ms from
	 * when `withContext` was called: its `totalTimeout` is capped at what is left, a retry that would
	 * start with less than 50 ms left is not made (the call ends with its last attempt's error), and an
	 * attempt still pending at the deadline ends the call with ky's `TimeoutError` (`TIMEOUT`). A value
	 * that is not a non-negative integer is ignored; one beyond 2 147 483 647 ms is a far deadline (no
	 * bound beyond `totalTimeout`), never an error. Each attempt to the client's own origins (the
	 * origin of its `prefix`/`baseUrl`; none without them, never `location.origin` alone)
	 * carries the call's remaining time under this header (its `totalTimeout`, capped by the
	 * request's deadline), so services using steadfetch pass one deadline along; other origins never
	 * get it, also not through a redirect: an attempt that carries it has its redirects followed by
	 * steadfetch (each hop a subrequest of its request context), which drops the header (and
	 * `Authorization`, `Cookie`, `Proxy-Authorization`) for a `Location` on another origin, and the trace slot's
	 * headers for one not in its `propagateTo`; a call's
	 * own `redirect: 'manual'` or `'error'` is honoured. A write the outbox queues stores no such header: its
	 * replay, background work, carries none. A header name of its own (a `RangeError` at creation otherwise):
	 * not `traceparent` or `tracestate`, `Authorization`, `Idempotency-Key`, nor one a browser's fetch drops (`Cookie`,
	 * `Host`, `Origin`, `Sec-…`, `Proxy-…` and the Fetch standard's other forbidden request headers), as trace's `requestIdHeader`,
	 * nor that `requestIdHeader` itself (in any case).
	 * @default undefined (no deadline read, none sent)
	 */
	deadlineHeader?: string;
	/**
	 * Namespace of persisted state and of cross-tab channels. Two clients with the same name share
	 * persisted state (and, with `auth`, the token refresh across tabs when they also guard the same
	 * `origins`). A non-empty string of whole characters (a `RangeError` otherwise: `''` is no namespace).
	 * @default 'steadfetch'
	 */
	name?: string;
	/**
	 * The clock every policy reads, in epoch ms. Inject one in tests for exact time.
	 * @default Date.now
	 */
	clock?: Clock;
	/**
	 * Random source in [0, 1) for retry jitter and backoff, the breaker's open periods (with
	 * `breaker({ shared })`, the jitter each sync offers the coordinator), the outbox's resume jitter and
	 * the adaptive throttle's refusals. Not for ids (Idempotency-Keys, outbox entries): those use
	 * `crypto.randomUUID()`, else `crypto.getRandomValues` (a page over plain http). Inject one in tests.
	 * @default Math.random
	 */
	random?: () => number;
}

/**
 * Options of `createClient` from `steadfetch/core`: ky's options, the core's keys, and one slot per
 * policy, each taking the policy its entry makes (`breaker: breaker()`). An empty slot (or `false`)
 * means the policy is off.
 */
export interface CoreClientOptions extends BaseClientOptions, SlotOptions {}

/**
 * Options of one call: ky's (`cache` is fetch's `RequestCache`), plus the core's keys below; each
 * policy adds its own by declaration merging from its factory's module (`breaker?: false` in
 * src/breaker/index.ts), so a program sees the per-call keys of the policies it imports. A built-in slot's key
 * (`breaker`, `staleCache`, `outbox`, …) is checked as its policy checks it also on a client that leaves the slot
 * empty (`breaker: 'off'` is an `InvalidRequestError` before any I/O), a well-formed value then ignored; the key of an
 * app's policy the client does not fill is an unknown option, handed to ky as ky takes one. The client's own options
 * (`identity`, `name`, `store`, `retryBudget`, `sensitiveParams`, … but `fallback`) are not a call's: given to one, an
 * `InvalidRequestError` naming it, never ignored.
 */
export interface CallOptions extends KyOptions {
	/**
	 * A degraded answer for this call when it fails (see the client option `fallback`).
	 * @default the client's `fallback`
	 */
	fallback?: unknown;
	/**
	 * Send an `Idempotency-Key` header: `true` makes a fresh UUID, a string is used as is. With it,
	 * POST and PATCH are retried like idempotent methods. A call's own: given to `createClient()` or `extend()`, a
	 * `RangeError` (one key for every call would have the server apply only the first write).
	 * @default undefined (none; the outbox and keyed retries add their own)
	 */
	idempotencyKey?: string | true;
	/**
	 * Where this call's background work goes (cache write-behind, outbox and breaker persistence):
	 * a Cloudflare Worker's `ctx.waitUntil`. `client.withContext(ctx)` sets it for every call; given to
	 * `createClient()` or `extend()`, a `RangeError` (no call would read it there).
	 * Without it, work that cannot finish within the call is dropped and reported as `storage:error`;
	 * one that throws, or gives back a promise that rejects (an app's async one), is reported so too
	 * (operation `background`), never the call's failure nor an unhandled rejection.
	 * It names no request (the `waitUntil` of `cloudflare:workers` serves every request of the
	 * isolate): in-flight work is shared (dedupe's request, auth's refresh) only among the calls of one
	 * `client.withContext(ctx)`, never by calls that pass their own `waitUntil`.
	 * @default undefined
	 */
	waitUntil?: WaitUntil;
}

/**
 * The core's per-call keys, taken out of what ky gets (ky would pass them on to fetch), as a
 * policy's are: its slot's name (`breaker: false`; see `callKyOptions`).
 */
export const callKeys: readonly string[] = ['fallback', 'idempotencyKey', 'waitUntil'];

/** Client-level keys of ours, never given to ky (the slots' keys too). */
export const clientKeys: readonly string[] = ['retryBudget', 'store', 'name', 'clock', 'random', 'storageTimeoutMs', 'identity', 'sensitiveParams', 'sensitiveHeaders', 'fallback', 'deadlineHeader'];
