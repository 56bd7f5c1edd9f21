import type { Coordinator } from '../coordinator/fleet.js';
import type { PolicyContext, PolicyParts } from '../core/policy.js';
import { untilClosed } from '../core/closing.js';
import { attemptScope } from '../core/scope.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';
import { classify } from '../errors/classify.js';
import { originFailed } from '../errors/origin-failed.js';
import { isSteadfetchError } from '../errors/SteadfetchError.js';
import { ThrottledError } from '../errors/ThrottledError.js';
import { isSuperseded } from '../utils/superseded.js';
import { Counts, type Scope } from './counts.js';
import { offOnly } from '../utils/validate.js';

/** A call's attempts in the throttle: how many are in flight, and the ends held until it settles (see `ended`). */
interface Race {
	flying: number;
	held?: Array<[Scope, Response | undefined, boolean, AbortSignal]> | undefined;
	done?: boolean;
}

/** The options of `adaptiveThrottle()` with their defaults applied. */
export interface ThrottleSettings {
	k: number;
	windowMs: number;
	minRequests: number;
	maxRejectRatio: number;
	shared: Coordinator | undefined;
}

/**
 * The adaptive throttle (see `adaptiveThrottle`): a per-attempt layer above the bulkhead, the rate
 * limiter and the breaker. An attempt is counted when it ends: a refused one at once; one that was
 * sent as a request (one given up, ky's timeout, at its abort, whenever its fetch settles), and an
 * accept when its answer is not a transient failure (`classifyStatus`);
 * the caller's abort, a superseded attempt (a hedge that lost), a refusal of steadfetch's own
 * below it (a full bulkhead, a rate limit, an open breaker: no answer from the origin), a service worker's
 * answer for such a refusal or its stale copy for one (`originFailed`; its copy for a network failure, a timeout or a 5xx is
 * no accept) and an error
 * `classify()` does not call transient (the app's own, `UNKNOWN`) as nothing.
 * The counts and their sharing are `Counts`' (src/throttle/counts.ts).
 */
export const createThrottle = (context: PolicyContext, { k, windowMs, minRequests, maxRejectRatio, shared }: ThrottleSettings, families: WeakMap<object, Counts>): PolicyParts => {
	/** A call's attempts in flight, and those held until it settles (they ended while another was in flight). */
	const raceOf = context.perCall((): Race => ({ flying: 0 }));
	// The family's counts, with its link to the fleet and its channel to the other tabs (open while one of its clients runs).
	const counts = families.get(context.stores) ?? new Counts(context, windowMs, shared);
	families.set(context.stores, counts);
	const { fleet } = counts;
	/** What this client's `close()` calls once it started (`Counts.start`). */
	let leave: (() => void) | undefined;
	/** What `close()` calls: the attempts waiting for the fleet's first window are refused (`untilClosed`). */
	const wake = new Set<() => void>();

	/** The probability of refusing an attempt, from the window's requests and accepts. */
	const ratioOf = ([requests, accepts]: [number, number]): number =>
		requests < minRequests ? 0 : Math.min(maxRejectRatio, Math.max(0, (requests - k * accepts) / (requests + 1)));

	const attempt = (scope: Scope, request: Request, init: FetchInit | undefined, next: FetchLike): Promise<Response> => {
		const rejectRatio = ratioOf(counts.sums(scope));
		if (rejectRatio > 0 && context.random() < rejectRatio) {
			scope.rejected++;
			counts.count(scope, false);
			context.emit('throttle:rejected', { scope: scope.name, method: request.method, url: request.url, rejectRatio });
			return Promise.reject(new ThrottledError(scope.name, rejectRatio));
		}

		const call = init?.steadfetch;
		const race = call && raceOf(call);
		if (race) {
			race.flying++;
		}

		/**
		 * Count an attempt that ended — never a hedge that lost (its abort, `Superseded`, came after its answer did).
		 * One that ended while another of its call was in flight (a hedge race) is counted once the call settled
		 * (`settled`): then it is known whether it lost.
		 */
		const ended = (response: Response | undefined, accepted: boolean): void => {
			if (race && (race.flying-- > 1 || race.held) && !race.done) {
				race.held = [...race.held ?? [], [scope, response, accepted, request.signal]];
			} else if (!isSuperseded(request.signal.reason)) {
				counts.count(scope, accepted);
			}
		};

		const { signal } = request;
		let done = false;
		/** The attempt's end, counted once: its answer, its failure, or its abort (see `onAbort`). */
		const settle = (response?: Response, error?: unknown): void => {
			if (!done) {
				done = true;
				signal.removeEventListener('abort', onAbort);
				// A failure classify() calls transient (network, timeout) and an attempt ky gave up (its timeout) count; the app's
				// own error (UNKNOWN), the caller's abort, a hedge that lost and a service worker's refusal say nothing of the origin.
				const failed = response ? originFailed(response)
					: (!(call?.signal?.aborted && signal.aborted) && !isSteadfetchError(error) && !isSuperseded(error) && (signal.aborted || classify(error).transient)) || undefined;
				if (failed !== undefined) {
					ended(response, !failed);
				} else if (race) {
					race.flying--;
				}
			}
		};

		// Counted at its abort, as the breaker counts it: ky gives up on a timed-out attempt before some runtimes (Deno,
		// workerd) reject its aborted fetch, and a transport may ignore its signal (never counted, before).
		const onAbort = (): void => settle(undefined, signal.reason);
		signal.addEventListener('abort', onAbort);
		return next(request, init).then((response) => {
			settle(response);
			return response;
		}, (error: unknown) => {
			settle(undefined, error);
			throw error;
		});
	};

	const layer: Layer = (next) => (request, init) => {
		const { signal, url } = request;
		if (signal.aborted) {
			return Promise.reject(signal.reason);
		}

		// The scope of the URL the attempt goes to (a mirror's, when failover re-targeted it).
		const call = init?.steadfetch;
		const scope = counts.scope(attemptScope(context.scopeOf, url, call));
		const syncing = fleet?.sync(scope.name, call, signal);
		// An attempt given up while it waited for the fleet (ky's timeout, its caller's abort) goes no further, rejected at
		// its abort as a bulkhead's waiter is: none of the layers below would send it, and the breaker would count it a failure. One the client's `close()`
		// finds waiting is refused at once (`CLIENT_CLOSED`), never sent. Its scope's counts are looked up once
		// the wait is over: those of before may have been forgotten meanwhile (idle, 1 000 other scopes met).
		return syncing ? untilClosed(syncing, wake).then(() => signal.aborted ? Promise.reject(signal.reason) : attempt(counts.scope(scope.name), request, init, next)) : attempt(scope, request, init, next);
	};

	return {
		layer,
		settled(call, response) {
			const race = raceOf(call);
			race.done = true;
			const held = race.held ?? [];
			race.held = undefined;
			// A winner (the call's answer, not a transient one; or an accepted attempt the hedge let go on, whatever Response a
			// layer above made of it: a shared request's copy by dedupe): the others lost, aborted by the hedge (`Superseded`)
			// once it won. Without one (every attempt failed), each counts as it ended.
			const won = held.some(([, answer, accepted, signal]) => accepted && (answer === response || !isSuperseded(signal.reason)));
			for (const [scope, answer, accepted, signal] of held) {
				if (!won || answer === response || !isSuperseded(signal.reason)) {
					counts.count(scope, accepted);
				}
			}
		},
		checkCall: offOnly('adaptiveThrottle'),
		stats(name) {
			const scope = counts.get(name);
			if (!scope) {
				return undefined;
			}

			const sums = counts.sums(scope);
			return { throttle: { requests: sums[0], accepts: sums[1], rejectRatio: ratioOf(sums), rejected: scope.rejected } };
		},
		start: () => {
			leave = counts.start(context);
		},
		close: () => {
			for (const end of wake) {
				end();
			}

			// Only when started: the family's channel closes with the last of its clients.
			leave?.();
		},
	};
};
