import type { Policy, PolicyContext, PolicyParts } from '../core/policy.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';
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

interface Waiter {
	start(): void;
	cancel(reason: unknown): void;
}

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

	const run = (lane: Lane, next: FetchLike, request: Request, init: FetchInit | undefined): Promise<Response> => {
		lane.running++;
		const release = (): void => {
			lane.running--;
			lane.waiting.shift()?.start();
		};

		return next(request, init).finally(release);
	};

	const layer: Layer = (next) => (request, init) => {
		const scope = init?.steadfetch?.scope ?? context.scopeOf(request.url);
		const lane = laneOf(scope);
		if (lane.running < maxConcurrent) {
			return run(lane, next, request, init);
		}

		if (lane.waiting.length >= maxQueue) {
			lane.rejected++;
			context.emit('bulkhead:rejected', { scope, method: request.method, url: request.url, running: lane.running, queued: lane.waiting.length });
			return Promise.reject(new BulkheadFullError(scope, maxConcurrent, maxQueue));
		}

		// Waits in FIFO order until a slot frees; leaves the queue when its signal aborts (the
		// caller, or ky's timeout or totalTimeout running out while it waits).
		return new Promise<Response>((resolve, reject) => {
			const { signal } = request;
			const waiter: Waiter = {
				start() {
					signal.removeEventListener('abort', onAbort);
					run(lane, next, request, init).then(resolve, reject);
				},
				cancel: reject,
			};
			const onAbort = (): void => {
				const index = lane.waiting.indexOf(waiter);
				if (index !== -1) {
					lane.waiting.splice(index, 1);
					reject(signal.reason);
				}
			};

			signal.addEventListener('abort', onAbort);
			lane.waiting.push(waiter);
		});
	};

	return {
		layer,
		stats(scope) {
			const lane = lanes.get(scope);
			return lane && { bulkhead: { running: lane.running, queued: lane.waiting.length, rejected: lane.rejected } };
		},
		close() {
			for (const lane of lanes.values()) {
				for (const waiter of lane.waiting.splice(0)) {
					waiter.cancel(new DOMException('The client was closed', 'AbortError'));
				}
			}
		},
	};
};

/**
 * The bulkhead, for the `bulkhead` slot: per scope, at most `maxConcurrent` attempts running and
 * `maxQueue` waiting; beyond that `BulkheadFullError` at once with no I/O. A per-attempt policy
 * (it limits connections, so a retry takes a slot too), just outside the breaker: a call the cache
 * or the outbox answers without I/O takes none. A slot is held until the response's headers arrive.
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
