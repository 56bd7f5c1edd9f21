import { SteadfetchError } from './SteadfetchError.js';

/** The scope's bulkhead has `maxConcurrent` calls running and `maxQueue` waiting. No I/O happened. */
export class BulkheadFullError extends SteadfetchError {
	override name = 'BulkheadFullError' as const;
	/** The scope (the origin by default). */
	declare readonly scope: string;

	constructor(scope: string, maxConcurrent: number, maxQueue: number) {
		super(`Bulkhead full for ${scope}: ${maxConcurrent} running, ${maxQueue} waiting`, 'BULKHEAD_FULL', true);
		this.scope = scope;
	}
}
