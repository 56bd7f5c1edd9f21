import type { BaseEvent } from '../core/event-types.js';

/** A hedge was sent: the attempt had no answer within the hedge delay. */
export interface HedgeEvent extends BaseEvent<'hedge'> {
	method: string;
	url: string;
	/** 1 for the first hedge of the attempt. */
	hedge: number;
}
