import { isTimeoutError, TimeoutError } from 'ky';
import { SteadfetchError } from '../errors/SteadfetchError.js';
import type { ContextLike, ContextOptions } from './client-types.js';
import { requestScoped } from '../utils/runtime.js';
import { serverDelay } from './server-delay.js';
import type { CoreClientOptions } from './options.js';
import type { Clock, WaitUntil } from './types.js';
import type { PolicyContext } from './policy.js';
import type { Stats } from './stats.js';
import { originPrefixes } from '../utils/origins.js';
import { requestOrigin } from './scope.js';
import { check, isPositiveInteger, maxTimerMs, optionsOf } from '../utils/validate.js';

/** Subrequests kept for the Worker's own use: past `subrequests − reserve` steadfetch adds none of its own. */
const reserve = 5;

/** The subrequests of an invocation on Cloudflare's free plan: `withContext`'s default in workerd. */
export const freePlanSubrequests = 50;

/**
 * An attempt (`sent`) whose multipart body was refused unread (an open breaker, an aborted signal, a policy's refusal):
 * the body locked, never cancelled. ky cancels it as the call ends, and Node's FormData serializer, cancelled in the
 * tick it started, throws outside any promise: the process ends. The browser build has no stand-in's work to do.
 */
export const unread = (request: Request, sent: Promise<Response>): Promise<Response> =>
	// A GET has no body: no header read on the happy path (a `Headers.get` costs ~1.5k instructions per attempt in Node).
	request.body && request.headers.get('content-type')?.startsWith('multipart/form-data') ? sent.catch((error: unknown) => {
		request.body?.locked || request.body?.getReader();
		throw error;
	}) : sent;

/**
 * The reason an attempt steadfetch would add (a retry, a hedge, a failover attempt, a replay) is not
 * sent: its request context has no subrequest left for it. A `SteadfetchError` (`ABORTED`, as the core's
 * refusal of a further attempt): no breaker, throttle or health counts it, and a layer above gives back
 * what it took for it (a rate-limit token: refused without I/O); the core ends a refused retry with its
 * last attempt's error instead.
 */
export class SubrequestsSpent extends SteadfetchError {}

/**
 * The subrequests of one request context object (a Worker's `ctx`): what every `withContext(ctx)` of
 * any client of the isolate counts in, its limit fixed by the first that gives one (else the default).
 */
interface Subrequests {
	/** `fetch`es made for the `ctx` so far (by every client of the isolate). */
	count: number;
	/** `budget:exhausted` was told for it (once per context). */
	told: boolean;
	/** The count at which steadfetch sends nothing more of its own: the first `withContext(ctx, { subrequests })`'s. */
	stop: number;
	/** `stop` was given (`subrequests`), not the default: later ones change nothing. */
	given: boolean;
}

/** Each request context object's subrequests, shared by the isolate's clients (module state: one per isolate), forgotten with the `ctx`. */
const counted = new WeakMap<object, Subrequests>();

/** A request context's `waitUntil` knows its context (a replay sent with it counts in it). */
const owner: unique symbol = Symbol('invocation');

/**
 * One `client.withContext(ctx, options)`: the request a Worker invocation serves. Its `waitUntil`
 * (the same function for all its calls: what dedupe and auth share within), the `fetch`es steadfetch
 * made for it (`used.count`: HTTP attempts, coordinator calls; Cache API operations are not fetches),
 * the request's end (`signal`, following the incoming request's) and its `deadline` (epoch ms of the
 * client's clock, from `deadlineHeader`). Nothing of it outlives the request: a new one per request.
 */
export class Invocation {
	// Declared, and assigned in the constructor: no field definitions per request (a third of its cost).
	/** The subrequests of its `ctx`: every `withContext(ctx)` of the isolate shares them. */
	declare readonly used: Subrequests;
	/** The context's own `waitUntil` (calling `ctx.waitUntil`): the same function for every call of it. */
	declare readonly waitUntil: WaitUntil;
	/** The request's end: follows the incoming request's signal (with `request`). */
	declare readonly signal: AbortSignal | undefined;
	/** When its calls must be over (epoch ms, the client's clock), from `deadlineHeader`. */
	declare readonly deadline: number | undefined;
	/** The client's clock, which `deadline` is read on (with one only). */
	declare readonly clock: Clock | undefined;

	constructor(ctx: ContextLike, subrequests: number, given: boolean, signal: AbortSignal | undefined, deadline: number | undefined, clock?: Clock) {
		const waitUntil = (promise: Promise<unknown>): void => ctx.waitUntil(promise);
		(waitUntil as { [owner]?: Invocation })[owner] = this;
		let used = counted.get(ctx);
		if (!used) {
			used = { count: 0, told: false, stop: 0, given: false };
			counted.set(ctx, used);
		}

		// Until a `withContext(ctx)` gives `subrequests` (a helper's may come first), the default's; 5 or fewer: none of steadfetch's own.
		if (!used.given) {
			used.stop = Math.max(0, subrequests - reserve);
			used.given = given;
		}

		this.used = used;
		this.waitUntil = waitUntil;
		this.signal = signal;
		this.deadline = deadline;
		this.clock = clock;
	}

	/** Whether the context has no subrequest left for what steadfetch would add. */
	get spent(): boolean {
		return this.used.count >= this.used.stop;
	}

	/** Count one subrequest steadfetch adds (a probe's own request, a coordinator call), if it may go: false, nothing counted, once spent. */
	take(): boolean {
		return !this.spent && ++this.used.count > 0;
	}
}

/**
 * The request context of `client.withContext(ctx, options)`: its options checked (a `TypeError` for
 * a `request` that is not one, a `RangeError` naming `subrequests`), the request's end followed
 * (workerd ignores an incoming request's signal given to `fetch` as it is; one that follows it
 * works), its deadline read from the client's `deadlineHeader` (a value that is not a non-negative
 * integer is ignored) as of `now`.
 */
export const openInvocation = (ctx: ContextLike, contextOptions: ContextOptions | undefined, deadlineHeader: string | undefined, clock: Clock): Invocation => {
	// Options that are no object (`withContext(ctx, 5)`) are a TypeError, never read as none.
	const options = optionsOf(contextOptions, 'withContext');
	scopedDefault ??= requestScoped() ? freePlanSubrequests : Infinity;
	// Only `undefined` is "not given" (API.md "Option values"): `null` is refused below, as any value of the wrong type.
	const given = options.subrequests !== undefined;
	const subrequests = given ? options.subrequests! : scopedDefault;
	if (subrequests !== Infinity) {
		check(isPositiveInteger(subrequests), 'subrequests', subrequests, 'a positive integer or Infinity');
	}

	const request = options.request;
	if (request === undefined) {
		return new Invocation(ctx, subrequests, given, undefined, undefined);
	}

	if (typeof (request as Partial<Request> | null)?.headers?.get !== 'function' || !((request as Partial<Request>).signal instanceof AbortSignal)) {
		throw new TypeError('`request` must be the incoming Request');
	}

	const value = deadlineHeader === undefined ? null : request.headers.get(deadlineHeader);
	const ms = Number(value);
	// Beyond what a timer holds, a far deadline: no bound beyond the call's own `totalTimeout`.
	return new Invocation(ctx, subrequests, given, AbortSignal.any([request.signal]), /^\d+$/.test(value!) && ms <= maxTimerMs ? clock.now() + ms : undefined, clock);
};

/**
 * With `deadlineHeader`: when a call of `invocation` must be over (epoch ms, `clock`'s), if ever — at
 * its `totalTimeout` (the client's when it gives none), or at its request's deadline when sooner.
 */
export const deadlines = (deadlineHeader: string | undefined, totalTimeout: unknown, clock: Clock) => deadlineHeader === undefined ? undefined : (invocation: Invocation | undefined, limit = totalTimeout): number | undefined => {
	const at = Math.min(typeof limit === 'number' ? clock.now() + limit : Infinity, invocation?.deadline ?? Infinity);
	return at === Infinity ? undefined : at;
};

/** A retry that would start with less time than this left before the request's deadline is not made (ms; see `deadlineHeader`). */
const lastRetryMs = 50;

/**
 * Why a retry of a call of a request context may not go, for one client's retry accounting
 * (`Accounting.stops`): its request's deadline less than `lastRetryMs` away when it would start
 * (after ky's delay read from the answer of `error`, when given: `serverDelay`) (`'deadline'`), or no
 * subrequest left (`'spent'`: counted in the scope's `retriesRefused`, and told once per context as a
 * spent retry budget is, `budget:exhausted` with reason `subrequests`). Undefined when it may.
 */
export const retryStops = ({ stats, emit, clock }: { readonly stats: Stats; readonly emit: PolicyContext['emit']; readonly clock: Clock }) =>
	({ invocation, deadline }: { readonly invocation?: Invocation | undefined; readonly deadline?: number | undefined }, scope: string, error?: object): 'deadline' | 'spent' | undefined => {
		if (invocation?.deadline !== undefined && deadline! - clock.now() - (serverDelay(error) ?? 0) < lastRetryMs) {
			return 'deadline';
		}

		if (!invocation?.spent) {
			return undefined;
		}

		stats.scope(scope).retriesRefused++;
		const { used } = invocation;
		if (!used.told) {
			used.told = true;
			emit('budget:exhausted', { scope, retries: used.count, allowed: used.stop, reason: 'subrequests' });
		}

		return 'spent';
	};

/** What an `Admission` reads of its call (`Call`). */
interface AdmittedCall {
	readonly invocation: Invocation | undefined;
	readonly deadline?: number | undefined;
	readonly replay: boolean;
	/** The call's first Request (a new run to another origin is a failover attempt). */
	readonly request: Request | undefined;
}

/** An attempt of a call (`Call`'s count): its first, a retry, or the first of a wrapper's new run (`restart`). */
type AttemptKind = 'first' | 'restart' | 'retry';

/** A run's mark (`FetchInit.steadfetchRun`): the kind of its attempt going out now. */
type MarkedRun = { kind?: AttemptKind };

/**
 * A call's standing in its request context (`Call.admission`, made only for a call of one): which
 * of its attempts are steadfetch's own (a retry, a replay, a wrapper's new run to another origin), a
 * refused one marking the call `limited`, and the checks its retries and attempts pass. The browser
 * build has none (invocation-browser.ts): its calls belong to no request context.
 */
export class Admission {
	readonly #call: AdmittedCall;
	readonly #stops: ReturnType<typeof retryStops>;
	/**
	 * What the attempt of the call's first run going out now is (`admit`): its first (a replay's is one steadfetch adds),
	 * a retry, or the first of a wrapper's new run. A run beside it (a wrapper that runs ky twice at once) keeps its own on its mark.
	 */
	#kind: AttemptKind = 'first';
	/** See `PolicyCall.limited`. */
	limited = false;

	constructor(call: AdmittedCall, stops: ReturnType<typeof retryStops>) {
		this.#call = call;
		this.#stops = stops;
	}

	/**
	 * An attempt of the call starts (`Call`'s count of it): the first, the first of a wrapper's new run, or a retry; of
	 * the run marked `run` (`FetchInit.steadfetchRun`: one a wrapper started again or beside another), noted there.
	 */
	counted(kind: AttemptKind, run?: object): void {
		if (kind === 'first') {
			this.limited = false;
		}

		if (run) {
			(run as MarkedRun).kind = kind;
		} else {
			this.#kind = kind;
		}
	}

	/**
	 * Whether a retry of the call may not go: its request context's deadline is too close, or the
	 * context has no subrequest left (counted and told once per context, the call marked `limited`).
	 * Asked as ky decides (with the `error` whose answer's headers give ky's delay, if they do) and again
	 * as the retry goes out.
	 */
	stops(scope: string, error?: object): boolean {
		const stop = this.#stops(this.#call, scope, error);
		this.limited ||= stop === 'spent';
		return stop !== undefined;
	}

	/**
	 * A retry forced with `ky.retry()` (which the checks of other retries do not refuse) that may not go: its request's
	 * deadline less than `lastRetryMs` away (ky's `TimeoutError`, as an attempt at the deadline ends) or no subrequest left
	 * (a `SubrequestsSpent`, as the transport's), told as a refused retry (`stops`); else undefined. Either error ends the
	 * call: ky makes a forced retry again after any error of its own, never after these.
	 */
	refusesForced(scope: string, request: Request): Error | undefined {
		const stop = this.#stops(this.#call, scope);
		this.limited ||= stop === 'spent';
		return stop === 'deadline' ? new TimeoutError(request) : stop && new SubrequestsSpent('No subrequest left', 'ABORTED', false);
	}

	/**
	 * A retry goes out (`sent`): refused as it goes out after all (another call took the context's last
	 * subrequest meanwhile; a retry forced with `ky.retry()`, which the checks before it do not refuse), it is
	 * told as a refused retry (`stops`) and the call ends with `refuse()`'s error, the retry's previous failure —
	 * without `refuse` (a forced retry: it has none), with the refusal.
	 */
	retried(sent: Promise<Response>, scope: string, refuse?: () => Error): Promise<Response> {
		return sent.catch((reason: unknown) => {
			if (reason instanceof SubrequestsSpent) {
				this.stops(scope);
				throw refuse ? refuse() : reason;
			}

			throw reason;
		});
	}

	/**
	 * An attempt of the call goes out (the transport, just before `fetch`): it is counted as one of the
	 * context's subrequests — unless it is one steadfetch adds (a retry, a hedge, a failover attempt: a
	 * wrapper's new run to another origin, an outbox replay) and the context has none left: then the
	 * reason it is not sent, a `SubrequestsSpent` (the call is `limited`, unless it was a hedge). A
	 * hedge's own check (`FetchInit.hedge`) comes after this one, so a refused hedge costs nothing. A
	 * new run to the call's own origin (auth's, after a token refresh) is the caller's — a replay's is the replay's.
	 */
	admit(request: Request, hedge: (() => unknown) | undefined, run?: object): unknown {
		const invocation = this.#call.invocation!;
		// The attempt's own run's kind: another run's retry counted meanwhile is not this one's.
		const kind = (run as MarkedRun | undefined)?.kind ?? this.#kind;
		if ((hedge || kind === 'retry' || this.#call.replay || (kind !== 'first' && requestOrigin(request.url) !== requestOrigin(this.#call.request!.url))) && invocation.spent) {
			this.limited ||= !hedge;
			return new SubrequestsSpent('No subrequest left', 'ABORTED', false);
		}

		const refused = hedge?.();
		if (!refused) {
			invocation.used.count++;
		}

		return refused;
	}
}

/**
 * A call's signal: the caller's (`own`); for a call of a request context made with `request`, followed
 * by the request's end too (a replay is background work: it does not end with the request).
 */
export const callSignal = (own: AbortSignal | undefined, invocation: Invocation | undefined, replay: boolean): AbortSignal | undefined => {
	const ended = replay ? undefined : invocation?.signal;
	return ended ? (own ? AbortSignal.any([own, ended]) : ended) : own;
};

/**
 * Whether a call runs against its request context's deadline (a replay, background work, does not): it
 * runs as wrapped, each run of ky with what is left of the deadline as its `totalTimeout` (`Call`).
 */
export const racesDeadline = (call: AdmittedCall): boolean => call.invocation?.deadline !== undefined && !call.replay;

/**
 * What a run of a call ends with when ky rejects with `error`: for a call of a request context with a
 * deadline, when ky gave a retry up at the deadline (waiting for it would pass the deadline), the
 * retry is not made and the call ends with its last attempt's error (`last`); else `error`. A
 * `TimeoutError` it ends with at the call's deadline is marked `totalTimeoutSpent` (its `totalTimeout`,
 * capped by the deadline, is spent: `queryOptionsFor` does not retry it), as `Call` marks its own.
 */
export const givenUp = ({ invocation, deadline }: AdmittedCall, error: unknown, last: unknown): unknown => {
	const given = last !== undefined && invocation?.deadline !== undefined && isTimeoutError(error) ? last : error;
	const clock = invocation?.clock;
	if (clock && isTimeoutError(given) && deadline! - clock.now() < 5) {
		(given as { totalTimeoutSpent?: boolean }).totalTimeoutSpent = true;
	}

	return given;
};

/** A call's `Admission` when it belongs to a request context, else none. */
export const admission = (call: AdmittedCall, stops: ReturnType<typeof retryStops>): Admission | undefined =>
	call.invocation && new Admission(call, stops);

/** `subrequests` when none is given: the free plan's where requests are scoped (workerd), else no limit. Read once. */
let scopedDefault: number | undefined;

/** The request context a `waitUntil` is the own of (a replay's, sent by the drain a call of it started; the members of `withContext(ctx)`), if any. */
export const invocationOf = (waitUntil: WaitUntil | undefined): Invocation | undefined => (waitUntil as { [owner]?: Invocation } | undefined)?.[owner];

/**
 * With `deadlineHeader`, an attempt to one of the client's own origins (as `Request.url` starts)
 * carries the call's remaining time: the origins of its `prefix` and `baseUrl` only, none without
 * them — never `location.origin` alone (Deno's `--location`), which is no service of the fleet. An
 * attempt (or a redirect hop) of a call at its deadline, less than a whole ms left on the client's
 * clock, is not sent: a `TimeoutError` (thrown), as ky's timer gives an attempt still pending then.
 */
export const stamping = (options: CoreClientOptions, clock: Clock) => {
	const { deadlineHeader, prefix, baseUrl } = options as { deadlineHeader?: string; prefix?: unknown; baseUrl?: unknown };
	const own = deadlineHeader === undefined ? [] : originPrefixes([prefix, baseUrl].filter(Boolean) as string[], options as Readonly<Record<string, unknown>>);
	return (request: Request, deadline: number): string | undefined => {
		const left = Math.floor(deadline - clock.now());
		// At the deadline (not a whole ms left): not sent, to any origin; the call ends with TIMEOUT, as an attempt pending then.
		if (left < 1) {
			throw new TimeoutError(request);
		}

		if (own.some((prefix) => request.url.startsWith(prefix))) {
			request.headers.set(deadlineHeader!, String(left));
			return deadlineHeader;
		}

		return undefined;
	};
};
