import type { ResponsePromise } from 'ky';
import type { Call } from './policy.js';

/** The fetch signature a layer wraps. `init` carries the options ky forwards to `fetch`. */
export type FetchLike = (input: Request, init?: FetchInit) => Promise<Response>;

/** What ky forwards to `fetch` as its second argument: every option ky does not know. */
export interface FetchInit extends RequestInit {
	/** The call, threaded through ky to the per-attempt layers. */
	steadfetch?: Call;
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

/** A per-attempt layer: sees every attempt ky makes, retries included. */
export type Layer = (next: FetchLike) => FetchLike;

/** The injected clock. Epoch milliseconds. */
export interface Clock {
	now(): number;
}

/** A call as the core keeps it: what policies see, plus what only the core reads. */
export interface CallState extends Call {
	/** ky's error behind the retry about to be sent (recorded by our `beforeRetry` hook). */
	retryError: Error | undefined;
	/** The Response ky resolved with, to tell it apart from one a wrapper made up. */
	response: Response | undefined;
	/** ky's own promise for the call, whose body shortcuts parse ky's response the ky way. */
	kyPromise: ResponsePromise | undefined;
	/** When the call's first attempt reached the transport (injected clock), for `stats()` latency. */
	sentAt: number | undefined;
	/** The code of the last transport outcome that was a failure (`NETWORK`, `HTTP_5XX`, ...), undefined after a good answer. */
	netCode: string | undefined;
	/** Set when a wrapper sends the call again (failover, auth): its next first attempt is not a retry. */
	restart: boolean;
	/** Body shortcuts called before the ky call started (a wrapper awaited first): run as it starts. */
	onKyStart: Array<(kyPromise: ResponsePromise) => void> | undefined;
}
