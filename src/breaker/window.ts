import { BucketWindow } from '../shared/window.js';

/**
 * Calls and failures of one scope over the last `windowMs` (a `BucketWindow`: constant memory).
 */
export class FailureWindow {
	readonly #window: BucketWindow;

	constructor(windowMs: number) {
		this.#window = new BucketWindow(windowMs);
	}

	/** Count one call; returns whether the window now trips (enough calls, enough of them failed). */
	add(now: number, failed: boolean, minimumThroughput: number, failureRatio: number): boolean {
		this.#window.add(now, 0);
		if (!failed) {
			return false;
		}

		this.#window.add(now, 1);
		const [calls, failures] = this.#window.sums(now);
		return calls >= minimumThroughput && failures >= failureRatio * calls;
	}

	reset(): void {
		this.#window.reset();
	}
}
