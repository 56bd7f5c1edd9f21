import type { Policy, PolicyContext, PolicyParts } from '../core/policy.js';
import type { Layer } from '../core/types.js';
import { check, isNonNegativeInteger, isPositiveInteger } from '../core/validate.js';
import { BulkheadFullError } from '../errors/BulkheadFullError.js';

/** Options of the bulkhead (`bulkhead()` from `steadfetch/bulkhead`). */
export interface BulkheadOptions {
	/**
	 * Attempts running at once per scope; more wait their turn. A positive integer.
	 * @default 6 (the browsers' per-host connection limit over HTTP/1.1)
	 */
	maxConcurrent?: number;
	/**
	 * Attempts waiting per scope; one more is refused at once with `BulkheadFullError`, no I/O.
	 * A non-negative integer.
	 * @default 100
	 */
	maxQueue?: number;
}

/** A waiting attempt's own resolver: called with nothing when a slot is handed to it, with an error to refuse it. */
type Waiter = (error?: unknown) => void;

interface Lane {
	running: number;
	readonly waiting: Waiter[];
	rejected: number;
}

const create = (context: PolicyContext, maxConcurrent: number, maxQueue: number): PolicyParts => {
	const lanes = new Map<string, Lane>();
	const laneOf = (scope: string): Lane => {
		let lane = lanes.get(scope);
		if (!lane) {
			lane = { running: 0, waiting: [], rejected: 0 };
			lanes.set(scope, lane);
		}

		return lane;
	};

	const layer: Layer = (next) => (request, init) => {
		const { signal } = request;
		if (signal.aborted) {
			return Promise.reject(signal.reason);
		}

		const scope = init?.steadfetch?.scope ?? context.scopeOf(request.url);
		const lane = laneOf(scope);
		// The slot passes from an attempt that ends to the first waiter: nobody takes it in between.
		const run = (): Promise<Response> => next(request, init).finally(() => {
			const wake = lane.waiting.shift();
			if (wake) {
				wake();
			} else {
				lane.running--;
			}
		});

		if (lane.running < maxConcurrent) {
			lane.running++;
			return run();
		}

		if (init?.hedge) {
			// A hedge goes now or not at all (FetchInit.hedge): not sent, neither counted nor emitted.
			return Promise.reject(new BulkheadFullError(scope, maxConcurrent, maxQueue));
		}

		if (lane.waiting.length >= maxQueue) {
			lane.rejected++;
			context.emit('bulkhead:rejected', { scope, method: request.method, url: request.url, running: lane.running, queued: lane.waiting.length });
			return Promise.reject(new BulkheadFullError(scope, maxConcurrent, maxQueue));
		}

		// Waits in FIFO order until a slot is handed to it, woken by its own resolver (the attempt
		// then goes on in its own call); leaves the queue at once when its signal aborts (the caller,
		// or ky's timeout or totalTimeout running out while it waits), holding nothing.
		return new Promise<void>((resolve, reject) => {
			const wake: Waiter = (error) => {
				signal.removeEventListener('abort', onAbort);
				if (error) {
					reject(error);
				} else {
					resolve();
				}
			};

			const onAbort = (): void => {
				const index = lane.waiting.indexOf(wake);
				if (index !== -1) {
					lane.waiting.splice(index, 1);
				}

				reject(signal.reason);
			};

			signal.addEventListener('abort', onAbort, { once: true });
			lane.waiting.push(wake);
		}).then(run);
	};

	return {
		layer,
		stats(scope) {
			const lane = lanes.get(scope);
			return lane && { bulkhead: { running: lane.running, queued: lane.waiting.length, rejected: lane.rejected } };
		},
		close() {
			for (const lane of lanes.values()) {
				for (const wake of lane.waiting.splice(0)) {
					wake(new DOMException('The client was closed', 'AbortError'));
				}
			}
		},
	};
};

/**
 * The bulkhead, for the `bulkhead` slot: per scope, at most `maxConcurrent` attempts running and
 * `maxQueue` waiting; beyond that `BulkheadFullError` at once with no I/O. A per-attempt policy
 * (it limits connections, so a retry and a hedge take a slot too), just outside the rate limiter and
 * the breaker: a call the cache or the outbox answers without I/O takes none. A slot is held until
 * the response's headers arrive. A hedge takes a slot only when one is free (else it is not sent);
 * an attempt whose signal has aborted is rejected at once with its reason, and a waiting one leaves
 * the queue as soon as its signal aborts.
 * Bad options throw a `RangeError` naming the option and the value.
 *
 * @example
 * const api = createClient({ bulkhead: bulkhead({ maxConcurrent: 4 }) });
 */
export const bulkhead = (options: BulkheadOptions = {}): Policy<'bulkhead'> => {
	const { maxConcurrent = 6, maxQueue = 100 } = options;
	check(isPositiveInteger(maxConcurrent), 'bulkhead.maxConcurrent', maxConcurrent, 'a positive integer');
	check(isNonNegativeInteger(maxQueue), 'bulkhead.maxQueue', maxQueue, 'a non-negative integer');
	return { slot: 'bulkhead', create: (context) => create(context, maxConcurrent, maxQueue) };
};
