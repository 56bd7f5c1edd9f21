import type { Clock } from '../core/types.js';
import { check, isNonNegativeInteger, isPositiveFinite } from '../core/validate.js';

/** Options of the retry budget (`retryBudget`). */
export interface RetryBudgetOptions {
	/**
	 * Retries allowed per first attempt, over the window: at most `ratio × first attempts` retries
	 * (but always at least `minRetries`). In [0, 1].
	 * @default 0.1
	 */
	ratio?: number;
	/**
	 * Retries always allowed per window, whatever the ratio says, so a quiet client can still retry.
	 * @default 10
	 */
	minRetries?: number;
	/**
	 * Length of the sliding window, in ms.
	 * @default 10_000
	 */
	windowMs?: number;
}

const buckets = 10;

interface Window {
	/** Bucket number (time / bucketMs) each slot holds, to tell stale slots. */
	readonly epoch: Float64Array;
	readonly firsts: Uint32Array;
	readonly retries: Uint32Array;
	/** Window number in which `budget:exhausted` last fired. */
	exhaustedIn: number;
	/** Latest bucket seen: a clock that steps back is held here, so it cannot reopen spent buckets. */
	latest: number;
}

export interface RetryDecision {
	allowed: boolean;
	retries: number;
	limit: number;
	/** True the first time a retry is refused in this window. */
	firstRefusal: boolean;
}

/**
 * A retry budget per scope, over a sliding window of ten buckets: memory per scope is constant
 * however many requests pass. A retry is allowed while the retries in the window stay under
 * `max(minRetries, ratio × first attempts)`; allowing one spends it at once, so concurrent calls in
 * an outage cannot all pass the check before any of them retries.
 */
export class RetryBudget {
	readonly ratio: number;
	readonly minRetries: number;
	readonly windowMs: number;
	readonly #bucketMs: number;
	readonly #clock: Clock;
	readonly #windows = new Map<string, Window>();

	constructor(options: RetryBudgetOptions, clock: Clock) {
		const { ratio = 0.1, minRetries = 10, windowMs = 10_000 } = options;
		check(typeof ratio === 'number' && ratio >= 0 && ratio <= 1, 'retryBudget.ratio', ratio, 'a number in [0, 1]');
		check(isNonNegativeInteger(minRetries), 'retryBudget.minRetries', minRetries, 'a non-negative integer');
		check(isPositiveFinite(windowMs), 'retryBudget.windowMs', windowMs, 'a positive finite number of ms');
		this.ratio = ratio;
		this.minRetries = minRetries;
		this.windowMs = windowMs;
		this.#bucketMs = windowMs / buckets;
		this.#clock = clock;
	}

	/** Count a first attempt (not a retry) to `scope`. */
	recordFirst(scope: string): void {
		const [window, slot] = this.#slot(scope);
		window.firsts[slot]!++;
	}

	/** Ask to retry once to `scope`; an allowed retry is spent. */
	tryRetry(scope: string): RetryDecision {
		const [window, slot, bucket] = this.#slot(scope);
		let firsts = 0;
		let retries = 0;
		for (let index = 0; index < buckets; index++) {
			const age = bucket - window.epoch[index]!;
			if (age >= 0 && age < buckets) {
				firsts += window.firsts[index]!;
				retries += window.retries[index]!;
			}
		}

		const limit = Math.max(this.minRetries, Math.floor(this.ratio * firsts));
		if (retries < limit) {
			window.retries[slot]!++;
			return { allowed: true, retries: retries + 1, limit, firstRefusal: false };
		}

		const windowNumber = Math.floor(bucket / buckets);
		const firstRefusal = window.exhaustedIn !== windowNumber;
		window.exhaustedIn = windowNumber;
		return { allowed: false, retries, limit, firstRefusal };
	}

	#slot(scope: string): [Window, number, number] {
		let window = this.#windows.get(scope);
		if (!window) {
			window = {
				epoch: new Float64Array(buckets).fill(-Infinity),
				firsts: new Uint32Array(buckets),
				retries: new Uint32Array(buckets),
				exhaustedIn: -1,
				latest: -Infinity,
			};
			this.#windows.set(scope, window);
		}

		const bucket = Math.max(window.latest, Math.floor(this.#clock.now() / this.#bucketMs));
		window.latest = bucket;
		const slot = ((bucket % buckets) + buckets) % buckets;
		if (window.epoch[slot] !== bucket) {
			window.epoch[slot] = bucket;
			window.firsts[slot] = 0;
			window.retries[slot] = 0;
		}

		return [window, slot, bucket];
	}
}
