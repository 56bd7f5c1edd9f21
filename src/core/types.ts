import type { PolicyCall } from './policy.js';

/** The fetch signature a layer wraps. `init` carries the options ky forwards to `fetch`. */
export type FetchLike = (input: Request, init?: FetchInit) => Promise<Response>;

/** What ky forwards to `fetch` as its second argument: every option ky does not know. */
export interface FetchInit extends RequestInit {
	/** The call, threaded through ky to the per-attempt layers. */
	steadfetch?: PolicyCall;
}

/** A per-attempt layer: sees every attempt ky makes, retries included. */
export type Layer = (next: FetchLike) => FetchLike;

/** The injected clock. Epoch milliseconds. */
export interface Clock {
	now(): number;
}
