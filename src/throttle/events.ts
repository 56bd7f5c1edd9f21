import type { BaseEvent } from '../core/event-types.js';

/** `adaptiveThrottle()` refused an attempt locally, with no I/O: the scope rejects much of what it gets. */
export interface ThrottleRejectedEvent extends BaseEvent<'throttle:rejected'> {
	method: string;
	url: string;
	/** The refusal probability the attempt was refused with (0 to `maxRejectRatio`). */
	rejectRatio: number;
}
