import { SteadfetchError } from './SteadfetchError.js';

/** The outbox is at `maxEntries`, or the body is over `maxBodyBytes`. Nothing was stored. */
export class OutboxFullError extends SteadfetchError {
	override name = 'OutboxFullError' as const;

	constructor(message: string, options?: { cause?: unknown }) {
		super(message, 'OUTBOX_FULL', false, options);
	}
}
