import type { BaseEvent } from '../core/event-types.js';
import type { SteadfetchErrorCode } from '../errors/SteadfetchError.js';

/** A call whose primary failed was answered by a mirror (`failover()`). */
export interface FailoverEvent extends BaseEvent<'failover'> {
	method: string;
	/** The URL the call was made for (on the primary). */
	url: string;
	/** The URL that answered. */
	mirror: string;
	/** Why the primary failed: `classify()`'s code of its error or answer (`NETWORK`, `CIRCUIT_OPEN`, `HTTP_5XX`, ...). */
	code: SteadfetchErrorCode;
}
