import { checkRules, isNonNegativeInteger, isOptions, isPositiveFinite, type Rule } from '../utils/validate.js';
import { scopes, type Scopes } from '../utils/scopes.js';
import { BucketWindow, bucketsPerWindow } from '../utils/window.js';

/** The injected clock the budget reads (the client's `clock`): epoch ms. Its own type: src/retry/ imports nothing of the core. */
type Clock = { now(): number };

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
	 * Length of the sliding window, in ms. A positive finite number (no upper bound); one under 1 ms counts as 1 ms.
	 * @default 10_000
	 */
	windowMs?: number;
}

interface Window {
	readonly counts: BucketWindow;
	/** Bucket in which `budget:exhausted` last fired: it fires again only a whole window later. */
	exhaustedAt: number;
}

export interface RetryDecision {
	allowed: boolean;
	retries: number;
	limit: number;
	/** True the first time a retry is refused in this window. */
	firstRefusal: boolean;
	/** The bucket a retry allowed and spent was counted in: `refund`'s (the clock's time may be in another, stepped back). */
	bucket?: number;
}

/** `retryBudget` given as options: each checked when given (a RangeError naming it). */
const rules: Record<string, Rule> = {
	// An options object, not a list (none of its keys would be read: the defaults, silently).
	retryBudget: [isOptions, '{ ratio, minRetries, windowMs }, true or false', true],
	'retryBudget.ratio': [(value) => typeof value === 'number' && value >= 0 && value <= 1, 'a number in [0, 1]'],
	'retryBudget.minRetries': [isNonNegativeInteger, 'a non-negative integer'],
	'retryBudget.windowMs': [isPositiveFinite, 'a positive finite number of ms'],
};

/**
 * A retry budget per scope, over a sliding window of ten buckets: memory per scope is constant
 * however many requests pass, and at most `maxScopes` idle scopes are kept (`Scopes`: a forgotten
 * scope starts again with a fresh window, as a new one does). A retry is allowed while the retries
 * in the window stay under `max(minRetries, ratio × first attempts)`; allowing one spends it at once,
 * so concurrent calls in an outage cannot all pass the check before any of them retries.
 */
export class RetryBudget {
	declare readonly ratio: number;
	declare readonly minRetries: number;
	declare readonly windowMs: number;
	readonly #clock: Clock;
	readonly #windows: Scopes<Window>;

	constructor(options: RetryBudgetOptions, clock: Clock) {
		checkRules({ retryBudget: options }, rules);
		const { ratio = 0.1, minRetries = 10, windowMs = 10_000 } = options;
		this.ratio = ratio;
		this.minRetries = minRetries;
		this.windowMs = windowMs;
		this.#clock = clock;
		this.#windows = scopes(() => ({ counts: new BucketWindow(windowMs), exhaustedAt: -Infinity }));
	}

	/** Count a first attempt (not a retry) to `scope`, as it goes out: one refused without I/O earns no retries. */
	recordFirst(scope: string): void {
		this.#windows.scope(scope).counts.add(this.#clock.now(), 0);
	}

	/**
	 * Ask for one retry to `scope`. `spend` (default) takes it when allowed; `false` only asks (ky is
	 * deciding, nothing went out yet). `force` takes it whatever the limit: a retry that goes out
	 * anyway (one the caller forced with `ky.retry()`) is paid for, never refused. `now`: the time it is spent at.
	 * `retry` false: an extra attempt that is no retry (a hedge) asks; its refusal is not the window's
	 * first (`firstRefusal`, told as `budget:exhausted` for a retry), which it would leave untold.
	 */
	tryRetry(scope: string, spend = true, force = false, now = this.#clock.now(), retry = true): RetryDecision {
		const window = this.#windows.scope(scope);
		const [firsts, retries] = window.counts.sums(now);
		const limit = Math.max(this.minRetries, Math.floor(this.ratio * firsts));
		if (force || retries < limit) {
			return { allowed: true, retries: retries + Number(spend), limit, firstRefusal: false, ...spend && { bucket: window.counts.add(now, 1) } };
		}

		// Once per window's length since it last fired (not per calendar-aligned window, which a burst
		// crossing a boundary would see twice), either way: after the clock stepped back a window or more too.
		const bucket = window.counts.bucket(now);
		const firstRefusal = retry && Math.abs(bucket - window.exhaustedAt) >= bucketsPerWindow;
		if (firstRefusal) {
			window.exhaustedAt = bucket;
		}

		return { allowed: false, retries, limit, firstRefusal };
	}

	/** Give back a retry spent in `bucket` (`tryRetry`'s decision) that was not sent after all, while its window still counts it. */
	refund(scope: string, bucket: number): void {
		this.#windows.get(scope)?.counts.take(bucket, 1);
	}
}
