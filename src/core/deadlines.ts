import { monotonicNow } from '../utils/clock.js';
import { storageTimeout } from './storage-timeout.js';

/** An operation under way: when its deadline passes (`monotonicNow()`, ms), and what fails it then. */
interface Waiting {
	readonly at: number;
	readonly fail: () => void;
}

/**
 * The deadlines of a part store's operations, kept by one timer for all of them instead of a timer
 * each (a `setTimeout` and `clearTimeout` per operation cost about 1,600 instructions more in Node:
 * `node bench/store-path.mjs`). The timer, unref'd where the runtime can (it never keeps a process
 * alive), is armed for the earliest deadline under way; when it fires, that operation fails with a
 * `StorageTimeoutError` if it has not answered, so does every other whose deadline passed, and it is
 * armed again for the earliest left, if any. The edge build gives each operation a timer of its own
 * (deadlines-edge.ts): in Workers a timer of one request must not settle another's promise, and Deno's
 * test sanitizer fails a test that leaves a timer pending.
 */
export class Deadlines {
	readonly #ms: number;
	/** The operations under way. */
	readonly #waiting = new Set<Waiting>();
	/** The one the timer is armed for, and the timer. */
	#armed: { readonly for: Waiting; readonly timer: ReturnType<typeof setTimeout> } | undefined;

	constructor(ms: number) {
		this.#ms = ms;
	}

	/** `operation`, or a `StorageTimeoutError` (saying `what`) once it takes longer than `ms` (the operation itself goes on). */
	bound<T>(operation: Promise<T>, what: string, ms = this.#ms): Promise<T> {
		return new Promise<T>((resolve, reject) => {
			const waiting: Waiting = { at: monotonicNow() + ms, fail: () => reject(storageTimeout(what, ms)) };
			this.#waiting.add(waiting);
			if (!this.#armed || waiting.at < this.#armed.for.at) {
				this.#arm(waiting, ms);
			}

			operation.then((value) => {
				this.#waiting.delete(waiting);
				resolve(value);
			}, (error: unknown) => {
				this.#waiting.delete(waiting);
				reject(error);
			});
		});
	}

	#arm(waiting: Waiting, ms: number): void {
		clearTimeout(this.#armed?.timer);
		const timer = setTimeout(() => {
			this.#fire(waiting);
		}, ms);
		(timer as { unref?: () => void }).unref?.();
		this.#armed = { for: waiting, timer };
	}

	/**
	 * The timer armed for `first` fired: it fails if it has not answered (the timer measured its
	 * time, whatever the clock says), and so does every other whose deadline passed.
	 */
	#fire(first: Waiting): void {
		this.#armed = undefined;
		const now = monotonicNow();
		let next: Waiting | undefined;
		for (const waiting of this.#waiting) {
			if (waiting === first || waiting.at <= now) {
				this.#waiting.delete(waiting);
				waiting.fail();
			} else if (!next || waiting.at < next.at) {
				next = waiting;
			}
		}

		if (next) {
			this.#arm(next, next.at - now);
		}
	}
}
