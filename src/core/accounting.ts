import { ForceRetryError, NetworkError } from 'ky';
import { classify, isPlatformNetworkError } from '../errors/classify.js';
import { SteadfetchError } from '../errors/SteadfetchError.js';
import type { RetryBudget, RetryDecision } from '../retry/budget.js';
import { countAttempt, limit, takeFailure, type Call } from './call.js';
import type { Emitter } from './events.js';
import { SubrequestsSpent } from './invocation.js';
import type { PolicyContext } from './policy.js';
import type { Stats } from './stats.js';
import type { Clock, FetchInit, FetchLike, Layer } from './types.js';

/** A retry that would start with less time than this left before the request's deadline is not made (ms; see `deadlineHeader`). */
const lastRetryMs = 50;

type Emit = PolicyContext['emit'];
type ScopeOf = (url: string) => string;
type Refused = (scope: string, decision: RetryDecision) => boolean;
type Stops = (call: Call, scope: string) => boolean;

/** An attempt sent: the caller's abort rejects with the caller's reason. */
const attempt = (call: Call, request: Request, init: FetchInit | undefined, next: FetchLike): Promise<Response> => {
	const { signal } = call;
	return signal ? next(request, init).catch((error: unknown) => {
		throw signal.aborted ? signal.reason : error;
	}) : next(request, init);
};

/**
 * The outermost per-attempt layer. The first attempt of a call fixes its Request and scope and
 * counts toward `stats()` and the retry budget; a later attempt is a retry ky is sending, except
 * the first attempt of a run a wrapper started again. A retry spends the retry budget here, where
 * it really goes out (a retry a `beforeRetry` hook stopped, or a total timeout or abort that ended
 * the call during the delay, never reaches this layer): when concurrent calls spent the budget
 * meanwhile, the retry is refused and the call ends with the previous attempt's error (noted on
 * the call by `shouldRetry` or the transport, or ky's own while somebody listens to `retry`). A
 * retry the caller forced with `ky.retry()` is paid for, never refused. No retry or new run goes out
 * once the call's identity changed or the client was cleared since it started (`PolicyCall.world`). The caller's abort rejects with
 * the caller's reason, whatever the runtime's fetch or a layer threw (workerd rejects an aborted
 * fetch with an error of its own).
 */
const accountingLayer = (stats: Stats, budget: RetryBudget | undefined, emit: Emit, emitter: Emitter, scopeOfRequest: ScopeOf, refused: Refused, stops: Stops, refusedErrors: WeakSet<object>): Layer =>
	(next) => (request, init) => {
	const call = init?.steadfetch as Call | undefined;
	if (!call) {
		return next(request, init);
	}

	const kind = countAttempt(call, request, scopeOfRequest);
	const scope = call.scope!;
	if (kind !== 'first' && !call.world.current()) {
		// Its identity changed, or the client was cleared, since the call started: no further attempt goes out (src/core/world.ts).
		return Promise.reject(new SteadfetchError('Not sent: the identity changed, or the client was cleared, since the call started', 'ABORTED', false));
	}

	if (kind === 'first') {
		stats.scope(scope).requests++;
		budget?.recordFirst(scope);
	} else if (kind === 'retry') {
		const error = takeFailure(call) as Error | undefined;
		const forced = !error || error instanceof ForceRetryError;
		if ((!forced && call.invocation && stops(call, scope)) || (budget && refused(scope, budget.tryRetry(scope, true, forced)))) {
			refusedErrors.add(error!);
			return Promise.reject(error);
		}

		stats.scope(scope).retries++;
		if (emitter.has('retry')) {
			// What ky's hooks see: a raw fetch failure as ky's NetworkError; no failure, a retry forced with `ky.retry()`.
			const shown = isPlatformNetworkError(error) ? new NetworkError(request, { cause: error }) : error ?? new ForceRetryError();
			emit('retry', { scope, method: request.method, url: request.url, retryCount: call.attempts - 1, code: classify(shown).code, error: shown });
		}

		if (call.invocation && !forced) {
			// Refused as it goes out after all (another call took the context's last subrequest meanwhile): the call ends with this error.
			return attempt(call, request, init, next).catch((reason: unknown) => {
				if (reason instanceof SubrequestsSpent) {
					stops(call, scope);
					refusedErrors.add(error);
					throw error;
				}

				throw reason;
			});
		}
	}

	return attempt(call, request, init, next);
	};

/**
 * How the client accounts for retries (`stats`, `budget`: the retry budget unless it is off;
 * `emitter`: the client's listeners, the `retry` event built only for one): the outermost per-attempt
 * layer; `ask`, whether the retry ky is deciding (`shouldRetry`, before its delay) may go — the
 * budget allows it (nothing is spent until it goes out), and the call's request context has time and
 * subrequests left for it (the call known by ky's options, or by the error its attempt failed with:
 * `failed`, which the transport tells of every failed attempt of a call of a request context).
 */
export const accounting = (stats: Stats, budget: RetryBudget | undefined, emit: Emit, emitter: Emitter, clock: Clock, scopeOfRequest: ScopeOf) => {
	/** A retry the retry budget refused: counted, and told once per window. */
	const refused: Refused = (scope, decision) => {
		if (!decision.allowed) {
			stats.scope(scope).retriesRefused++;
			if (decision.firstRefusal) {
				emit('budget:exhausted', { scope, retries: decision.retries, allowed: decision.limit });
			}
		}

		return !decision.allowed;
	};

	/**
	 * Whether a retry of a call of a request context may not go (its request's deadline less than
	 * `lastRetryMs` away, or no subrequest left: counted and told once per context as a spent retry
	 * budget is, the call marked `limited`). Asked as ky decides and again as the retry goes out.
	 */
	const stops: Stops = (call, scope) => {
		const { invocation, deadline } = call;
		if (invocation?.deadline !== undefined && deadline! - clock.now() < lastRetryMs) {
			return true;
		}

		if (!invocation?.spent) {
			return false;
		}

		limit(call);
		stats.scope(scope).retriesRefused++;
		if (!invocation.told) {
			invocation.told = true;
			emit('budget:exhausted', { scope, retries: invocation.count, allowed: invocation.stop, reason: 'subrequests' });
		}

		return true;
	};

	/** Errors a retry attempt was refused with: when ky asks `shouldRetry` about them again, they are not counted twice. */
	const refusedErrors = new WeakSet<object>();
	/** The calls of a request context whose attempts failed with an error (ky's `shouldRetry` sees it, or its `NetworkError`'s cause). */
	const owners = new WeakMap<object, Call>();
	const ask = (error: object, url: string): boolean => {
		const { cause } = error as { cause?: object };
		if (refusedErrors.has(error) || refusedErrors.has(cause!)) {
			return false;
		}

		const scope = scopeOfRequest(url);
		const call = ((error as { options?: { steadfetch?: Call } }).options?.steadfetch ?? owners.get(error) ?? owners.get(cause!)) as Call | undefined;
		return !(budget && refused(scope, budget.tryRetry(scope, false))) && !(call?.invocation && stops(call, scope));
	};

	const failed = (call: Call, failure: unknown): void => {
		if (call.invocation && typeof failure === 'object' && failure !== null) {
			owners.set(failure, call);
		}
	};

	return [accountingLayer(stats, budget, emit, emitter, scopeOfRequest, refused, stops, refusedErrors), ask, failed] as const;
};
