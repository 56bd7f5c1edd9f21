/** The persisted index is written at most once per this many ms (see `IndexWriter`). */
export const indexEveryMs = 1000;

/**
 * When the cache's persisted index is written: at once after a quiet interval, then when the
 * interval ends if it changed meanwhile (a timer runs only then), at once when told to (a purge),
 * and at once on every change after `close()`.
 */
export class IndexWriter {
	readonly #write: () => void;
	/** The index changed since it was last written. */
	#dirty = false;
	/** Runs while a write is within its interval; undefined when idle. */
	#timer: ReturnType<typeof setTimeout> | undefined;
	#closed = false;

	constructor(write: () => void) {
		this.#write = write;
	}

	/** The index changed: write it at once when idle or told to, else when the current interval ends. */
	changed(atOnce?: boolean): void {
		this.#dirty = true;
		if (atOnce || !this.#timer) {
			this.flush();
		}
	}

	/** Stop the timer and write now if it changed; later changes write at once. */
	close(): void {
		this.#closed = true;
		this.flush();
	}

	/** Write if it changed; then, unless closed, no other write before an interval ends. */
	flush(): void {
		clearTimeout(this.#timer);
		this.#timer = this.#dirty && !this.#closed ? setTimeout(() => this.flush(), indexEveryMs) : undefined;
		if (this.#dirty) {
			this.#dirty = false;
			this.#write();
		}
	}
}
