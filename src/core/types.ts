/** The fetch signature a layer wraps. `init` carries the options ky forwards to `fetch`. */
export type FetchLike = (input: Request, init?: FetchInit) => Promise<Response>;

/** What ky forwards to `fetch` as its second argument: every option ky does not know. */
export interface FetchInit extends RequestInit {
	/** Per-call state steadfetch threads through ky to its layers. */
	steadfetch?: CallState;
}

/** A per-attempt layer: sees every attempt ky makes, retries included. */
export type Layer = (next: FetchLike) => FetchLike;

/** Per-call state, created once per call and shared by the call's layers and wrappers. */
export interface CallState {
	/** The caller's own signal, to tell its abort apart from ky's timeouts. */
	signal?: AbortSignal | undefined;
	/** Per-call opt-outs. */
	cache?: false | undefined;
	breaker?: false | undefined;
	outbox?: boolean | undefined;
	/** The `Idempotency-Key` of the call, once known. */
	idempotencyKey?: string | undefined;
	/** The cache's own record of a GET or HEAD call it wraps (its shape is the cache's business). */
	cacheCall?: object | undefined;
	/** Set by a wrapper that knows the first attempt will be held without I/O: ky gets no retries. */
	held?: boolean | undefined;
	/** ky's error behind the retry about to be sent (handed over by `shouldRetry`). */
	retryError?: Error | undefined;
	/** Attempts made so far (the per-attempt layers increment it). */
	attempts: number;
	/** The first attempt's Request, as ky built it (final URL, merged headers). */
	request?: Request | undefined;
	/** The scope of the call, computed once at its first attempt. */
	scope?: string | undefined;
	/** The Response ky resolved with, to tell it apart from one a wrapper made up. */
	response?: Response | undefined;
	/** ky's own promise for the call, whose body shortcuts parse ky's response the ky way. */
	kyPromise?: import('ky').ResponsePromise | undefined;
	/** Body shortcuts called before the ky call started (a wrapper awaited first): run as it starts. */
	onKyStart?: Array<(kyPromise: import('ky').ResponsePromise) => void> | undefined;
}

/** The injected clock. Epoch milliseconds. */
export interface Clock {
	now(): number;
}
