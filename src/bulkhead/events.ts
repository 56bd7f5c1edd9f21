import type { BaseEvent } from '../core/event-types.js';

/**
 * A call the scope's bulkhead refused (`BulkheadFullError`): `maxConcurrent` running and `maxQueue` waiting; or, in Workers, a
 * request `dedupe()` shares dropped from the queue at its first caller's deadline (`running`, `queued`: the scope's as it is refused).
 */
export interface BulkheadRejectedEvent extends BaseEvent<'bulkhead:rejected'> {
	method: string;
	url: string;
	running: number;
	queued: number;
}
