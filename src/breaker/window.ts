const buckets = 10;

/**
 * Calls and failures of one scope over the last `windowMs`, in ten buckets of `windowMs / 10`:
 * memory is constant however many calls pass. A bucket older than the window is skipped when
 * summing and overwritten when its slot comes round again.
 */
export class FailureWindow {
	readonly #bucketMs: number;
	/** Bucket number (time / bucketMs) each slot holds, to tell stale slots. */
	readonly #epoch = new Float64Array(buckets);
	readonly #calls = new Uint32Array(buckets);
	readonly #failures = new Uint32Array(buckets);

	constructor(windowMs: number) {
		this.#bucketMs = windowMs / buckets;
		this.reset();
	}

	/** Count one call; returns whether the window now trips (enough calls, enough of them failed). */
	add(now: number, failed: boolean, minimumThroughput: number, failureRatio: number): boolean {
		const bucket = Math.floor(now / this.#bucketMs);
		const slot = ((bucket % buckets) + buckets) % buckets;
		if (this.#epoch[slot] !== bucket) {
			this.#epoch[slot] = bucket;
			this.#calls[slot] = 0;
			this.#failures[slot] = 0;
		}

		this.#calls[slot]!++;
		if (!failed) {
			return false;
		}

		this.#failures[slot]!++;
		let calls = 0;
		let failures = 0;
		for (let index = 0; index < buckets; index++) {
			const age = bucket - this.#epoch[index]!;
			if (age >= 0 && age < buckets) {
				calls += this.#calls[index]!;
				failures += this.#failures[index]!;
			}
		}

		return calls >= minimumThroughput && failures >= failureRatio * calls;
	}

	reset(): void {
		this.#epoch.fill(-Infinity);
	}
}
