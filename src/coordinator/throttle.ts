import { isNonNegativeInteger } from '../utils/validate.js';

/** What an isolate's `adaptiveThrottle({ shared })` tells the coordinator of one scope: its attempts since its last sync. */
export interface ThrottleReport {
	/** The throttle's `windowMs`: the window the coordinator sums over. */
	windowMs: number;
	/** Attempts that reached the throttle since the last sync (refused ones included). */
	requests: number;
	/** Of those, attempts that got an answer `classify()` does not call transient. */
	accepts: number;
}

/** A sync of `adaptiveThrottle({ shared })`: the throttle's report only (the scope's breaker is left alone). */
export interface ThrottleMessage {
	throttle: ThrottleReport;
}

/** The fleet's counts of one scope over the window, this report included. */
export interface ThrottleCounts {
	requests: number;
	accepts: number;
}

/** The coordinator's answer to a `ThrottleMessage`. */
export interface ThrottleAnswer {
	throttle: ThrottleCounts;
}

/** One scope's throttle counts as a coordinator stores them (apart from its breaker state): ten buckets of `windowMs / 10`. */
export interface ThrottleState {
	v: 1;
	scope: string;
	windowMs: number;
	/** The bucket number (time / bucket length) each slot holds. */
	at: number[];
	requests: number[];
	accepts: number[];
}

const slots = 10;
/** The most one report may add, and the most a bucket holds: what a garbled or hostile message can do is bounded. */
const maxCount = 1_000_000;

const count = (value: unknown, max: number): number => typeof value === 'number' && value > 0 ? Math.min(max, Math.floor(value)) : 0;

/** Ten numbers of which each is `valid` (given its slot). */
const isSlots = (value: unknown, valid: (item: number, slot: number) => boolean): value is number[] => Array.isArray(value) && value.length === slots && value.every(valid);

/**
 * Whether a stored value is a state of `scope` (of any window a report is bounded to) as a report leaves it: its bucket numbers whole, a bucket's
 * counts whole, at most `maxCount`, its accepts no more than its requests (a stored state is the Durable
 * Object's own, but Redis and a Deno KV hold what any program wrote: a negative or huge count summed
 * into every answer made each isolate refuse the fleet's window until the bucket aged out). What is
 * not is another program's or a garbled write: a coordinator over a shared store reports it (`storage:error`).
 */
export const isThrottleState = (scope: string, value: unknown): value is ThrottleState => {
	const state = value as Partial<ThrottleState> | undefined;
	const requests = state?.requests;
	return state?.v === 1 && state.scope === scope && state.windowMs === Math.min(86_400_000, Math.max(1, state.windowMs!)) && isSlots(state.at, Number.isInteger)
		&& isSlots(requests, (item) => isNonNegativeInteger(item) && item <= maxCount) && isSlots(state.accepts, (item, slot) => isNonNegativeInteger(item) && item <= requests[slot]!);
};

/** A stored state of `scope` and `windowMs` (`isThrottleState`), or a fresh one when it is missing, another window's, or not one of ours. */
const readThrottle = (scope: string, windowMs: number, value: unknown): ThrottleState => isThrottleState(scope, value) && value.windowMs === windowMs
	? value
	: { v: 1, scope, windowMs, at: Array<number>(slots).fill(-1), requests: Array<number>(slots).fill(0), accepts: Array<number>(slots).fill(0) };

/**
 * Add one isolate's report to a scope's stored counts and answer the fleet's sums over the window
 * (the report included). The report is bounded: `windowMs` in [1 ms, 1 day], at most 1 000 000
 * attempts per report and per bucket, accepts never more than requests. A report of another window
 * than the stored one starts the counts afresh (isolates of one scope share their options). `now` is the
 * coordinator's clock; where that is each process's own (Deno KV), a report is counted in the latest bucket the
 * state holds while that is less than a window ahead of `now`: the window slides by the clock furthest ahead.
 * Returns the state to store (`stored` itself, changed in place, when it was one) and the answer.
 */
export const tallyThrottle = (scope: string, stored: unknown, report: Partial<ThrottleReport> | undefined, now: number): [ThrottleState, ThrottleAnswer] => {
	const windowMs = Math.min(86_400_000, Math.max(1, Number(report?.windowMs) || 120_000));
	const state = readThrottle(scope, windowMs, stored);
	// The bucket of `now`, or the latest one the state holds when that is ahead of it by less than a window: over Deno KV
	// each process tallies on its own clock, and one that runs ahead (a minute) numbers the buckets it reports into ahead
	// of the others; each then counted none of the other's buckets (its future) and the fleet's window was split.
	const own = Math.floor(now / (windowMs / slots));
	const latest = Math.max(...state.at);
	const bucket = latest > own && latest - own < slots ? latest : own;
	const slot = bucket % slots;
	if (state.at[slot] !== bucket) {
		state.at[slot] = bucket;
		state.requests[slot] = 0;
		state.accepts[slot] = 0;
	}

	const requests = count(report?.requests, maxCount);
	state.requests[slot] = Math.min(maxCount, state.requests[slot]! + requests);
	state.accepts[slot] = Math.min(state.requests[slot]!, state.accepts[slot]! + count(report?.accepts, requests));
	const counts = { requests: 0, accepts: 0 };
	for (let index = 0; index < slots; index++) {
		const age = bucket - state.at[index]!;
		if (age >= 0 && age < slots) {
			counts.requests += state.requests[index]!;
			counts.accepts += state.accepts[index]!;
		}
	}

	return [state, { throttle: counts }];
};
