import { ForceRetryError, isTimeoutError, replaceOption, type Input, type KyInstance, type Options, type ResponsePromise } from 'ky';
import { classify, ownError } from '../errors/classify.js';
import { clientClosed } from './closing.js';
import type { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { SteadfetchError } from '../errors/SteadfetchError.js';
import type { Accounting } from './accounting.js';
import { fallbackResponse } from './fallback.js';
import { follow } from './follow.js';
import { admission, callSignal, givenUp, racesDeadline, type Admission, type Invocation } from './invocation.js';
import type { Counter, PolicyCall, PolicyContext, RunOptions } from './policy.js';
import type { CallOptions } from './options.js';
import { progressed, rejectedCall } from './response-promise.js';
import { invalidUrl, pathHint } from './scope.js';
import { hookedBody, namedRefusal, runOptions } from './validate-options.js';
import { promised, wrapApplies, type Placed } from './slots.js';
import type { Counters, Stats } from './stats.js';
import type { Clock, FetchInit, FetchLike, WaitUntil } from './types.js';
import type { Identities } from './context.js';
import type { World } from './world.js';
import { monotonicNow } from '../utils/clock.js';
import { describe, isObject, thrownText, unmarked } from '../utils/validate.js';

/** ky's shortcut methods a client has (`api.get`, ...). */
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'query';

/**
 * What an attempt rejects with when a layer answered it without I/O (`answer`), with the answer: its run's own (a
 * wrapper may run ky twice at once, each attempt answered its way). Not an `Error`: ky passes it through untouched
 * (no `beforeError` hook sees it), and our `shouldRetry` refuses it before asking anybody; the run settles with the answer instead.
 */
export class Answered {
	// Named `answer`: the size check finds tab messages in an edge bundle by the word outcome and a colon, which a ternary read of it matched.
	constructor(readonly answer: Response | Error) {
		Object.freeze(this);
	}
}

/** Count a call's outcome: a success (`ok`), in the counter a policy's answer counts in (`kind`) too, or a failure's `code`. */
const tally = (counters: Counters, ok: boolean, kind: Counter | undefined, code: string | undefined): void => {
	if (ok) {
		counters.successes++;
	}

	if (kind) {
		counters[kind]++;
	} else if (code) {
		counters.failures[code] = (counters.failures[code] ?? 0) + 1;
	}
};

/** What every call of a client needs of it: made once per client (src/core/caller.ts). */
export interface CallClient {
	readonly stats: Stats;
	/** The client's retry accounting: counts, the retry budget, the request contexts' refusals. */
	readonly accounting: Accounting;
	readonly clock: Clock;
	/** The policies with an outer wrapper, outermost first (by their wrap bands). */
	readonly wrappers: readonly Placed[];
	/** The policies that watch outcomes (`settled`), with their slots (per call `{ [slot]: false }`). */
	readonly watchers: readonly Placed[];
	/** How `stats()` counts an outcome a policy made (a stale copy, a 202 or an error for a queued write). */
	substituted(outcome: unknown): Counter | undefined;
	/** The client's `totalTimeout` (ky's, with the client's default), for a call that gives none. */
	readonly totalTimeout: unknown;
	/** The client's ky instance. */
	readonly instance: KyInstance;
	/** Whether the client has ky `init` hooks (one may give a call's body: `hookedBody`). */
	readonly inits: boolean;
	/** The client-level `onDownloadProgress`, for responses a policy substituted. */
	readonly onDownloadProgress: Options['onDownloadProgress'];
	/** The client-level `signal` (ky's option), which ky merges into a call that gives none: the caller's signal then. */
	readonly signal: Options['signal'];
	/** The client's sensitive query parameters (`sensitiveParamSet`): the error of a URL that does not parse shows none of their values. */
	readonly params: ReadonlySet<string>;
	/** A `retry` a wrapper gives its run (`next({ retry })`) as ky gets a call's own (ky-options.ts `kyRetry`): over the client's rules. */
	retryOf(own: unknown, unsafe: boolean): unknown;
	/** A `fetch` a wrapper gives its run (`next({ fetch })`) as ky gets a call's own (ky-options.ts `callFetch`): through the layers. */
	fetchFor(call: Call, own: FetchLike): FetchLike;
	/** Give a wrapped call's promise ky's body shortcuts (src/core/response-promise.ts). */
	withShortcuts(promise: Promise<Response>, call: Call): ResponsePromise;
	/** The policies' hooks (`PolicyContext.hooks`): failover's `targetOf`, asked for a call's later attempts only. */
	readonly hooks: TargetHook;
	/** Whether the client was closed. */
	closed(): boolean;
	/** The calls a wrapper holds before its first run (`#bounded`): each refused at once by the client's `close()`. */
	readonly held: Set<() => void>;
	/** The scope of the URL a call of `input` goes to (its own `prefix`/`baseUrl` in `options`, else the client's); undefined when none resolves. */
	urlScope(input: Input, options: PolicyCall['options']): string | undefined;
	/** The client's identity as read: a call's world is bound to its epoch as the call starts (src/core/context.ts). */
	readonly who: Identities;
}

/**
 * The hooks the core asks about a call's retries: failover's (`PolicyHooks.targetOf`, declared by `steadfetch/failover`),
 * where a call's attempt really goes; the breaker's (`PolicyHooks.refusesRetry`, declared by `steadfetch/breaker`), whether
 * it would refuse the retry ky is about to wait for.
 */
export interface TargetHook {
	readonly targetOf?: ((call: PolicyCall, url: string) => string | undefined) | undefined;
	readonly refusesRetry?: ((call: PolicyCall, url: string, error: Error, timed: boolean) => boolean) | undefined;
}

/** What a call is made of: what the caller asked, checked (src/core/caller.ts). */
export interface CallInit {
	/** The upper-case method. */
	readonly method: string;
	readonly input: Input;
	/** The per-call options as the caller gave them. */
	readonly options: PolicyCall['options'];
	/** The world a call of its identity starts in (src/core/world.ts). */
	readonly world: World;
	readonly idempotencyKey: string | undefined;
	readonly replay: boolean;
	readonly waitUntil: WaitUntil | undefined;
	/** The request context of `client.withContext(ctx, options)` the call counts in, if any. */
	readonly invocation: Invocation | undefined;
	/** When the call must be over (epoch ms, the client's clock), with `deadlineHeader` only. */
	readonly deadline: number | undefined;
}

type Run = (extras?: readonly RunOptions[]) => Promise<Response>;

/**
 * A run's mark (`FetchInit.steadfetchRun`), with its own last failure, latest Request ky made itself, attempts so far
 * (`tries`) and first attempt's share of a retry budget still to earn (`firstIn`): two runs at once each retry after their
 * own (`CallState.failure`), following their own run's abort (`CallState.made`), each retry counted among its own run's
 * (`CallState.retry`), each first attempt earning as it goes out (`CallState.firstIn`), each attempt timed from its own
 * start (`CallState.startedAt`). `unpaid`: the scope of its latest retry, given back as its attempt ended before it went
 * out, while the request it made may still go (one dedupe shares goes on for the callers left): paid as it does (`sending`).
 */
type RunMark = { due: boolean; failure?: unknown; made?: Request | undefined; tries?: number; firstIn?: string | undefined; startedAt?: number; out?: number; unpaid?: string | undefined; thrown?: unknown };

/**
 * A client's `PolicyContext.perCall`, the one door to a policy's per-call state: each policy that
 * asks gets its own slot of every call's state (`Call.local`), made by whichever half asks first.
 */
export const perCallSlots = (): PolicyContext['perCall'] => {
	let slots = 0;
	return (make) => {
		const index = slots++;
		return (call) => (call as Call).local(index, make);
	};
};

/**
 * A per-call option ky would refuse as it builds the Request: the same typed error on every path, before any I/O; `hint` says what to do;
 * none of the values of `params` (the client's sensitive query parameters) shown in it (`invalidUrl`: a URL's message).
 */
export const invalid = (error: unknown, hint = '', params: ReadonlySet<string> = new Set()): InvalidRequestError =>
	invalidUrl(`Invalid request: ${thrownText(error)}${hint}`, error, params);

/** What to do with a body given to a GET or HEAD (`json` or `body`), which fetch refuses in each runtime's own words. */
const bodyHint = (method: string, { json, body }: { json?: unknown; body?: unknown }): string =>
	/^(GET|HEAD)$/.test(method) && (json !== undefined || body != null) ? ' A GET or HEAD sends no body: give its data as `searchParams`, or use `post`.' : '';

/**
 * ky's run of a call rejected with `error`: a raw network failure is the app's own (`ownError`), and the error of an
 * answer a service worker's client said is never retried (`Steadfetch-Retriable: false`, steadfetch/sw) is marked
 * `retriable: false` before any wrapper reads it: the stale copy or `fallback` answered for it, and `queryOptionsFor`, say so.
 */
const rejected = (error: unknown): void => {
	ownError(error);
	if ((error as { response?: Response } | null)?.response?.headers?.get?.('steadfetch-retriable') === 'false') {
		(error as { retriable?: boolean }).retriable = false;
	}
};

/**
 * What ky would refuse when it builds the Request, for a wrapped call: a wrapper may read it first
 * (the outbox stores them), so the same typed error on every path, before any I/O. A body of none of
 * fetch's types is converted to a string, as here: a Symbol cannot be. A `Request` input whose body
 * was read, or is being read (locked), cannot be sent again unless the call gives a body of its own.
 */
const unsendable = ({ input, options }: PolicyCall, headers: Headers | undefined): InvalidRequestError | undefined => {
	try {
		if (options.headers && !headers) {
			new Headers(options.headers as HeadersInit);
		}

		if (input instanceof Request && (input.bodyUsed || input.body?.locked) && options.body == null && options.json === undefined) {
			throw new TypeError('The Request\'s body was used already');
		}

		void `${options.body as string}`;
		return undefined;
	} catch (error) {
		return invalid(error);
	}
};

/**
 * What a call keeps and changes as it runs (`Call`'s own, no policy sees it): one object made from a literal
 * with the call, not a private field each — V8 defines each private field of a new instance with a keyed store
 * of its own, nineteen per call (issue 47: 2.8k steady instructions per call of `steadfetch/core` on repeated
 * URLs, `bench/instructions.mjs`, three seeds).
 */
interface CallState {
	/** ky's options for the call (`run`), with each wrapper's additions merged over them per run. */
	forKy: Record<string, unknown>;
	attempts: number;
	/** When the call's latest attempt started (`PolicyCall.attemptStartedAt`), and its first run's current one (`startedAt`; a marked run's on its mark: `startAt`). */
	attemptStartedAt: number;
	startedAt: number;
	/** The call's attempts (hedges included) that reached the transport (`sending`). */
	sends: number;
	/**
	 * The call's first run's own attempts that reached the transport, its hedges aside (`wentOut`): an attempt held below
	 * while its hedge, or a run beside it, went out did not go out. A marked run keeps its own on its mark (`RunMark`).
	 */
	out: number;
	request: Request | undefined;
	scope: string | undefined;
	/** A call that settled before its first attempt, for the watchers (`#settle`): the scope of its URL, what `scope` says until an attempt fixes it. */
	named?: string | undefined;
	/**
	 * The last failed attempt's error (the transport's; ky's HTTPError, from `shouldRetry`) of the call's first run: a
	 * marked run keeps its own on its mark (`RunMark`), so a run beside it never retries after (nor tells) another's.
	 */
	failure: unknown;
	/** A layer's answer in place of the network, the current attempt's (kept while one run goes: `answer`): the run resolves with a Response, rejects with an Error. */
	answer: Response | Error | undefined;
	/** ky's promise for the latest run, and the Response it resolved with (to tell it from a substitute). */
	run: ResponsePromise | undefined;
	response: Response | undefined;
	/** Once a second run started (a wrapper ran ky again, or twice at once): each run by the Response it resolved with (`runOf`). */
	runs?: Map<Response, ResponsePromise>;
	/**
	 * The `Accept` of the first body shortcut asked for (`.json()`: `application/json`), set on each attempt that has none, as
	 * ky's shortcut sets it on its request before it sends (`accepts`).
	 */
	accept: string | undefined;
	/**
	 * Whether the call's first run (the one started with no run before or beside it: it carries no `steadfetchRun` mark) had an
	 * attempt: its next ones are retries. A run a wrapper started again (failover, auth), or beside one still going (one
	 * that runs ky twice at once), carries its own mark (`FetchInit.steadfetchRun`), which its first attempt spends.
	 */
	plain: boolean;
	/** The call's runs of ky still going (`#runKy`). */
	live: number;
	/** The current attempt's number among its run's retries (`retryCount`: ky counts a run's retries from 1), and the call's first run's attempts so far (`RunMark.tries`). */
	retry: number;
	tries: number;
	/**
	 * The scope whose retry budget the call's first run's current attempt earns its share in as it goes out (`sending`): the
	 * call's, for its first attempt; a mirror's, for a new run's first attempt to failover's mirror. A marked run keeps its own
	 * on its mark (`RunMark`): an attempt of another run, going out or not, neither takes nor drops it.
	 */
	firstIn: string | undefined;
	/** Each policy's state for this call, at the index `PolicyContext.perCall` gave the policy. */
	locals: unknown[] | undefined;
	/** When the call started (`monotonicNow()`): a run a wrapper starts again has what is left of its `totalTimeout`. */
	began: number;
	/** The Idempotency-Key every attempt carries (the call's, or its run's from a wrapper): an `init` hook that replaced the headers dropped it. */
	key: string | undefined;
	/**
	 * The latest Request of the call's first run that ky made itself (not a clone): held, so that its signal follows ky's
	 * abort (`follow`); a marked run holds its own on its mark (`RunMark`), never followed by another run's retry.
	 */
	made: Request | undefined;
	/**
	 * Whether the call's outcome was counted (`#settle`): a first attempt after it (a wrapper's run in the background) counts no
	 * call. A function when the call settled before its first attempt (a wrapper answered, or failed, before its run's first
	 * attempt, or calls `next()` later): it counts the call and its outcome in the scope that attempt goes to, as it goes (`attempt`).
	 */
	settled: boolean | ((counters: Counters) => void);
	/** Whether the wrappers are running as the call starts (`run`), before any of them waited: a first run then needs no `totalTimeout` of ours. */
	inline: boolean;
	/**
	 * The call ended at its `totalTimeout` (or deadline) while its wrappers waited (`#bounded`): a run they start later has
	 * none left (a timer may fire a ms early, which left such a run that ms to send in).
	 */
	timedOut?: true;
	/** An attempt's answer that was a steadfetch service worker's stale copy or queued write's `202` (`Call.stoodIn`), and the counter it counts in. */
	standIn?: [Response, Counter];
	/** The failure ky handed the run's `beforeError` hooks (`noted`; a marked run's on its mark). */
	thrown?: unknown;
	/** Each failure the `beforeError` hooks made another error of, with that error: what the caller gets for it (`#runKy`). */
	shown?: Map<unknown, unknown>;
}

/**
 * One call, and its owner: it runs the call (the wrappers that apply chained around ky's runs, or
 * ky's own promise), sees each of its attempts (the outermost layer hands them to `attempt`), and
 * counts how it ends. Policies see it as `PolicyCall`, read-only in fact: frozen, the fields the call
 * keeps current behind getters, every change made by its own methods. The methods besides the
 * getters are the core's hallways (the accounting layer, the transport, `shouldRetry`, the policies'
 * context, the body shortcuts); no policy is given them.
 */
export class Call implements PolicyCall {
	readonly #client: CallClient;
	/** What the call keeps and changes as it runs (`CallState`). */
	readonly #state: CallState = {
		forKy: {},
		attempts: 0,
		attemptStartedAt: 0,
		startedAt: 0,
		sends: 0,
		out: 0,
		request: undefined,
		scope: undefined,
		failure: undefined,
		answer: undefined,
		run: undefined,
		response: undefined,
		accept: undefined,
		plain: false,
		live: 0,
		retry: 0,
		tries: 0,
		firstIn: undefined,
		locals: undefined,
		began: 0,
		key: undefined,
		made: undefined,
		settled: false,
		inline: false,
	};

	readonly method: string;
	readonly input: Input;
	readonly options: PolicyCall['options'];
	readonly identity: string | undefined;
	readonly world: World;
	readonly idempotencyKey: string | undefined;
	readonly replay: boolean;
	readonly waitUntil: WaitUntil | undefined;
	/**
	 * The request context of `client.withContext(ctx, options)` the call counts in (an outbox replay
	 * joins the context of the call that started its drain).
	 */
	readonly invocation: Invocation | undefined;
	/** When the call must be over (epoch ms, the client's clock), with `deadlineHeader` only. */
	readonly deadline: number | undefined;
	/** The caller's signal (the call's, else the client's, else a Request input's); for a call of a request context made with `request`, followed by the request's end too. */
	readonly signal: AbortSignal | undefined;
	/** Its standing in its request context (which attempts it may add), for a call of one (src/core/invocation.ts). */
	readonly admission: Admission | undefined;

	constructor(client: CallClient, init: CallInit) {
		this.#client = client;
		this.method = init.method;
		this.input = init.input;
		this.options = init.options;
		this.identity = init.world.identity;
		this.world = init.world;
		this.idempotencyKey = this.#state.key = init.idempotencyKey;
		this.replay = init.replay;
		this.waitUntil = init.waitUntil;
		this.invocation = init.invocation;
		this.deadline = init.deadline;
		// The app's calls of a context end with its request (a replay is background work: it does not).
		// The caller's signal as ky merges it: the call's with the client's (either ends it), the call's alone inside ky's
		// `replaceOption()` mark or given as `undefined` (none then); without any, a Request input's own (`options.signal ?? input.signal`).
		const given = init.options.signal as AbortSignal | null | undefined;
		const own = unmarked(given) as typeof given;
		const merged = own !== given || (given === undefined && Object.hasOwn(init.options, 'signal')) ? own
			: given && client.signal && AbortSignal.any ? AbortSignal.any([client.signal, given]) : given ?? client.signal;
		this.signal = callSignal(merged ?? (init.input instanceof Request ? init.input.signal : undefined), init.invocation, init.replay);
		this.admission = admission(this, client.accounting.stops);
		// Read-only in fact: no policy can change a field or shadow a getter.
		Object.freeze(this);
	}

	get limited(): boolean {
		return this.admission?.limited ?? false;
	}

	get attempts(): number {
		return this.#state.attempts;
	}

	/** The current attempt's number among its run's retries, as ky's hooks count it (`retryCount`: 1 for the run's first retry). */
	get retryCount(): number {
		return this.#state.retry;
	}

	get attemptStartedAt(): number {
		return this.#state.attemptStartedAt;
	}

	/**
	 * When the current attempt of the run marked `mark` (none: the call's first run) started (the client's clock): while
	 * two runs go at once, each attempt's own start, where `attemptStartedAt` is the latest of them.
	 */
	startAt(mark?: object): number {
		return ((mark ?? this.#state) as RunMark).startedAt ?? this.#state.attemptStartedAt;
	}

	/** When the call started (`monotonicNow()`, the real clock): ky's `totalTimeout` runs from then, a `beforeRequest` hook's wait included. */
	get began(): number {
		return this.#state.began;
	}

	/** The call's attempts (hedges included) that went out so far: reached the transport past every layer (`sending`). */
	get sends(): number {
		return this.#state.sends;
	}

	get request(): Request | undefined {
		return this.#state.request;
	}

	get accept(): string | undefined {
		return this.#state.accept;
	}

	get scope(): string | undefined {
		return this.#state.scope ?? this.#state.named;
	}

	/**
	 * Run the call with ky's options for it (`forKy`), the headers carrying its key (if any) and its
	 * `fallback`. A call no wrapper applies to and without `fallback` is ky's own promise: nothing can
	 * answer in ky's place, so nothing is wrapped; its outcome is counted by a reaction added before the
	 * caller's. Otherwise the wrappers that apply run around ky, and the promise gets ky's body shortcuts.
	 */
	run(forKy: Record<string, unknown>, headers: Headers | undefined, fallback: unknown): ResponsePromise {
		const began = monotonicNow();
		this.#state.began = began;
		this.#state.forKy = forKy;
		let next: Run | undefined;
		try {
			next = this.#chain();
		} catch (error) {
			// An `appliesTo` that throws fails this call only, as a rejection (never a throw from a client method).
			return rejectedCall(error);
		}

		const unfit = next && unsendable(this, headers);
		if (unfit) {
			return rejectedCall(unfit);
		}

		// A call of a request context with a deadline runs as wrapped: its last attempt's error stands when
		// ky gives a retry up at the deadline (`#runKy`).
		if (next === undefined && fallback === undefined && !racesDeadline(this)) {
			return this.#direct(this.#start(forKy), began);
		}

		// The wrappers run up to their first wait; a first run started after it (`#runKy`) has what is left of `totalTimeout`.
		this.#state.inline = true;
		const running = (next ?? (() => this.#runKy()))();
		this.#state.inline = false;
		// No ky run started at once (a wrapper waits first): nothing of ky's bounds the call (`#bounded`). One started at once is
		// ky's to bound, and its wrappers' to answer: a wrapper that then waits for ever holds the call, as a ky hook that never
		// settles holds ky's (bounding it by the caller's signal cost each wrapped call with a signal a promise and a listener).
		return this.#client.withShortcuts(this.#wrapped(this.#state.run ? running : this.#bounded(running), fallback, began), this);
	}

	/**
	 * A wrapped call whose wrappers started no run of ky at once (one waits first: a token, a lock, a queue of the app's
	 * that reads no signal, or for ever): the caller's abort rejects it with the reason at once, its `totalTimeout`
	 * (from the call's start), or its request's deadline when sooner (`deadline`), with ky's `TimeoutError` (a run of ky
	 * with none left: nothing sent), as fetch and ky would, and the client's `close()` with `CLIENT_CLOSED`, as a
	 * bulkhead's waiter; what the wrappers give later is nobody's. Cleared as the call settles.
	 */
	#bounded(running: Promise<Response>): Promise<Response> {
		// A signal of the wrong type (the caller's `signal: 5`) is none here: ky's run refuses it (InvalidRequestError).
		const signal = this.signal instanceof AbortSignal ? this.signal : undefined;
		const { held } = this.#client;
		const limit = this.#limit();
		return new Promise((resolve, reject) => {
			const end = <T>(settle: (value: T) => void) => (value: T): void => {
				clearTimeout(timer);
				signal?.removeEventListener('abort', aborted);
				held.delete(closed);
				settle(value);
			};

			const aborted = (): void => end(reject)(signal!.reason);
			// Refused as a bulkhead's waiter is, while it waits: a run it started goes on as any call's does at `close()`.
			const closed = (): void => void (this.#state.run || end(reject)(clientClosed()));
			held.add(closed);
			// Once a wrapper started a run, ky's `totalTimeout` bounds it (what is left of it) and the wrapper answers its end
			// (the outbox queues a write that timed out): the timer then leaves the call to them.
			// What is left of `totalTimeout`, or of the request's deadline (`deadlineHeader`: the client's clock) when sooner.
			const left = Math.min(typeof limit === 'number' ? limit - (monotonicNow() - this.#state.began) : Infinity, (this.deadline ?? Infinity) - this.#client.clock.now());
			const timer = left < Infinity ? setTimeout(() => {
				if (!this.#state.run) {
					this.#state.timedOut = true;
					void this.#start({ ...this.#state.forKy, totalTimeout: 0 }).then(end(resolve), (error: unknown) => end(reject)(givenUp(this, error, undefined)));
				}
			}, left) : undefined;
			signal?.aborted ? aborted() : signal?.addEventListener('abort', aborted);
			running.then(end(resolve), end(reject));
		});
	}

	/**
	 * One attempt of the call, from the outermost per-attempt layer. The first fixes the call's
	 * Request and scope and counts toward `stats()` and the retry budget; a later one is a retry ky is
	 * sending, except the first attempt of a run a wrapper started again. A retry spends the retry
	 * budget here, where it really goes out (a retry a `beforeRetry` hook stopped, or a total timeout or
	 * abort that ended the call during the delay, never reaches this layer; one a layer refused or answered
	 * without I/O, or held below while its hedge went out and won, is neither counted nor paid): when concurrent calls spent
	 * the budget meanwhile, the retry is refused and the call ends with the previous attempt's error
	 * (noted by `shouldRetry` or the transport, or ky's own while somebody listens to `retry`). A retry
	 * the caller forced with `ky.retry()` is paid for, never refused. A retry of a run a policy sends
	 * elsewhere (failover's mirror) is paid, counted and told in the scope it goes to. No retry or new run goes out once
	 * the call's identity changed or the client was cleared since it started (`PolicyCall.world`):
	 * the transport asks, after every layer's wait (`unbound`).
	 */
	attempt(request: Request, init: FetchInit | undefined, next: FetchLike): Promise<Response> {
		if (this.#state.key && !request.headers.has('idempotency-key')) {
			request.headers.set('idempotency-key', this.#state.key);
		}

		// A wrapped call's body shortcut (`accepts`), as ky's sets it: an `Accept` the call or a hook gave stays.
		if (this.#state.accept && !request.headers.get('accept')) {
			request.headers.set('accept', this.#state.accept);
		}

		this.#state.answer = undefined;
		const now = this.#client.clock.now();
		this.#state.attemptStartedAt = now;
		const kind = this.#count(request, init);
		this.admission?.counted(kind, init?.steadfetchRun);
		const scope = this.#state.scope!;
		const { accounting } = this.#client;
		// The run this attempt is of (the call's first run: the call's own state).
		const run = (init?.steadfetchRun ?? this.#state) as RunMark;
		run.startedAt = now;
		if (kind === 'first') {
			run.firstIn = scope;
			// An outbox replay is no call of the app's: its write was counted once, when it was queued (`stats()`). Nor is the
			// run a wrapper let go on after it answered (stale-while-revalidate): the call was counted as it settled, or is now
			// with the outcome it settled with, when it settled before this attempt (`CallState.settled`).
			const { settled } = this.#state;
			if (!this.replay && !settled) {
				accounting.first(scope);
			} else if (typeof settled === 'function') {
				this.#state.settled = true;
				settled(this.#client.stats.scope(scope));
			}

			return this.#send(request, init, next);
		}

		// A later attempt a policy below sends elsewhere (failover's mirror): its Request and failure are known as the
		// call's (ky's TimeoutError carries the one, its NetworkError the other), so `shouldRetry` asks the mirror's budget.
		const to = this.#client.hooks.targetOf?.(this, request.url);
		if (to !== undefined) {
			accounting.owns(request, this);
		}

		// A new run's first attempt to a mirror is a first attempt there: it earns the mirror's budget its share once it goes out,
		// and is one of the mirror's `requests` (a `stats()` row of its own, with each policy's view of it; its outcome is the call's).
		const firstIn = kind === 'restart' && to !== undefined ? accounting.scopeOf(to) : undefined;
		run.firstIn = firstIn;
		if (firstIn !== undefined && firstIn !== scope && !this.replay) {
			this.#client.stats.scope(firstIn).requests++;
		}

		if (kind === 'retry') {
			// A retry of a mirror's run is paid, counted and told in the mirror's scope, as its hedge is.
			const at = to === undefined ? scope : accounting.scopeOf(to);
			// The error the previous attempt of this run failed with (see `failed`), once: this retry takes it.
			const error = run.failure as Error | undefined;
			run.failure = undefined;
			const forced = !error || error instanceof ForceRetryError;
			const { admission } = this;
			const paid: { bucket?: number | undefined } = {};
			if ((!forced && admission?.stops(at)) || accounting.refuses(at, true, forced, paid)) {
				return Promise.reject(this.#refuse(error!));
			}

			// A forced one (no error to end the call with) when its request's deadline is too close or the context has no
			// subrequest left: refused, never told as a retry.
			const refused = forced && admission?.refusesForced(at, request);
			if (refused) {
				return Promise.reject(refused);
			}

			accounting.retried(this, to === undefined ? request : new Request(to, { method: request.method }), at, error);
			// A retry a layer refused or answered without I/O (an open breaker, the throttle, a bulkhead or rate limit) was not
			// sent: not counted, not paid. One that reached the transport was (`sending`), whatever a layer made of its answer;
			// one held below while its hedge went out and won was not (the hedge is paid as it goes out, and answered the call).
			// One whose attempt ended before its request went out, which went out after all (a request dedupe shares goes on for
			// the callers still waiting on it once this one left), is paid and counted then (`unpaid`, `sending`).
			const out = run.out;
			run.unpaid = undefined;
			// Made to follow ky's abort (`follow`), or the run's latest Request that ky made itself when it made this one anew.
			if (!follow(request, run.made!)) {
				run.made = request;
			}

			const sent = this.#sendTo(to, request, init, next).finally(() => {
				if (run.out === out) {
					accounting.unsent(at, paid.bucket);
					run.unpaid = at;
				}
			});
			// Refused as it goes out after all, the call ends with this error (src/core/invocation.ts); a forced one, which ky
			// would make again on any error of its own, with the refusal. Either is told as a refused retry.
			return admission ? admission.retried(sent, at, forced ? undefined : () => this.#refuse(error)) : sent;
		}

		return this.#sendTo(to, request, init, next);
	}

	/**
	 * An attempt of the call's run marked `mark` (none: the call's first run) goes out (the transport, past every layer's
	 * refusal): the call's first attempt earns the scope's retry budget its share (`ratio × first attempts`), and so does a
	 * new run's first to a failover mirror, in the mirror's scope, each once, whatever the call's other runs did meanwhile;
	 * a call failed fast without I/O earns none, nor one whose first attempt joined another's request (dedupe), whose
	 * retry is no first attempt. A hedge (`hedge`: its `FetchInit.hedge`) is no attempt of the run's own (`wentOut`). A
	 * retry of the run given back as its attempt ended unsent (`RunMark.unpaid`), whose request goes out now, is paid and counted.
	 */
	sending(mark?: object, hedge?: unknown): void {
		this.#state.sends++;
		const run = (mark ?? this.#state) as RunMark;
		if (!hedge) {
			run.out = (run.out ?? 0) + 1;
			// Its retry given back as its attempt ended (`unpaid`): the request goes out after all.
			if (run.unpaid !== undefined) {
				this.#client.accounting.resent(run.unpaid);
				run.unpaid = undefined;
			}
		}

		if (run.firstIn !== undefined) {
			this.#client.accounting.sent(run.firstIn);
			run.firstIn = undefined;
		}
	}

	/**
	 * The signal ky aborts the current attempt of the run marked `mark` (none: the call's first run) with, at its `timeout`
	 * or `totalTimeout`: that of the latest Request of the run that ky made itself (`made`). A Request a layer sends in its
	 * place follows it, unless the layer gave it a signal of its own: an abort of that one is the layer's, no timeout of ky's.
	 */
	kySignal(mark?: object): AbortSignal | undefined {
		return ((mark ?? this.#state) as RunMark).made?.signal;
	}

	/**
	 * How many attempts of the run marked `mark` (none: the call's first run) went out so far, its hedges aside: one that
	 * ends unchanged did not go out (held below until its abort), whatever its hedge or another run sent meanwhile.
	 */
	wentOut(mark?: object): number {
		return ((mark ?? this.#state) as RunMark).out ?? 0;
	}

	/**
	 * Asked by the transport as an attempt goes out, after every layer's wait (a bulkhead slot, a
	 * rate-limit token, a breaker's half-open turn, an async hook, auth's `token()`): once an attempt of
	 * the call went out (its own, or another's request it joined: dedupe; then it has a later attempt), or
	 * from its first when the call started with an identity, no attempt (its first,
	 * a retry, a hedge, a wrapper's new run: auth's after a refresh, failover's to a mirror) goes after
	 * its identity changed or the client was cleared since the call started (src/core/world.ts). A call
	 * made while nobody was signed in (or with no `identity` option) is refused at its first attempt too
	 * when nobody is signed in still and the client was cleared since (a logout without `identity`: as
	 * auth refuses its token then); one whose first attempt waited while somebody signed in goes. The error
	 * it is refused with (no I/O; a retry refused so is not counted nor paid), else undefined. Nor, once one of its attempts
	 * went out, does a further one (a retry, a hedge, a mirror's) after the client's `close()`: `CLIENT_CLOSED`, as a call made after it.
	 */
	unbound(): SteadfetchError | undefined {
		if (this.#state.sends && this.#client.closed()) {
			return clientClosed();
		}

		// An identity is a non-empty string or undefined (`identityOf`); `who.now()` is null when identity() fails: nobody known.
		if (!this.world.current() && (this.#state.sends || this.#state.attempts > 1 || this.identity || !this.#client.who.now())) {
			return new SteadfetchError('Not sent: the identity changed, or the client was cleared, since the call started', 'ABORTED', false);
		}
	}

	/**
	 * An attempt of the run marked `run` (none: the call's first) failed with `failure` (the transport's error; ky's HTTPError,
	 * from `shouldRetry`): the error behind that run's retry that follows.
	 */
	failed(failure: unknown, run: object = this.#state): void {
		(run as RunMark).failure = failure;
		if (this.invocation && isObject(failure)) {
			// ky's `shouldRetry` sees it (or its NetworkError around it): the call is known by it.
			this.#client.accounting.owns(failure, this);
		}
	}

	/**
	 * A layer answers an attempt without I/O (`PolicyContext.answer`): the call's run resolves with
	 * `outcome` when it is a Response, rejects with it when it is an error. The attempt itself rejects
	 * with `Answered` (carrying it), which ky neither retries nor hands to a hook. A call no wrapper applies to is
	 * ky's own promise (no run of ours: `#run`), which can only reject: with the error, or a TypeError
	 * that says why a Response cannot answer it (never with `Answered`, which is no Error). The first
	 * answer of an attempt is the call's (`attempt` forgets the previous attempt's): a layer above that
	 * answers again (it saw only a rejection) replaces nothing, and an answer its attempt did not end
	 * with (made once its `next()` resolved, not returned) answers nothing (`#runKy`). While two runs of
	 * the call go at once (a wrapper that runs ky twice), each answer is the one its attempt rejects with:
	 * a layer may answer them later (a store read), in any order, and each run settles with its own.
	 */
	answer(given: Response | Error): Promise<never> {
		// Anything else (nothing, a string, a plain object) is the layer's fault, said so: never what the caller gets.
		const outcome = given instanceof Response || given instanceof Error ? given : new TypeError(`answer() takes a Response or an Error; got ${describe(given)}`);
		if (!this.#state.run) {
			return Promise.reject(outcome instanceof Response ? new TypeError('answer() with a Response needs a wrapper that applies to the call') : outcome);
		}

		// Two runs at once (`live`): an answer may be either's, made later than the other's (a store read): each its own.
		if (this.#state.live < 2) {
			this.#state.answer ??= outcome;
		}

		return Promise.reject(new Answered(this.#state.live < 2 ? this.#state.answer! : outcome));
	}

	/**
	 * ky hands `error` to the `beforeError` hooks of the run marked `mark` (none: the call's first run): the failure the
	 * policies decide on and `stats()` counts, whatever error of the app's the hooks make of it (ky-options.ts `errorHooks`).
	 */
	noted(error: unknown, mark?: object): void {
		((mark ?? this.#state) as RunMark).thrown = error;
	}

	/** A policy's state for this call (`PolicyContext.perCall`), made once (by whichever half asks first) and the same for both. */
	local<S>(index: number, make: (call: PolicyCall) => S): S {
		this.#state.locals ??= [];
		this.#state.locals[index] ??= make(this);
		return this.#state.locals[index] as S;
	}

	/**
	 * An attempt's answer is a steadfetch service worker's stale copy (transport.ts: a page a worker controls) or its `202` for a
	 * write its outbox queued: `stale` or `queued` in `stats()` when the call resolves with it, as the page's own policies' are.
	 */
	stoodIn(response: Response, kind: Counter): void {
		this.#state.standIn = [response, kind];
	}

	/** Whether `response` is one of ky's own, of one of the call's runs (not one a policy or a wrapper made). */
	isKys(response: Response): boolean {
		const { runs } = this.#state;
		return runs ? runs.has(response) : response === this.#state.response;
	}

	/** The run of ky of a wrapped call that resolved with `response` (a wrapper gave one of ky's own back), none when a policy or a wrapper made it. */
	runOf(response: Response): ResponsePromise | undefined {
		const { runs, run } = this.#state;
		return runs ? runs.get(response) : response === this.#state.response ? run : undefined;
	}

	/**
	 * A body shortcut was asked for: every attempt from now on that has no `Accept` (or an empty one) asks for its type, as
	 * ky's shortcut would have set it before its first send — the first shortcut asked for wins, as with ky.
	 */
	accepts(type: string): void {
		this.#state.accept ??= type;
	}

	/**
	 * Count an attempt starting: the first fixes the call's Request and scope; a restart is the first attempt of a wrapper's
	 * new run (its own, known by its run's mark: a run that never reached an attempt leaves no restart behind for another's retry).
	 */
	#count(request: Request, init: FetchInit | undefined): 'first' | 'restart' | 'retry' {
		const mark = init?.steadfetchRun;
		const fresh = mark ? mark.due : !this.#state.plain;
		if (mark) {
			mark.due = false;
		} else {
			this.#state.plain = true;
		}

		const run = (mark ?? this.#state) as RunMark;
		const first = this.#state.attempts++ === 0;
		// The attempt's number in its own run (another run's attempts may have come since its last).
		run.tries = first || fresh ? 1 : run.tries! + 1;
		this.#state.retry = run.tries - 1;
		if (first) {
			run.made = request;
			this.#state.request = request;
			this.#state.scope = this.#client.accounting.scopeOf(request.url);
			return 'first';
		}

		if (fresh) {
			run.made = request;
			return 'restart';
		}

		return 'retry';
	}

	/** A retry attempt refused: it rejects with `error`, which ky asks `shouldRetry` about again (`Accounting.refuse`). */
	#refuse(error: Error): Error {
		this.#client.accounting.refuse(error, this);
		return error;
	}

	/**
	 * An attempt sent: an answer with an error status is known as the call's (ky's `HTTPError` carries
	 * it: `Accounting.callOf`); the caller's abort rejects with the caller's reason (workerd rejects an
	 * aborted fetch with an error of its own).
	 */
	#send(request: Request, init: FetchInit | undefined, next: FetchLike): Promise<Response> {
		const { signal } = this;
		return next(request, init).then((response) => {
			if (response?.ok === false) {
				this.#client.accounting.owns(response, this);
			} else if (!(response instanceof Response) && Object.prototype.toString.call(response) !== '[object Response]') {
				// A layer's fault stays its own, said so (ky would fail reading it: "Invalid value used as weak map key").
				throw new TypeError(`A policy's layer resolved no Response (got ${response === null ? null : typeof response})`);
			}

			return response;
		}, signal && ((error: unknown) => {
			throw signal.aborted ? signal.reason : error;
		}));
	}

	/** A later attempt sent (`#send`); one `to` a mirror has its failure known as the call's too (see `attempt`). */
	#sendTo(to: string | undefined, request: Request, init: FetchInit | undefined, next: FetchLike): Promise<Response> {
		const sent = this.#send(request, init, next);
		return to === undefined ? sent : sent.catch((error: unknown) => {
			if (isObject(error)) {
				this.#client.accounting.owns(error, this);
			}

			throw error;
		});
	}

	/**
	 * The wrappers that apply to the call, each around the next, ky's run innermost: undefined when
	 * none applies. What a wrapper adds to its run (`next(extra)`) reaches ky below it.
	 */
	#chain(): Run | undefined {
		const wrappers = this.#client.wrappers;
		let next: Run | undefined;
		for (let index = wrappers.length - 1; index >= 0; index--) {
			const placed = wrappers[index]!;
			if (wrapApplies(placed, this)) {
				const inner: Run = next ?? ((extras) => this.#runKy(extras));
				next = (extras) => {
					try {
						// A wrap that gives back its Response at once is read as one that resolves with it; anything else that is no
						// thenable (a forgotten `return`) is its fault, named (`promised`), rejected as a throw is.
						return promised(placed.parts.wrap!(this, (extra) => inner(extra === undefined ? extras : [...extras ?? [], extra])), placed.slot, 'wrap');
					} catch (error) {
						// A wrapper that throws at once fails the call as one that rejects: the wrappers above, and the caller, get a rejection.
						return Promise.reject(error);
					}
				};
			}
		}

		return next;
	}

	/** Start ky with `options`: it builds the Request synchronously, so an invalid URL or option rejects here, before any I/O. */
	#start(options: Record<string, unknown>): ResponsePromise {
		try {
			// A body an app's `init` hook gives: checked and read as the call's own (`hookedBody`).
			return this.#client.instance(this.input, hookedBody(options, this.#client.inits, this.options));
		} catch (thrown) {
			// One of the call's options fetch refuses, named (`namedRefusal`). A URL the runtime could not parse (its TypeError)
			// from a path, or a body given to a GET or HEAD: say what to do (scope.ts `pathHint`, `bodyHint`); not for a bad `referrer`.
			const error = namedRefusal(thrown, this.options);
			const hint = !(error instanceof TypeError) ? '' : /url/i.test(error.message) ? (/referr/i.test(error.message) ? '' : pathHint(this.input)) : bodyHint(this.method, this.options);
			return rejectedCall(invalid(error, hint, this.#client.params));
		}
	}

	/**
	 * One run of ky for a wrapped call (a wrapper may run it again), with the wrappers' `extras` over
	 * its options: the body shortcuts asked for so far start with it (ky sets `Accept` before it
	 * sends); it settles with ky's response, or with what a layer answered in its place.
	 */
	#runKy(extras?: readonly RunOptions[]): Promise<Response> {
		// A run a wrapper starts after it waited, once the client closed: refused, never sent (as a bulkhead's waiter).
		if (!this.#state.inline && this.#client.closed()) {
			return Promise.reject(clientClosed());
		}

		let options = this.#state.forKy;
		try {
			for (const given of extras ?? []) {
				// Checked and read as the call's own options (`runOptions`: one given as `undefined` is not given), its body read as
				// the call's own, its `retry` laid over the client's rules as the call's own is (a number a limit, POST and PATCH
				// retried with an Idempotency-Key): ky would replace them, its own defaults then.
				const extra = runOptions(given, this.options) as RunOptions;
				if (extra.retry !== undefined) {
					extra.retry = this.#client.retryOf(extra.retry, this.method === 'POST' || this.method === 'PATCH') as NonNullable<RunOptions['retry']>;
				}

				// Its `fetch` through the layers, carrying the call, as the call's own is: never past them (the breaker, the accounting).
				const { fetch } = extra as { fetch?: unknown };
				if (fetch !== undefined) {
					(extra as { fetch?: unknown }).fetch = this.#client.fetchFor(this, fetch as FetchLike);
				}

				// The call's headers, inside the mark that sends them in place of the client's (kept on what ky gets).
				const own = unmarked(options.headers);
				const headers = extra.headers && new Headers(own as HeadersInit | undefined);
				if (headers) {
					new Headers(extra.headers as HeadersInit).forEach((value, name) => {
						headers.set(name, value);
					});
					this.#state.key = headers.get('idempotency-key') ?? this.#state.key;
				}

				options = { ...options, ...extra, ...(headers ? { headers: own === options.headers ? headers : replaceOption(headers) } : {}) };
			}
		} catch (error) {
			// An `extra` a call's own options would be refused as (`timeout: 'x'`, `5`), headers `Headers` refuses, a body fetch would send as text: its `next(extra)` rejects, as the check of the call's own would (never a throw).
			return Promise.reject(invalid(error, '', this.#client.params));
		}

		// A run of a call of a request context with a deadline: its `totalTimeout` is what is left then.
		if (racesDeadline(this)) {
			options = { ...options, totalTimeout: Math.max(0, this.deadline! - this.#client.clock.now()) };
		}

		// A run a wrapper starts again (auth's after a refresh), or its first after a wrapper waited (a token, a lock: not
		// started as the call was, `inline`), has what is left of the call's `totalTimeout` (ky's starts anew with each
		// run): the call stays bounded by it. A first run started at once adds no option for ky to merge.
		const limit = (this.#state.attempts > 0 || !this.#state.inline) && this.#limit();
		if (typeof limit === 'number') {
			options = { ...options, totalTimeout: this.#state.timedOut ? 0 : Math.max(0, Math.min(limit - (monotonicNow() - this.#state.began), options.totalTimeout as number ?? limit)) };
		}

		// A run started again, or beside one still going, is marked: its first attempt is no retry (`#count`).
		const mark: RunMark | undefined = this.#state.attempts > 0 || this.#state.live > 0 ? { due: true } : undefined;
		const run = this.#start(mark ? { ...options, steadfetchRun: mark } : options);
		this.#state.live++;
		// A second run: each run is known by its Response from now on (a wrapper may give back the first), the first's too when it had one.
		const { run: before, response: had } = this.#state;
		if (before && !this.#state.runs) {
			this.#state.runs = new Map(had ? [[had, before]] : []);
		}

		this.#state.run = run;
		return run.then((response) => {
			this.#state.live--;
			this.#state.response = response;
			this.#state.runs?.set(response, run);
			return response;
		}, (error: unknown) => {
			this.#state.live--;
			// Only a run ky ended with `Answered` (an attempt a layer ended) has an answer: its own.
			const outcome = error instanceof Answered ? error.answer : undefined;
			if (outcome instanceof Response) {
				return outcome;
			}

			// A raw network failure is not `fetch`'s (ky wraps those): the app's own, before any wrapper classifies it.
			rejected(error);
			// The failure ky handed the `beforeError` hooks, when they made an error of the app's of it (`return new ApiError()`):
			// the wrappers decide on the failure (a stale copy, a queued write), the caller gets the hooks' error (`#wrapped`).
			const slot = (mark ?? this.#state) as RunMark;
			const { thrown } = slot;
			slot.thrown = undefined;
			if (outcome === undefined && thrown !== undefined && thrown !== error && isObject(thrown)) {
				this.#state.shown ??= new Map();
				this.#state.shown.set(thrown, error);
				error = thrown;
			}

			// ky gave up a retry at the request's deadline (waiting for it would pass the deadline): the
			// retry is not made, and the call ends with its last attempt's error.
			throw outcome ?? givenUp(this, error, slot.failure);
		});
	}

	/**
	 * The call is ky's own promise: its outcome counted (and a spent `totalTimeout` marked, see
	 * `#spent`) by one reaction added before the caller's.
	 */
	#direct(promise: ResponsePromise, began: number): ResponsePromise {
		promise.then((response) => {
			if (response) {
				this.#state.response = response;
			}

			this.#settle(true, response, undefined);
		}, (error: unknown) => {
			rejected(error);
			// Counted, and told to the watchers, as the failure ky handed the `beforeError` hooks (`noted`), not the app's error they made of it.
			const { thrown } = this.#state;
			this.#settle(false, undefined, thrown !== undefined && isObject(thrown) ? thrown : error);
			this.#spent(error, began);
		});
		return promise;
	}

	/**
	 * The run of the wrappers, counted as it settles; the caller's abort rejects with the caller's
	 * reason (also when a wrapper answered after it), and `fallback` answers what nothing else did; a
	 * rejection marked as `#spent` says.
	 */
	#wrapped(run: Promise<Response>, fallback: unknown, began: number): Promise<Response> {
		const failed = async (error: unknown): Promise<Response> => {
			this.#settle(false, undefined, error);
			try {
				// The caller's abort rejects with the caller's reason, whatever the runtime's fetch threw.
				if (this.signal?.aborted) {
					throw this.signal.reason;
				}

				this.#spent(error, began);
				const { code, transient } = classify(error);
				if (fallback === undefined || code === 'INVALID_REQUEST' || code === 'CLIENT_CLOSED' || this.#client.substituted(error)) {
					throw error;
				}

				// Nothing else answered (no stale copy): the degraded answer, marked and counted; one standing for a failure that
				// is not transient, for a spent `totalTimeout`, or for a refusal never retried (an isolated scope's, the throttle's),
				// says so (`retriable: false`: `queryOptionsFor` does not retry it).
				const response = await fallbackResponse(fallback, this.#state.shown?.get(error) ?? error, this.#state.request);
				const marks = error as { totalTimeoutSpent?: boolean; retriable?: boolean } | null;
				if (!transient || marks?.totalTimeoutSpent || marks?.retriable === false) {
					(response as { retriable?: boolean }).retriable = false;
				}

				const { scope, settled } = this.#state;
				if (scope !== undefined) {
					this.#client.stats.scope(scope).fallbacks++;
				} else if (typeof settled === 'function') {
					// Counted with the call, as its first attempt goes out (`CallState.settled`).
					this.#state.settled = (counters) => {
						settled(counters);
						counters.fallbacks++;
					};
				}

				return response;
			} catch (reason) {
				// What the caller gets: the error the `beforeError` hooks made of a failure (`#runKy`), a spent `totalTimeout`
				// marked first (no reaction of its own on a call that resolves).
				const shown = this.#state.shown?.get(reason) ?? reason;
				this.#spent(shown, began);
				throw shown;
			}
		};

		const answer = run.then((response) => {
			// An answer a wrapper made after the caller's abort (it recovered from it) is not the caller's: as fetch, the call rejects with the reason.
			if (this.signal?.aborted) {
				return failed(this.signal.reason);
			}

			// A wrapper's fault stays its call's: what is no Response (a `ky.stop` resolves undefined) fails it, never the body shortcuts later.
			if (response !== undefined && Object.prototype.toString.call(response) !== '[object Response]') {
				return failed(new TypeError('A policy\'s wrap resolved with no Response'));
			}

			this.#settle(true, response, undefined);
			return response;
		}, failed);
		// ky reports the body of its own response; one a policy gave (a stale copy, a fallback, a 202) is reported as ky would.
		const progress = this.options.onDownloadProgress ?? this.#client.onDownloadProgress;
		return progress ? answer.then((response) => (response && !this.isKys(response) ? progressed(response, progress) : response)) : answer;
	}

	/** The call's `totalTimeout`: its own, else the client's (a number, or `false` for none). */
	#limit(): unknown {
		const own = this.options.totalTimeout;
		return own === undefined ? this.#client.totalTimeout : own;
	}

	/** Count the call's outcome in `stats()` (not a replay's) and tell the watchers: resolved (`ok`, a `ky.stop` resolves `undefined`) or rejected with `error`. */
	#settle(ok: boolean, response: Response | undefined, error: unknown): void {
		const { stats, substituted, watchers } = this.#client;
		const scope = this.#state.scope;
		this.#state.settled = true;
		// Settled before its first attempt (a wrapper answered, refused or timed out first): the watchers see its URL's scope.
		if (scope === undefined && watchers.length > 0) {
			this.#state.named = this.#client.urlScope(this.input, this.options);
		}

		// Before its first attempt: counted as that attempt goes out, if one does (`CallState.settled`).
		if (!this.replay) {
			const code = ok ? undefined : this.signal?.aborted ? 'ABORTED' : classify(error).code;
			// The counter a policy's answer counts in (a stale copy, a queued write's 202 or error); not a caller's abort. One of
			// ky's own answers is the network's, or a steadfetch service worker's stale copy or queued write's `202` (`stoodIn`).
			const kind = code === 'ABORTED' || (ok && !response) ? undefined
				: ok && this.isKys(response!) ? (this.#state.standIn?.[0] === response ? this.#state.standIn![1] : undefined)
				: substituted(ok ? response : error);
			if (scope === undefined) {
				// Not one the caller aborted first: a run after it sends nothing (ky's signal is the caller's), and counts nothing.
				this.#state.settled = this.signal?.aborted || ((counters) => {
					counters.requests++;
					tally(counters, ok, kind, code);
				});
			} else {
				const counters = stats.scope(scope);
				counters.open--;
				tally(counters, ok, kind, code);
			}
		}

		for (const { slot, parts } of watchers) {
			try {
				// Per call `{ [slot]: false }` turns the policy off, its `settled` too (unless it reads its switch itself).
				if (parts.ownSwitch || this.options[slot as keyof CallOptions] !== false) {
					// An `async settled` that rejects neither: its rejection is handled.
					(parts.settled!(this, response, error) as unknown as Promise<unknown> | undefined)?.then?.(undefined, () => undefined);
				}
			} catch {
				// A watcher never fails a call.
			}
		}
	}

	/**
	 * A call that failed with ky's `TimeoutError` once its `totalTimeout` was spent (within a few ms: a
	 * timer may fire that much early) has the error marked `totalTimeoutSpent: true` before the caller
	 * sees it: its retries happened inside it, so one who would retry the call (TanStack, through
	 * `queryOptionsFor`) knows there is no time left to give. A per-attempt `timeout` with time left is
	 * not marked. Done by the call's own reaction (`#direct`, `#wrapped`), before the caller's, on the same error object.
	 */
	#spent(error: unknown, began: number): void {
		if (isTimeoutError(error)) {
			const limit = this.#limit();
			if (typeof limit === 'number' && monotonicNow() - began >= limit - 5) {
				(error as { totalTimeoutSpent?: boolean }).totalTimeoutSpent = true;
			}
		}
	}
}
