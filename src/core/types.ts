import type { World } from './world.js';
import type { Input } from 'ky';
import type { CallOptions } from './options.js';

/**
 * The fetch signature a layer wraps. `init` carries the options ky forwards to `fetch`.
 * `steadfetch/policy`: stable from this version (semver applies).
 */
export type FetchLike = (input: Request, init?: FetchInit) => Promise<Response>;

/**
 * What ky forwards to `fetch` as its second argument: every option ky does not know.
 * `steadfetch/policy`: stable from this version (semver applies).
 */
export interface FetchInit extends RequestInit {
	/** The call, threaded through ky to the per-attempt layers. */
	steadfetch?: PolicyCall;
	/**
	 * Set by the `hedge` slot on a hedge's attempt, absent on every other (a hedged call's first attempt
	 * is timed from its `sending`). A layer that would make an
	 * attempt wait (bulkhead, rate limit) lets a hedge through only when it can go at once, else
	 * rejects it at once with its own error, neither counted nor emitted (no hedge is sent). The
	 * transport calls it just before the request goes out: it returns nothing to send the hedge, or
	 * the reason not to (the race is over, no retry budget), with which the attempt rejects without
	 * I/O. A layer may wrap it to give back what it took (the rate limiter its token).
	 */
	hedge?: () => unknown;
	/**
	 * Called by the transport just before the attempt goes out, once every layer and the request
	 * context let it through (a hedge: once its `hedge` let it). A layer that tells of attempts (the
	 * trace slot's `attempt:*` events and spans) starts there, so an attempt refused without I/O (an
	 * open breaker, the throttle, a bulkhead or rate limit, a request context with no subrequest left)
	 * is told of by none. A layer that sets it calls the one it was given too.
	 */
	sending?: () => void;
	/**
	 * Set by the `dedupe` slot on a request it shares: the calls still waiting on it (its first caller's
	 * while it waits). A layer below that bounds a wait by the call's budget (rate limit) takes the
	 * longest of theirs: one caller's timeout is its own.
	 */
	callers?: () => readonly (PolicyCall | undefined)[];
	/**
	 * Set by the core on each attempt of a run of ky a wrapper started again (auth's after a refresh, failover's to a
	 * mirror) or beside one still going: the mark its first attempt spends (`due: false`), so that attempt is counted as
	 * no retry, and its later ones as retries. Named as `steadfetch` is, so that no fetch extension an app forwards through
	 * ky (an unknown option) is taken for it. A layer passes it on untouched.
	 */
	steadfetchRun?: { due: boolean };
}

/**
 * A per-attempt layer: sees every attempt ky makes, retries included.
 * `steadfetch/policy`: stable from this version (semver applies).
 */
export type Layer = (next: FetchLike) => FetchLike;

/** Where a call's background work goes (Cloudflare Workers: the request's `ctx.waitUntil`). */
export type WaitUntil = (promise: Promise<unknown>) => void;

/** The injected clock. Epoch milliseconds. */
export interface Clock {
	now(): number;
}

/** What the client knows of a scope's reachability (`client.reachability`). */
export type Reachability = 'reachable' | 'unreachable' | 'offline' | 'unknown';

/**
 * One call, as policies see it: read-only (its fields are getters; the core keeps them current).
 * Handed to every wrapper and, as `init.steadfetch`, to every per-attempt layer. A policy keeps its
 * own per-call state through `PolicyContext.perCall` (one object per call, for its wrapper and its
 * layer, gone with the call).
 * `steadfetch/policy`: stable from this version (semver applies).
 */
export interface PolicyCall {
	/** Upper-case method. */
	readonly method: string;
	/** The input as the caller gave it (may be relative to `prefix`/`baseUrl`). */
	readonly input: Input;
	/**
	 * The per-call options as the caller gave them: ky's, the core's, and each policy's (`staleCache:
	 * false`), typed by `CallOptions` as the policies merged it (a value is still the caller's: check it).
	 * The call's own copy, made as it started: a later change of the caller's object is not the call's.
	 */
	readonly options: Readonly<CallOptions>;
	/** The caller's own signal (the call's `signal` option, else the client's, else its Request input's, as ky reads it), to tell its abort apart from ky's timeouts. */
	readonly signal: AbortSignal | undefined;
	/** The client's `identity()` when the call was made (undefined without the option). */
	readonly identity: string | undefined;
	/** The `Idempotency-Key` the core fixed for the call (`idempotencyKey` option, or a keyed POST/PATCH). */
	readonly idempotencyKey: string | undefined;
	/** Whether the call is an outbox replay (set by the outbox through `PolicyContext.send`). */
	readonly replay: boolean;
	/** Where background work of this call goes (`waitUntil` option or `client.withContext`), if anywhere. The same function only for calls of one `withContext(ctx)`: a per-call option gets one of its own. */
	readonly waitUntil: ((promise: Promise<unknown>) => void) | undefined;
	/** Attempts started so far (1 during the first). */
	readonly attempts: number;
	/**
	 * When the current attempt started (epoch ms, the client's `clock`): ky's `timeout` for it runs
	 * from then, so a layer that makes it wait (the rate limiter) counts what the layers above took
	 * (a wait for a bulkhead slot). While a wrapper runs ky twice at once, the latest attempt's of either run.
	 */
	readonly attemptStartedAt: number;
	/** The first attempt's Request, as ky built it (final URL, merged headers), once it started. */
	readonly request: Request | undefined;
	/** The `Accept` of the first body shortcut the caller asked for (`.json()`: `application/json`), which each attempt without one carries. */
	readonly accept: string | undefined;
	/**
	 * The call's scope, computed at its first attempt. A call that settled before any (a wrapper answered, refused or timed
	 * out first) has the scope of its URL from then on, as the policies that watch outcomes (`settled`) see it; undefined
	 * when its URL does not resolve.
	 */
	readonly scope: string | undefined;
	/**
	 * Whether one of the call's retries or new runs (a failover attempt) was refused because its
	 * request context had no subrequest left (`client.withContext(ctx, { subrequests })`): the stale
	 * cache then answers with `detail=subrequests`.
	 */
	readonly limited: boolean;
	/**
	 * The world the call started in (identity, clears, removals: src/core/world.ts): work of the call
	 * that goes on after its caller was answered checks `world.current(part, id)` at each later write.
	 */
	readonly world: World;
}
