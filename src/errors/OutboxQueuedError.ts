import { SteadfetchError } from './SteadfetchError.js';

/**
 * A mutation could not be delivered now and was stored in the outbox. It will be replayed;
 * this is not a failure of delivery.
 */
export class OutboxQueuedError extends SteadfetchError {
	override name = 'OutboxQueuedError' as const;
	/** Id of the stored outbox entry. */
	declare readonly entryId: string;

	constructor(entryId: string, options?: { cause?: unknown }) {
		super(`Request queued in the outbox as ${entryId}`, 'QUEUED', true, options);
		this.entryId = entryId;
	}
}
