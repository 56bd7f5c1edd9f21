import { storageTimeout } from './storage-timeout.js';

/**
 * The edge build's deadlines (see deadlines.ts): a timer per operation, cleared when it settles. In
 * Workers a timer armed in one request must not settle a promise of another, and Deno's test
 * sanitizer fails a test that leaves a timer pending. Two promises per operation (a race with a
 * `finally` made ten).
 */
export class Deadlines {
	readonly #ms: number;

	constructor(ms: number) {
		this.#ms = ms;
	}

	/** `operation`, or a `StorageTimeoutError` (saying `what`) once it takes longer than `ms` (the operation itself goes on). */
	bound<T>(operation: Promise<T>, what: string, ms = this.#ms): Promise<T> {
		return new Promise<T>((resolve, reject) => {
			const timer = setTimeout(() => reject(storageTimeout(what, ms)), ms);
			operation.then((value) => {
				clearTimeout(timer);
				resolve(value);
			}, (error: unknown) => {
				clearTimeout(timer);
				reject(error);
			});
		});
	}
}
