const buckets = 10;

/**
 * Two counters over a sliding window of `windowMs`, in ten buckets of `windowMs / 10`: memory is
 * constant however many events pass. A bucket older than the window is skipped when summing and
 * overwritten when its slot comes round again. A clock that steps back is held at the latest bucket
 * seen, so it cannot reopen buckets already counted; one that steps back a whole window or more starts
 * afresh (held, the window would not slide until the clock came back there: an hour's step, an hour). Used by the retry budget (first attempts,
 * retries), the breaker (calls, failures), health and the adaptive throttle (requests, accepts). A bucket is at least
 * 0.1 ms long (a window under 1 ms is a 1 ms window): a time divided by a tiny one (`windowMs: 1e-300`, which the options
 * take) overflowed, no bucket held a count, and the window counted nothing.
 */
export class BucketWindow {
	readonly #bucketMs: number;
	/** Bucket number (time / bucketMs) each slot holds, to tell stale slots. */
	readonly #epoch = new Float64Array(buckets);
	readonly #counts = [new Uint32Array(buckets), new Uint32Array(buckets)] as const;
	#latest = -Infinity;

	constructor(windowMs: number) {
		this.#bucketMs = Math.max(windowMs, 1) / buckets;
		this.reset();
	}

	/** The current bucket's number (its slot made fresh if it held an older bucket). */
	bucket(now: number): number {
		const at = Math.floor(now / this.#bucketMs);
		if (at <= this.#latest - buckets) {
			this.reset();
		}

		const bucket = Math.max(this.#latest, at);
		this.#latest = bucket;
		const slot = ((bucket % buckets) + buckets) % buckets;
		if (this.#epoch[slot] !== bucket) {
			this.#epoch[slot] = bucket;
			this.#counts[0][slot] = 0;
			this.#counts[1][slot] = 0;
		}

		return bucket;
	}

	/** Count one event (or `count` events) in counter 0 or 1 at `now`: the bucket it is counted in (`take`'s). */
	add(now: number, counter: 0 | 1, count = 1): number {
		const bucket = this.bucket(now);
		this.#counts[counter][((bucket % buckets) + buckets) % buckets]! += count;
		return bucket;
	}

	/**
	 * Take back one event counted in counter 0 or 1 in `bucket` (`add`'s: after the clock stepped back, a later one than
	 * its time's), while that bucket is still held: never one it did not count.
	 */
	take(bucket: number, counter: 0 | 1): void {
		const slot = ((bucket % buckets) + buckets) % buckets;
		if (this.#epoch[slot] === bucket && this.#counts[counter][slot]) {
			this.#counts[counter][slot]--;
		}
	}

	/** Both counters summed over the window ending at `now`. */
	sums(now: number): [number, number] {
		const bucket = this.bucket(now);
		let first = 0;
		let second = 0;
		for (let index = 0; index < buckets; index++) {
			const age = bucket - this.#epoch[index]!;
			if (age >= 0 && age < buckets) {
				first += this.#counts[0][index]!;
				second += this.#counts[1][index]!;
			}
		}

		return [first, second];
	}

	/** Forget every count (and the latest bucket seen). */
	reset(): void {
		this.#epoch.fill(-Infinity);
		this.#latest = -Infinity;
	}
}

/** Buckets in one window. */
export const bucketsPerWindow = buckets;
