import type { PolicyCall } from './policy.js';

/**
 * The fetch signature a layer wraps. `init` carries the options ky forwards to `fetch`.
 * @experimental `steadfetch/policy`: may change in a minor version.
 */
export type FetchLike = (input: Request, init?: FetchInit) => Promise<Response>;

/**
 * What ky forwards to `fetch` as its second argument: every option ky does not know.
 * @experimental `steadfetch/policy`: may change in a minor version.
 */
export interface FetchInit extends RequestInit {
	/** The call, threaded through ky to the per-attempt layers. */
	steadfetch?: PolicyCall;
	/**
	 * Set by the `hedge` slot on a hedge's attempt, absent on every other. A layer that would make an
	 * attempt wait (bulkhead, rate limit) lets a hedge through only when it can go at once, else
	 * rejects it at once with its own error, neither counted nor emitted (no hedge is sent). The
	 * transport calls it just before the request goes out: it returns nothing to send the hedge, or
	 * the reason not to (the race is over, no retry budget), with which the attempt rejects without
	 * I/O. A layer may wrap it to give back what it took (the rate limiter its token).
	 */
	hedge?: () => unknown;
}

/**
 * A per-attempt layer: sees every attempt ky makes, retries included.
 * @experimental `steadfetch/policy`: may change in a minor version.
 */
export type Layer = (next: FetchLike) => FetchLike;

/** Where a call's background work goes (Cloudflare Workers: the request's `ctx.waitUntil`). */
export type WaitUntil = (promise: Promise<unknown>) => void;

/** The injected clock. Epoch milliseconds. */
export interface Clock {
	now(): number;
}
