import type { BaseEvent } from '../core/event-types.js';

/**
 * A response was written to the stale cache (behind the caller). An answer whose key was stored
 * less than 1 s ago is not written again, nor one with the stored copy's strong ETag (else
 * Last-Modified) for 60 s after it was stored; neither fires this event.
 */
export interface CacheStoredEvent extends BaseEvent<'cache:stored'> {
	url: string;
	bytes: number;
}

export interface CacheStaleEvent extends BaseEvent<'cache:stale'> {
	url: string;
	method: string;
	/** `network`, `timeout`, `http-5xx`, `circuit-open`, `throttled`, `offline` or `subrequests` (a retry or failover attempt its request context had no subrequest left for) (no copy is served with `revalidate` any more: there is no stale-while-revalidate mode). */
	reason: string;
	/** Seconds since the copy was stored. */
	age: number;
}
