import { cacheStatusPrefix } from './is-stale.js';
import type { CacheRecord } from './record.js';

/** Why a stored copy was served: the `detail` of `Cache-Status` and the `reason` of `cache:stale`. */
export type StaleReason = 'network' | 'timeout' | 'http-5xx' | 'circuit-open' | 'offline' | 'revalidate';

const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);

/** Seconds since the copy was stored, plus the `Age` it arrived with (RFC 9111 §4.2.3, without clock skew guesses). */
export const ageOf = (record: Pick<CacheRecord, 'initialAge' | 'storedAt'>, now: number): number =>
	record.initialAge + Math.max(0, Math.floor((now - record.storedAt) / 1000));

/**
 * Rebuild a stored response, marked as served from the stale cache:
 * `Cache-Status: steadfetch; hit; ttl=<freshness left in s, negative when stale>; detail=<reason>`
 * (RFC 9211) and `Age`. `response.url` is the stored URL. A HEAD gets the headers without the body.
 */
export const staleResponse = (record: CacheRecord, method: string, reason: StaleReason, now: number): Response => {
	const age = ageOf(record, now);
	const headers = new Headers(record.headers);
	headers.set('age', String(age));
	headers.set('cache-status', `${cacheStatusPrefix} ttl=${record.lifetime - age}; detail=${reason}`);
	const body = method === 'HEAD' || nullBodyStatuses.has(record.status) ? null : record.body.slice(0);
	const response = new Response(body, { status: record.status, statusText: record.statusText, headers });
	Object.defineProperty(response, 'url', { value: record.url });
	return response;
};
