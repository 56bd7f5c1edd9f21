import type { BaseEvent } from '../core/event-types.js';

/** A call the scope's bulkhead refused: `maxConcurrent` running and `maxQueue` waiting. */
export interface BulkheadRejectedEvent extends BaseEvent<'bulkhead:rejected'> {
	method: string;
	url: string;
	running: number;
	queued: number;
}
