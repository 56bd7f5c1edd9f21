import type { SharedBreaker } from './shared.js';
/**
 * Options of the per-scope circuit breaker (`breaker`).
 *
 * The breaker is a per-attempt layer: every attempt, retries included, is counted in its scope
 * (the URL's origin by default). While it is open, calls to the scope reject at once with a
 * `CircuitOpenError` (no network I/O, not retried). There are no timers: open and half-open are
 * derived from the injected clock when a call or `client.breaker(url)` asks.
 *
 * @example
 * const api = createClient({ breaker: { consecutiveFailures: 3, openMs: 10_000 } });
 * api.on('breaker:open', ({ scope, reason, reopensAt }) => console.warn(scope, reason, reopensAt));
 */
export interface BreakerOptions {
	/**
	 * Open after this many failures in a row in one scope. A positive integer.
	 * @default 5
	 */
	consecutiveFailures?: number;
	/**
	 * Open when failures make up at least this share of the calls in the last `windowMs`
	 * (and there were at least `minimumThroughput` of them). In (0, 1].
	 * @default 0.5
	 */
	failureRatio?: number;
	/**
	 * Length of the failure-ratio window, in ms.
	 * @default 30_000
	 */
	windowMs?: number;
	/**
	 * Calls needed in the window before the failure ratio can open the breaker. A positive integer.
	 * @default 10
	 */
	minimumThroughput?: number;
	/**
	 * How long the breaker stays open the first time, in ms. Each re-open without a full close in
	 * between doubles it, up to `maxOpenMs`.
	 * @default 5_000
	 */
	openMs?: number;
	/**
	 * The longest the breaker stays open, in ms (also caps a server's `Retry-After`). At least `openMs`.
	 * @default 300_000
	 */
	maxOpenMs?: number;
	/**
	 * Calls let through as probes once the open period is over (across all tabs when shared); the
	 * others fail fast. The first probe to succeed closes the breaker, the first to fail re-opens it
	 * for the next, longer period. A probe that has not settled within the attempt timeout (ky's
	 * `timeout`, 10 s by default; `maxOpenMs` when `timeout` is `false`) counts as failed. A probe
	 * the caller aborts counts as nothing and frees its slot. A positive integer.
	 * @default 1
	 */
	halfOpenProbes?: number;
	/**
	 * The half-open probe, sent instead of a caller's request: a URL relative to the scope (`'/health'`
	 * against the origin) or `(scope) => Request`. It goes straight to the transport (no hooks, no
	 * retries, bounded by the attempt timeout); any answer under 400 closes the breaker, anything else
	 * re-opens it. Callers keep failing fast (or being answered stale) until it succeeds, and
	 * `client.waitForHealthy()` sends it each time the breaker lets one through. Without it, the first
	 * caller's own request is the probe.
	 * @default undefined
	 */
	probe?: string | ((scope: string) => Request);
	/**
	 * A coordinator shared by every isolate or process: `coordinator(env.STEADFETCH)` from
	 * `steadfetch/cloudflare` or `coordinator(kv)` from `steadfetch/deno`. Each isolate still decides
	 * every attempt from memory; it adopts the coordinator's state at most `sharedCacheMs` old, sends
	 * failures at once without making the caller wait, and asks it for the half-open probe (one in the
	 * world). A coordinator that fails or takes longer than `sharedTimeoutMs` leaves this isolate's own
	 * breaker in charge (`storage:error`, once per episode).
	 * @default undefined (no coordinator)
	 */
	shared?: SharedBreaker;
	/**
	 * How old the coordinator's state may be before an attempt waits for a fresh one, in ms. At most 1 000.
	 * @default 1_000
	 */
	sharedCacheMs?: number;
	/**
	 * The longest an attempt waits for the coordinator, in ms; past it the local breaker decides.
	 * @default 100
	 */
	sharedTimeoutMs?: number;
	/**
	 * The scope of a URL: calls in one scope share one breaker.
	 * @default the URL's origin
	 */
	scope?: (url: string) => string;
	/**
	 * Decide whether an attempt's outcome counts as a failure: return `true` (failure), `false`
	 * (success) or `undefined` (the default rule: network errors, timeouts, 429, 500, 502, 503, 504).
	 * It sees the attempt's raw `Response` (before ky turns it into an `HTTPError`) or its error.
	 * Any other answer (a 401, a 404) counts as a success: the origin answered, so a 401 storm never
	 * opens the breaker, and a half-open probe answered 404 closes it. The caller's abort and a
	 * `CircuitOpenError` never count and are not passed here.
	 * @example
	 * isFailure: ({ response }) => (response?.status === 501 ? true : undefined)
	 */
	isFailure?: (outcome: { response?: Response; error?: unknown }) => boolean | undefined;
	/**
	 * Share each scope's state across tabs and workers of the origin (BroadcastChannel
	 * `steadfetch:<name>:breaker`, a change reaches the other tabs within milliseconds; one
	 * half-open probe across tabs through Web Locks with `ifAvailable`) and persist each scope's
	 * state in the client's `store` (a versioned record per scope), so an open breaker survives a
	 * reload. The stored state is read once per scope, on the first call to it: that call (and only
	 * that one) waits for the store. A corrupt or unknown record is ignored and reported as
	 * `storage:error`; a failing store is reported and the breaker goes on in memory.
	 *
	 * The channel is opened by default only where there are tabs and workers to share with (a page
	 * or a web worker: `document` or `WorkerGlobalScope` exists). Server runtimes (Node, Deno) keep
	 * per-process breakers unless `share: true` asks for the channel explicitly; an open channel keeps
	 * a Node or Deno process alive, so call `client.close()` when done. Where BroadcastChannel or Web
	 * Locks are missing (Cloudflare Workers) the breaker works per isolate; there the store (the Cache
	 * API) still carries an open breaker from one isolate to the next ones in the same data center.
	 * `false`: per-client, in memory only (nothing stored, no channel).
	 * @default true (persisted; shared across tabs in browsers)
	 */
	share?: boolean;
}
