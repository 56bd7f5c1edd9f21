/**
 * Server delays (defect hunt, twenty-fourth round): ky waits at most 2^31 − 1 ms before a retry (`maxSafeTimeout`:
 * `Math.min(delay, maxSafeTimeout)`), whatever a `Retry-After` says with `maxRetryAfter: Infinity`. The delay the request
 * context's deadline and the breaker read as ky's (`serverDelay`) must be the one ky waits.
 */
import ky, { type HTTPError } from 'ky';
import { describe, expect, it } from 'vitest';
import { serverDelay } from '../../src/core/server-delay.js';

/** ky's HTTPError for a 429 or 503 answered with `headers`, under `maxRetryAfter`. */
const errorOf = async (status: number, headers: Record<string, string>, maxRetryAfter?: number): Promise<HTTPError> =>
	ky('https://api.test/a', { retry: { limit: 0, ...maxRetryAfter === undefined ? {} : { maxRetryAfter } }, fetch: async () => new Response('later', { status, headers }) })
		.then(() => {
			throw new Error('answered');
		}, (error: HTTPError) => error);

describe('serverDelay: what ky waits, never more than a timer can', () => {
	it('a Retry-After of 30 days with no maxRetryAfter is ky\'s 2^31 − 1 ms', async () => {
		const days30 = String(30 * 24 * 3600);
		// Before: 2,592,000,000 ms, 30 days, where ky waits 24.8.
		expect(serverDelay(await errorOf(429, { 'retry-after': days30 }))).toBe(2_147_483_647);
		expect(serverDelay(await errorOf(503, { 'retry-after': days30 }, Number.POSITIVE_INFINITY))).toBe(2_147_483_647);
		// An HTTP date as far ahead, and a reset header's epoch seconds.
		const far = new Date(Date.now() + 40 * 24 * 3600 * 1000).toUTCString();
		expect(serverDelay(await errorOf(429, { 'retry-after': far }))).toBe(2_147_483_647);
		expect(serverDelay(await errorOf(429, { 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 40 * 24 * 3600) }))).toBe(2_147_483_647);
	});

	it('below the bound, and under a smaller maxRetryAfter, the delay is as before', async () => {
		expect(serverDelay(await errorOf(429, { 'retry-after': '5' }))).toBe(5_000);
		expect(serverDelay(await errorOf(429, { 'retry-after': String(30 * 24 * 3600) }, 60_000))).toBe(60_000);
		expect(serverDelay(await errorOf(429, {}))).toBeUndefined();
	});
});
