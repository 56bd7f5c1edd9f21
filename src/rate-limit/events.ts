import type { BaseEvent } from '../core/event-types.js';

/** A call waits for the scope's rate limit: its own bucket, or the server's spent budget. */
export interface RateLimitWaitEvent extends BaseEvent<'ratelimit:wait'> {
	method: string;
	url: string;
	/** How long it waits, in ms (behind the first call after a server's block with no limit said: until that one is answered, looked at every 20 ms; told once). */
	waitMs: number;
	reason: 'bucket' | 'server';
}
