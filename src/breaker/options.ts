/** Options of the per-scope circuit breaker (`breaker`). */
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
	 * @default 30_000
	 */
	openMs?: number;
	/**
	 * The longest the breaker stays open, in ms (also caps a server's `Retry-After`). At least `openMs`.
	 * @default 300_000
	 */
	maxOpenMs?: number;
	/**
	 * Calls let through as probes once the open period is over. A positive integer.
	 * @default 1
	 */
	halfOpenProbes?: number;
	/**
	 * The scope of a URL: calls in one scope share one breaker.
	 * @default the URL's origin
	 */
	scope?: (url: string) => string;
	/**
	 * Decide whether an attempt's outcome counts as a failure: return `true` (failure), `false`
	 * (success) or `undefined` (the default rule: network errors, timeouts, 429, 500, 502, 503, 504).
	 * The caller's abort and a `CircuitOpenError` never count.
	 */
	isFailure?: (outcome: { response?: Response; error?: unknown }) => boolean | undefined;
	/**
	 * Share each scope's state across tabs and workers of the origin (BroadcastChannel named after
	 * the client's `name`; one half-open probe across tabs through Web Locks) and persist an open
	 * breaker across reloads in the client's store. Where BroadcastChannel or Web Locks are missing
	 * (Cloudflare Workers) the breaker works per isolate.
	 * @default true
	 */
	share?: boolean;
}
