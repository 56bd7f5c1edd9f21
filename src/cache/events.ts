import type { BaseEvent } from '../core/event-types.js';

/**
 * A response was written to the stale cache (behind the caller). An answer whose key was stored
 * less than 1 s ago is not written again, nor one with the stored copy's strong ETag (else
 * Last-Modified) for 60 s after it was stored; neither fires this event. Nor does a copy that a clear
 * (`client.clear()`, of its identity, `cache.clear()`) or a removal of its URL (`cache.delete`, a delivered
 * write) removed while the store was taking it.
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

/**
 * A stored copy was dropped because a write made it unusable (API.md "Read your own writes"): a
 * write delivered (answered below 400, at once or by a replay) to its URL, to the collection it
 * belongs to (a POST's URL) or to a child of it (a PUT, PATCH or DELETE of `/todos/1` for `/todos`),
 * query-string variants included, whoever stored it. Never carries a body or a header.
 */
export interface CacheSupersededEvent extends BaseEvent<'cache:superseded'> {
	/** The dropped copy's URL, sensitive query values removed. */
	url: string;
	/** The dropped copy's method (`GET`: copies are of reads). */
	method: string;
	/** The write that made it unusable: its method and URL (sensitive query values removed). */
	by: { method: string; url: string };
}
