/**
 * Defect hunt, seventeenth round: retries past the time budget. A server's `Retry-After` (or another
 * header ky reads a retry's delay from) that puts the retry past the request context's deadline
 * (`deadlineHeader`): the retry is not made and the call ends with its last attempt's error at once,
 * not when the deadline comes (API.md "Request contexts": "a retry that would start with less than 50 ms
 * left is not made (the call ends with its last attempt's error)").
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { createClient as preset } from '../../src/entries/index.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { bulkhead } from '../../src/entries/bulkhead.js';

const fresh = () => ({ waitUntil: () => undefined });
const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);
const inSeconds = (ms: number) => new Date(Math.ceil((Date.now() + ms) / 1000) * 1000).toUTCString();

/** An origin that answers every attempt with `status` and `headers`, counting them. */
const origin = (status: number, headers: () => Record<string, string>) => {
	const sent: string[] = [];
	const fetch = (async (request: Request) => {
		sent.push(request.url);
		return new Response('not now', { status, headers: headers() });
	}) as typeof globalThis.fetch;

	return { sent, fetch };
};

/** The call of a request context whose deadline is `ms` away, timed. */
const timed = async (api: ReturnType<typeof createClient>, ms: number, options?: Record<string, unknown>) => {
	const here = api.withContext(fresh(), { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': String(ms) } }) });
	const started = performance.now();
	const got = await code(here.get('https://api.test/item', options));
	return { got, tookMs: performance.now() - started };
};

describe('a retry whose server-given delay passes the request\'s deadline', () => {
	const cases: Array<[string, number, () => Record<string, string>]> = [
		['429, Retry-After: 100 (seconds)', 429, () => ({ 'retry-after': '100' })],
		['503, Retry-After: 100', 503, () => ({ 'retry-after': '100' })],
		['429, Retry-After as an HTTP-date 100 s ahead', 429, () => ({ 'retry-after': inSeconds(100_000) })],
		['429, RateLimit-Reset: 100 (no Retry-After)', 429, () => ({ 'ratelimit-reset': '100' })],
		['429, X-RateLimit-Reset in epoch seconds 100 s ahead', 429, () => ({ 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 100) })],
		['429, X-RateLimit-Retry-After: 100', 429, () => ({ 'x-ratelimit-retry-after': '100' })],
		['503, Retry-After: 10 with the deadline 3 s away (a wait ky would not cap: under maxRetryAfter)', 503, () => ({ 'retry-after': '10' })],
		['413, Retry-After: 100 (ky retries a 413 only with such a header)', 413, () => ({ 'retry-after': '100' })],
		['429, X-Rate-Limit-Reset in epoch seconds 100 s ahead', 429, () => ({ 'x-rate-limit-reset': String(Math.ceil(Date.now() / 1000) + 100) })],
	];
	it.each(cases)('%s: not made, the call ends with that answer at once, not at the deadline', async (_, status, headers) => {
		const { sent, fetch } = origin(status, headers);
		const api = createClient({ fetch, deadlineHeader: 'request-timeout-ms', retryBudget: false });
		const { got, tookMs } = await timed(api, 3_000);
		// Before: the same code, but ~3 000 ms later (ky waited out the deadline and gave the retry up).
		expect([got, sent.length, tookMs < 1_500]).toEqual([status === 429 ? 'HTTP_429' : status === 413 ? 'HTTP_4XX' : 'HTTP_5XX', 1, true]);
		api.close();
	});

	it('the preset (breaker on): the same, at once', async () => {
		const { sent, fetch } = origin(429, () => ({ 'retry-after': '100' }));
		const api = preset({ fetch, deadlineHeader: 'request-timeout-ms', retryBudget: false });
		const { got, tookMs } = await timed(api as unknown as ReturnType<typeof createClient>, 3_000);
		expect([got, sent.length, tookMs < 1_500]).toEqual(['HTTP_429', 1, true]);
		api.close();
	});

	it('a retry that would start with less than 50 ms left (Retry-After: 2, the deadline 2 040 ms away): not made, at once', async () => {
		const { sent, fetch } = origin(503, () => ({ 'retry-after': '2' }));
		const api = createClient({ fetch, deadlineHeader: 'request-timeout-ms', retryBudget: false });
		const { got, tookMs } = await timed(api, 2_040);
		expect([got, sent.length, tookMs < 1_500]).toEqual(['HTTP_5XX', 1, true]);
		api.close();
	});
});

describe('a retry ky makes in time is still made (ky\'s delay is what counts, not the header)', () => {
	const cases: Array<[string, number, () => Record<string, string>, Record<string, unknown>]> = [
		['Retry-After: 1 within a 3 s deadline', 503, () => ({ 'retry-after': '1' }), {}],
		['a 500 with Retry-After: 100 (not one of afterStatusCodes: ky\'s own backoff)', 500, () => ({ 'retry-after': '100' }), {}],
		['retry.maxRetryAfter: 200 caps a Retry-After: 100', 429, () => ({ 'retry-after': '100' }), { retry: { limit: 1, maxRetryAfter: 200 } }],
		['the user\'s shouldRetry says true (ky\'s backoff, not the header)', 429, () => ({ 'retry-after': '100' }), { retry: { limit: 1, shouldRetry: () => true } }],
		['a malformed Retry-After (ky\'s own backoff)', 429, () => ({ 'retry-after': 'soon' }), {}],
		['X-RateLimit-Reset in epoch seconds already past', 429, () => ({ 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) - 10) }), {}],
	];
	it.each(cases)('%s: retried', async (_, status, headers, options) => {
		const { sent, fetch } = origin(status, headers);
		const api = createClient({ fetch, deadlineHeader: 'request-timeout-ms', retryBudget: false, retry: { limit: 1 } });
		const { got } = await timed(api, 3_000, options);
		expect([got, sent.length]).toEqual([status === 429 ? 'HTTP_429' : 'HTTP_5XX', 2]);
		api.close();
	});
});

describe('rateLimit(): what is left of the call\'s totalTimeout counts from the call\'s start (ky\'s), not from its first attempt', () => {
	/** A `beforeRequest` hook that takes `ms` before the first attempt (an app fetching a token of its own, say). */
	const slowHook = (ms: number) => ({ beforeRequest: [async () => {
		await new Promise((resolve) => setTimeout(resolve, ms));
	}] });
	const timedCode = async (promise: Promise<unknown>) => {
		const started = performance.now();
		const got = await code(promise);
		return { got, tookMs: performance.now() - started };
	};

	it('its own bucket: a hook took 1.5 s of a 3 s totalTimeout and the next token is 2.5 s away: RATE_LIMITED at once, not TIMEOUT at 3 s', async () => {
		const { sent, fetch } = origin(200, () => ({}));
		const api = createClient({ fetch, totalTimeout: 3_000, rateLimit: rateLimit({ perSecond: 0.25 }) });
		await api.get('https://api.test/first').text();
		const { got, tookMs } = await timedCode(api.get('https://api.test/second', { hooks: slowHook(1_500) }));
		// Before: ['TIMEOUT', 1, false] (~3 000 ms: the limiter took 3 s to be left at the first attempt and began a 2.5 s wait).
		expect([got, sent.length, tookMs < 2_500]).toEqual(['RATE_LIMITED', 1, true]);
		api.close();
	});

	it('the server\'s spent budget (X-RateLimit-Remaining: 0, reset 4 s): the same', async () => {
		let answered = 0;
		const { sent, fetch } = origin(200, () => (answered++ === 0 ? { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '4' } : {}));
		const api = createClient({ fetch, totalTimeout: 3_000, rateLimit: rateLimit() });
		await api.get('https://api.test/first').text();
		const { got, tookMs } = await timedCode(api.get('https://api.test/second', { hooks: slowHook(1_500) }));
		expect([got, sent.length, tookMs < 2_500]).toEqual(['RATE_LIMITED', 1, true]);
		api.close();
	});

	it('a wait that fits what is left after the hook still waits and goes', async () => {
		const { sent, fetch } = origin(200, () => ({}));
		const api = createClient({ fetch, totalTimeout: 3_000, rateLimit: rateLimit({ perSecond: 1 }) });
		await api.get('https://api.test/first').text();
		// The next token is 1 s away; the hook takes 0.3 s of the 3 s: the ~0.7 s wait fits.
		expect(await code(api.get('https://api.test/second', { hooks: slowHook(300) }))).toBe('OK');
		expect(sent).toHaveLength(2);
		api.close();
	});
});

describe('bulkhead(): the slot\'s deadline counts what is left of the call\'s totalTimeout from the call\'s start (ky\'s), not from its first attempt', () => {
	it('a beforeRequest hook took 1 s of a 1.5 s totalTimeout and the attempt never settles: its slot is free at the call\'s end', async () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(new URL(request.url).pathname);
			// An app's fetch that ignores its signal: only the slot's deadline frees the slot.
			return new URL(request.url).pathname === '/deaf' ? new Promise<Response>(() => undefined) : new Response('ok');
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, retry: 0, totalTimeout: 1_500, bulkhead: bulkhead({ maxConcurrent: 1 }) });
		const hooks = { beforeRequest: [async () => {
			await new Promise((resolve) => setTimeout(resolve, 1_000));
		}] };
		expect(await code(api.get('https://api.test/deaf', { hooks }))).toBe('TIMEOUT');
		const started = performance.now();
		expect(await code(api.get('https://api.test/next'))).toBe('OK');
		// Before: the slot was held to ~2 500 ms (1.5 s from the first attempt, 1 s after the call's start): the next call waited ~1 000 ms.
		expect(performance.now() - started).toBeLessThan(600);
		expect(sent).toEqual(['/deaf', '/next']);
		api.close();
	}, 15_000);
});
