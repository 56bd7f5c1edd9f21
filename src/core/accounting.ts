import { ForceRetryError, NetworkError } from 'ky';
import { classify, isPlatformNetworkError } from '../errors/classify.js';
import type { RetryBudget, RetryDecision } from '../retry/budget.js';
import type { Call } from './call.js';
import type { Emitter } from './events.js';
import { retryStops, unread } from './invocation.js';
import type { PolicyContext } from './policy.js';
import type { Stats } from './stats.js';
import type { Clock, Layer } from './types.js';

/** What the client's retry accounting is made of (src/core/create-client.ts). */
export interface AccountingDeps {
	readonly stats: Stats;
	/** The retry budget, unless it is off. */
	readonly budget: RetryBudget | undefined;
	readonly emit: PolicyContext['emit'];
	/** The client's listeners: the `retry` event is built only for one. */
	readonly emitter: Emitter;
	readonly clock: Clock;
	/** The scope of a `Request.url` (already normalized): cheap on every attempt. */
	readonly scopeOf: (url: string) => string;
}

/**
 * How the client accounts for attempts and retries, for all its calls: the outermost per-attempt
 * layer (`layer`: each attempt is its call's, `Call.attempt`), the counts in `stats()`, the retry
 * budget, and `ask`, whether the retry ky is deciding (`shouldRetry`, before its delay) may go — the
 * budget allows it (nothing is spent until it goes out), and the call's request context has time and
 * subrequests left for it. What is a call's own (its attempts, the error a retry was refused with)
 * is the call's; `ask` finds the call by the error its attempt failed with (`callOf`).
 */
export class Accounting {
	readonly #stats: Stats;
	readonly #budget: RetryBudget | undefined;
	readonly #emit: PolicyContext['emit'];
	readonly #emitter: Emitter;
	readonly scopeOf: (url: string) => string;
	/**
	 * The call an error is of (`callOf`): each attempt's answer with an error status (ky's `HTTPError`
	 * has it as its `response`); a failed attempt of a call of a request context (a network failure,
	 * a timeout: ky's `NetworkError` has it as its `cause`); a retry attempt refused.
	 */
	readonly #owners = new WeakMap<object, Call>();
	/**
	 * The errors retry attempts were refused with (`refuse`), each its run's: ky asks `shouldRetry` about each again, not
	 * counted twice (two runs of one call at once may each have one).
	 */
	readonly #refused = new WeakSet<object>();
	/**
	 * Why a retry of a call of a request context may not go: its request's deadline too close, or no
	 * subrequest left (`spent`: counted and told once per context as a spent retry budget is). Undefined
	 * when it may; always in the browser build, which has no request context (invocation-browser.ts).
	 */
	readonly stops: ReturnType<typeof retryStops>;

	constructor(deps: AccountingDeps) {
		this.#stats = deps.stats;
		this.#budget = deps.budget;
		this.#emit = deps.emit;
		this.#emitter = deps.emitter;
		this.scopeOf = deps.scopeOf;
		this.stops = retryStops(deps);
	}

	/** The outermost per-attempt layer: an attempt of a call is the call's (`Call.attempt`); a body it refused unread kept from ky's cancel (`unread`). */
	readonly layer: Layer = (next) => (request, init) => {
		const call = init?.steadfetch as Call | undefined;
		return unread(request, call ? call.attempt(request, init, next) : next(request, init));
	};

	/**
	 * ky is deciding whether to retry after `error` (for `url`): false when the retry may not go. `timed`:
	 * ky waits what the error's answer's headers say (`Retry-After`, …) before it, if they say.
	 */
	readonly ask = (error: object, url: string, timed?: boolean): boolean => {
		// A retry attempt refused with it (or with its `cause`, ky's NetworkError around it): ky asks again about the error it ends with, not counted twice.
		const { cause } = error as { cause?: object };
		if (this.#refused.has(error) || (cause && this.#refused.has(cause))) {
			return false;
		}

		const call = this.callOf(error);
		const scope = this.scopeOf(url);
		return !this.refuses(scope, false) && !call?.admission?.stops(scope, timed ? error : undefined);
	};

	/** A retry attempt of `call` was refused: it rejects with `error`, the run's last failure (see `#refused`). */
	refuse(error: Error, call: Call): void {
		this.#refused.add(error);
		this.owns(error, call);
	}

	/** `error` (or an attempt's answer with an error status) is `call`'s (see `#owners`). */
	owns(error: object, call: Call): void {
		this.#owners.set(error, call);
	}

	/**
	 * The call `error` is of (see `#owners`): itself, its `cause` or its `response` known. An
	 * `HTTPError` is known by its response, the answer the call's attempt went back up with (`Call.attempt`),
	 * unless a ky `afterResponse` hook put another in its place: that retry is then counted as one the
	 * caller forced (paid, never refused, told with ky's `ForceRetryError`).
	 */
	readonly callOf = (error: object): Call | undefined => {
		const { cause, response } = error as { cause?: object; response?: object };
		return this.#owners.get(error) ?? (cause && this.#owners.get(cause)) ?? (response && this.#owners.get(response));
	};

	/** A call's first attempt: counted, and in flight until the call settles (`Counters.open`). */
	first(scope: string): void {
		const counters = this.#stats.scope(scope);
		counters.requests++;
		counters.open++;
	}

	/** A call's first attempt went out (reached the transport): in the retry budget, which one refused without I/O does not raise. */
	sent(scope: string): void {
		this.#budget?.recordFirst(scope);
	}

	/** A retry goes out after `error` (none: forced with `ky.retry()`): counted, and told while somebody listens to `retry`. */
	retried(call: Call, request: Request, scope: string, error: Error | undefined): void {
		this.#stats.scope(scope).retries++;
		if (this.#emitter.has('retry')) {
			// What ky's hooks see: a raw fetch failure as ky's NetworkError; no failure, a retry forced with `ky.retry()`.
			const shown = isPlatformNetworkError(error) ? new NetworkError(request, { cause: error }) : error ?? new ForceRetryError();
			this.#emit('retry', { scope, method: request.method, url: request.url, retryCount: call.retryCount, code: classify(shown).code, error: shown });
		}
	}

	/** A retry `retried` counted was not sent after all (a layer refused it without I/O): neither counted nor paid (in `bucket`: `refuses`'s). */
	unsent(scope: string, bucket?: number): void {
		this.#stats.scope(scope).retries--;
		bucket === undefined || this.#budget?.refund(scope, bucket);
	}

	/**
	 * A retry `unsent` gave back went out after all (a request dedupe shares, sent once the caller that made it had left, for
	 * the callers still waiting): counted and paid, never refused (it is out).
	 */
	resent(scope: string): void {
		this.#stats.scope(scope).retries++;
		this.#budget?.tryRetry(scope, true, true);
	}

	/**
	 * Whether the retry budget refuses a retry (`spend`: it goes out now; one the caller `forced` is paid for, never
	 * refused); a refusal counted, and told once per window. `paid`: told the bucket a retry spent was counted in (`unsent`'s).
	 */
	refuses(scope: string, spend: boolean, forced?: boolean, paid?: { bucket?: number | undefined }): boolean {
		const budget = this.#budget;
		if (!budget) {
			return false;
		}

		const decision: RetryDecision = budget.tryRetry(scope, spend, forced);
		if (paid) {
			paid.bucket = decision.bucket;
		}

		if (!decision.allowed) {
			this.#stats.scope(scope).retriesRefused++;
			if (decision.firstRefusal) {
				this.#emit('budget:exhausted', { scope, retries: decision.retries, allowed: decision.limit });
			}
		}

		return !decision.allowed;
	}
}
