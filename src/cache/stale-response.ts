import { cacheStatusPrefix } from './is-stale.js';
import type { CacheRecord } from './record.js';

/**
 * Why a stored copy was served: the `detail` of `Cache-Status` and the `reason` of `cache:stale`.
 * (`revalidate` was the stale-while-revalidate mode's, which is gone: no copy is served with it now.)
 */
export type StaleReason = 'network' | 'timeout' | 'http-5xx' | 'circuit-open' | 'throttled' | 'offline' | 'slow' | 'subrequests' | 'revalidate' | (string & {});

/** Seconds since the copy was made: since it was stored, plus the `Age` it arrived with (RFC 9111 §4.2.3, without clock skew guesses). */
export const ageOf = (record: CacheRecord, now: number): number => Math.max(0, Math.floor((now - record.born) / 1000));

/**
 * A stored copy as the answer to a failed call, marked:
 * `Cache-Status: steadfetch; hit; ttl=<freshness left in s, negative when stale>; detail=<reason>`
 * (RFC 9211), with `; pending-writes=N` after it while N writes to its URL are pending (API.md
 * "Read your own writes"), and `Age`. `response.url` is the stored URL. A HEAD gets no body.
 */
export const staleResponse = (record: CacheRecord, method: string, reason: StaleReason, now: number, pendingWrites = 0): Response => {
	const age = ageOf(record, now);
	const headers = new Headers(record.headers);
	headers.set('age', String(age));
	headers.set('cache-status', `${cacheStatusPrefix} ttl=${record.lifetime - age}; detail=${reason}${pendingWrites > 0 ? `; pending-writes=${pendingWrites}` : ''}`);
	const { status, statusText } = record;
	const response = new Response(method === 'HEAD' ? null : record.body, { status, statusText, headers });
	Object.defineProperty(response, 'url', { value: record.url });
	return response;
};
