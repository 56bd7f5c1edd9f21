import { healthAt } from '../bands/bands.js';
import type { Policy, PolicyCall, PolicyContext, PolicyParts } from '../core/policy.js';
import type { Layer } from '../core/types.js';
import type { Call } from '../core/call.js';
import { check, optionsOf, isPositiveFinite, offOnly } from '../utils/validate.js';
import { classify, classifyAnswer, type Classification } from '../errors/classify.js';
import { isSteadfetchError } from '../errors/SteadfetchError.js';
import { originFailed } from '../errors/origin-failed.js';
import { workerCopy } from '../errors/worker-copy.js';
import { scopes } from '../utils/scopes.js';
import { Samples, type HealthStats } from './samples.js';
import { attemptScope } from '../core/scope.js';
import type { ScopeHealthEvent } from './events.js';

/** What importing this policy adds to the client's types (`client.on`, `stats()`): its events, and each scope's `latency`, `errorRate` and `topErrors`. */
declare module 'steadfetch/core' {
	/** The `health` slot of `createClient`. */
	interface Slots {
		health: Policy<'health'>;
	}

	interface EventMap {
		'scope:unhealthy': ScopeHealthEvent<'scope:unhealthy'>;
		'scope:healthy': ScopeHealthEvent<'scope:healthy'>;
	}

	interface PolicyStats extends HealthStats {}

	interface CallOptions {
		/**
		 * `false`: this call is not counted by health (with `health()`).
		 * @default undefined (counted in its scope's health)
		 */
		health?: false;
	}
}

export type { HealthStats } from './samples.js';

/** Options of `health()` (`steadfetch/health`), for the `health` slot. */
export interface HealthOptions {
	/**
	 * The sliding window of `errorRate`, `latency` and `topErrors`, in ms. A positive finite number (no upper bound); one under 1 ms counts as 1 ms.
	 * @default 30_000
	 */
	windowMs?: number;
	/**
	 * The error rate (transient failures over calls that reached the network, over `windowMs`, at
	 * least 10 calls) at which `scope:unhealthy` fires; `scope:healthy` fires when it falls under
	 * half of it. A number in (0, 1].
	 * @default 0.5
	 */
	threshold?: number;
}

/**
 * What the health layer saw of a call: when its first attempt reached the transport, the last
 * attempt's outcome, each attempt's answer, the attempts in flight, and the scope of a call answered while one
 * was (a stale copy or a queued answer given early): it is counted when that attempt ends.
 */
interface Seen {
	/** Undefined until an attempt of the call reached the layer (and again when the only one a layer inside refused). */
	sentAt?: number | undefined;
	/** The scope of the call's latest attempt: the call's own, or a failover mirror's (each counts in its own). */
	scope?: string | undefined;
	last?: Classification | undefined;
	flying: number;
	later?: string | undefined;
	/** The call was answered (`settled`): a part it goes on with (a failover mirror's, in the background) is counted as its attempts end. */
	done?: boolean;
	/**
	 * The answers of the call's attempts and how each was classified: the one the call answers with is its outcome, never
	 * a losing hedge's that ended after it, nor a failover mirror's 404 after which the primary's 503 answers it.
	 */
	answers: Array<[Response, Classification | undefined]>;
}

/**
 * Per-scope health for the `health` slot: `stats()` gains `latency` (p50/p95/p99 of calls that
 * reached the network, in ms), `errorRate` (0–1, transient failures over those calls, over
 * `windowMs`) and `topErrors`; `scope:unhealthy` fires when the error rate reaches `threshold` over
 * at least 10 calls, `scope:healthy` when it falls under half of it. A call answered with one of its
 * attempts' answers counts as that answer (with `throwHttpErrors: false`, failover's primary's 503 that answers
 * a call after a mirror's 404 is a failure). A call `failover()` sent to mirrors counts in each scope it went to, by
 * what that origin met: the primary's failure in the primary's (a down primary behind a working mirror turns
 * unhealthy), each mirror's answer or failure in that mirror's. A call answered from the stale
 * cache or queued counts as the failure its last attempt met — when it was answered so while an
 * attempt was in flight (a stale copy or a queued answer given at a deadline), by how that attempt
 * ends; so does one whose retry a policy refused without I/O (open breaker, throttle, bulkhead
 * full, rate limited, an app's policy, a steadfetch service worker's `503` for a refusal of its client's own: any
 * `Steadfetch-Error` but `NETWORK`, `TIMEOUT` or an HTTP one, or its stale copy for one); a steadfetch service worker's stale
 * copy for a network failure, a timeout or a 5xx (`detail=network`, `timeout`, `http-5xx`) as that failure; one a wrapper answered before its run's first attempt, by how that attempt
 * ends, once it goes out. One refused before any attempt reached the network is not
 * counted (an app's policy without a band sits inside this one: its refusal is none, and so is an answer it gave without
 * sending the attempt, a memo's, a kept `503`), nor one that
 * ended with the caller's abort or an error of the app's own (`UNKNOWN`); a request `dedupe()` shared
 * goes on past its first caller's abort for the callers still waiting, and counts by how it ends. Failures are `classify()`'s. Per call,
 * `health: false` leaves the call uncounted.
 *
 * @example
 * import { health } from 'steadfetch/health';
 * const api = createClient({ health: health({ windowMs: 60_000 }) });
 * api.on('scope:unhealthy', ({ scope, errorRate }) => console.warn(scope, errorRate));
 */
export const health = (options?: HealthOptions): Policy<'health'> => {
	const { windowMs = 30_000, threshold = 0.5 } = optionsOf(options, 'health');
	check(isPositiveFinite(windowMs), 'health.windowMs', windowMs, 'a positive finite number of ms');
	check(typeof threshold === 'number' && threshold > 0 && threshold <= 1, 'health.threshold', threshold, 'a number in (0, 1]');
	return { slot: 'health', at: healthAt, create: (context) => createHealth(context, windowMs, threshold) };
};

const aborted = { code: 'ABORTED', transient: false } as const;
/** Not counted (`sample`): a call none of whose attempts met the origin or the network. */
const unknown = { code: 'UNKNOWN', transient: false } as const;

/**
 * Whether `answer` (a response, or a call's `HTTPError`'s) is a steadfetch service worker's refusal of its client's own
 * (`originFailed`: its `Steadfetch-Error` names no failure of the origin's): the origin was not asked.
 */
const refusal = (answer: unknown): boolean => answer instanceof Response && originFailed(answer) === undefined;

/**
 * What a steadfetch service worker's stale copy for `reason` says of the origin: for a network failure, a timeout or a
 * 5xx (`originFailed`) that failure, as the worker's `503` would; for another (a refusal of its client's own) nothing.
 */
const copied = (reason: string, response: Response): Classification | undefined =>
	originFailed(response) ? { code: reason.toUpperCase().replace('-', '_') as 'NETWORK' | 'TIMEOUT' | 'HTTP_5XX', transient: true } : undefined;

const createHealth = ({ clock, emit, perCall, scopeOf }: PolicyContext, windowMs: number, threshold: number): PolicyParts => {
	/** The scopes' samples, at most `maxScopes` idle ones (`Scopes`); an unhealthy scope is never forgotten (its `scope:healthy` is still to come). */
	const states = scopes(() => new Samples(windowMs), (samples) => samples.unhealthy);
	const seenOf = perCall((): Seen => ({ flying: 0, answers: [] }));

	const layer: Layer = (next) => (request, init) => {
		const call = init?.steadfetch;
		if (!call) {
			return next(request, init);
		}

		const mark = seenOf(call);
		const scope = attemptScope(scopeOf, request.url, call);
		// A failover mirror's first attempt: what the call met so far is one call of the scope it went to (the primary's,
		// or the mirror before), counted there by its last outcome; the mirror's attempts count in the mirror's scope.
		if (mark.scope !== scope && mark.scope !== undefined) {
			sample(mark.scope, mark, mark.last);
			mark.last = undefined;
			mark.answers = [];
			mark.later = mark.done ? scope : undefined;
		}

		mark.scope = scope;
		mark.sentAt ??= clock.now();
		mark.flying++;
		const ended = (last: Classification | undefined): void => {
			// An attempt given up (a hedge that lost, ABORTED) says nothing of how the call went.
			mark.last = last?.code === 'ABORTED' ? mark.last : last;
			if (!--mark.flying && mark.later !== undefined) {
				sample(mark.later, mark, last);
			}
		};

		// Its caller's own signal ended it (the request is not one dedupe shares with a later caller): ABORTED, as every part counts it.
		const gone = (): boolean | undefined => call.signal?.aborted && request.signal.aborted;
		// The attempts that went out so far (`Call.wentOut`; of a hedge, every send): an answer with none more was a layer's
		// inside this one (an app's memo, a kept 503), the attempt never sent.
		const outSoFar = (): number | undefined => init.hedge ? (call as Call).sends : (call as Call).wentOut?.(init.steadfetchRun);
		const before = outSoFar();
		return next(request, init).then((response) => {
			// A steadfetch service worker's stale copy or fallback (`workerCopy`, one read of an answer in a page a worker controls) in the origin's place.
			const copy = workerCopy(response);
			let classified = gone() ? aborted : copy ? copied(copy, response) : classifyAnswer(response);
			if (outSoFar() === before && before !== undefined && classified !== aborted) {
				// Not sent: no outcome, no latency of the scope. The call's last real outcome stays (none: the call is not counted).
				if (mark.last === undefined && mark.flying === 1) {
					mark.sentAt = undefined;
				}

				classified = mark.last;
			} else if (classified ? classified.transient && refusal(response) : copy) {
				// A steadfetch service worker's refusal of its client's own: the origin was not asked. The call's last real
				// outcome stays (none: the call is not counted), as for a refusal of a layer inside this one.
				classified = mark.last ?? unknown;
			}

			mark.answers.push([response, classified]);
			ended(classified);
			return response;
		}, (error: unknown) => {
			// Refused by a layer inside this one without I/O (an app's policy without a band: its own
			// error, a SteadfetchError): no answer of the network. The call's last real outcome stays; a
			// call none of whose attempts got further is not counted (as one refused before any attempt).
			if (isSteadfetchError(error)) {
				if (mark.last === undefined && mark.flying === 1) {
					mark.sentAt = undefined;
				}

				ended(mark.last);
			} else {
				ended(gone() ? aborted : classify(error));
			}

			throw error;
		});
	};

	const settled = (call: PolicyCall, response: Response | undefined, error: unknown): void => {
		const state = seenOf(call);
		state.done = true;
		if (state.sentAt === undefined) {
			// Settled before any attempt reached the network: one a wrapper still sends (it answered first) counts by how it ends,
			// in the scope of the call's URL (`PolicyCall.scope`, known from such a settle on).
			state.later = call.scope;
			return;
		}

		// The scope of the call's latest attempt (`attemptScope`: a failover mirror's is its own).
		const scope = state.scope!;

		// The attempt's answer the call resolved with (a losing hedge's, a failover mirror's may have ended after it).
		const won = response && state.answers.find(([each]) => each === response);
		let outcome = won ? won[1] : state.last;
		let made = response !== undefined && !won;
		if (!response && error !== undefined) {
			// The call's error is the truth (a timeout ky raised, the caller's abort), except for what a
			// policy made of a failure, a transient error of its own (queued; a retry refused without I/O by
			// the breaker, the throttle, the bulkhead, the rate limiter or an app's policy): there the last
			// attempt's failure counts.
			const classified = call.signal?.aborted ? aborted : classify(error);
			// A mirror's part of a call that fails with its primary's error: the mirror's last outcome counts there.
			made = (classified.transient && (isSteadfetchError(error) || refusal(Object(error).response))) || (scope !== call.scope && classified !== aborted);
			outcome = made ? outcome ?? classified : classified;
		}

		// Also a call its caller aborted while its attempt goes on: a request dedupe shares with a later caller.
		if ((made || outcome === aborted) && state.flying) {
			state.later = scope; // Answered while its attempt goes on: counted by how that attempt ends.
			return;
		}

		sample(scope, state, outcome);
	};

	/** Count one call of `scope`: its latency since `state.sentAt` and its outcome; `scope:unhealthy` or `scope:healthy` when it tips. */
	const sample = (scope: string, state: Seen, outcome: Classification | undefined): void => {
		const { sentAt } = state;
		// Counted once: a part counted as its attempt ended (the call answered early) is not counted again as failover moves on.
		state.later = state.sentAt = undefined;
		if (sentAt === undefined || outcome?.code === 'UNKNOWN' || outcome?.code === 'ABORTED') {
			return; // Neither the origin's nor the network's doing (the app's own error, the caller's abort): not counted.
		}

		const now = clock.now();
		const health = states.scope(scope);
		const [calls, failures] = health.add(now, Math.max(0, now - sentAt), outcome);
		const errorRate = failures / calls;
		if (!health.unhealthy && calls >= 10 && errorRate >= threshold) {
			health.unhealthy = true;
			emit('scope:unhealthy', { scope, errorRate, calls });
		} else if (health.unhealthy && errorRate < threshold / 2) {
			health.unhealthy = false;
			emit('scope:healthy', { scope, errorRate, calls });
		}
	};

	const stats = (scope: string): HealthStats => (states.get(scope) ?? new Samples(windowMs)).stats(clock.now());

	// An unhealthy scope keeps its `stats()` counters too, as an open breaker does.
	return { levels: { 'scope:unhealthy': 'warn', 'scope:healthy': 'info' }, layer, settled, checkCall: offOnly('health'), stats: stats as unknown as (scope: string) => Record<string, unknown>, holds: (scope) => !!states.get(scope)?.unhealthy };
};
