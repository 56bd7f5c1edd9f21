/**
 * steadfetch/tanstack-query and steadfetch/sw (defect hunt, twentieth round): what TanStack's timer and a
 * page are given for what the client (or an app's own code) failed with.
 *
 * - `queryOptionsFor`'s `retryDelay` took an error's `retryAfterMs` as it was: a slow bucket's
 *   `RateLimitedError` (past 2^31 − 1 ms) or an app error's `Infinity` overflowed TanStack's timer, which
 *   fires such a wait at once (the retry spent on the same refusal), and `NaN` fired at once too.
 * - `fetchHandler` read `entryId` of what the call rejected with: a hook that throws `null` or
 *   `undefined` made the page's fetch fail with a TypeError (a network error), where a string got the
 *   worker's `503` with `Steadfetch-Error: UNKNOWN`.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitOpenError, classify, createClient } from '../../src/entries/core.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { queryOptionsFor } from '../../src/entries/tanstack-query.js';

const answering = (async () => Response.json({ ok: true })) as typeof fetch;

/** What `retryDelay` gives for TanStack's retry `count` of an error with `retryAfterMs`. */
const delayFor = (retryAfterMs: unknown, count = 0): number => {
	const api = createClient({ retry: 0, fetch: answering });
	const { retryDelay } = queryOptionsFor(api, 'https://api.example/todos');
	api.close();
	return retryDelay(count, Object.assign(new Error('the app\'s'), { retryAfterMs }));
};

describe('queryOptionsFor: retryDelay is a wait a timer holds', () => {
	it('a slow bucket\'s RateLimitedError (retryAfterMs past 2^31 − 1 ms) waits what a timer holds, not a retry at once', async () => {
		const api = createClient({ retry: 0, rateLimit: rateLimit({ perSecond: 1e-7 }), fetch: answering });
		const query = queryOptionsFor<unknown>(api, 'https://api.example/todos');
		await query.queryFn({ signal: new AbortController().signal });
		const refused = await query.queryFn({ signal: new AbortController().signal }).then(() => undefined, (error: unknown) => error as Error & { retryAfterMs: number });
		api.close();
		expect([classify(refused).code, refused!.retryAfterMs > 2 ** 31]).toEqual(['RATE_LIMITED', true]);
		expect(query.retry(0, refused!)).toBe(true);
		// Before: 9999999979 or so (about 116 days), which TanStack's setTimeout fires at once.
		expect(query.retryDelay(0, refused!)).toBe(2_147_483_647);
	});

	it('an error\'s retryAfterMs of Infinity waits what a timer holds; NaN is none (TanStack\'s backoff); below 0 is 0', () => {
		// Before: Infinity, NaN, -5 000 (each fired at once by TanStack's timer).
		expect(delayFor(Number.POSITIVE_INFINITY)).toBe(2_147_483_647);
		expect([delayFor(Number.NaN), delayFor(Number.NaN, 2)]).toEqual([1_000, 4_000]);
		expect(delayFor(-5_000)).toBe(0);
	});

	it('a retryAfterMs a timer holds is the wait as before (a CircuitOpenError\'s, 0, one of an app\'s error); none or null keeps TanStack\'s backoff', () => {
		const api = createClient({ retry: 0, fetch: answering });
		const { retryDelay } = queryOptionsFor(api, 'https://api.example/todos');
		api.close();
		expect(retryDelay(0, new CircuitOpenError('https://api.example', 12_345))).toBe(12_345);
		expect([delayFor(0), delayFor(2_147_483_647), delayFor(29_000)]).toEqual([0, 2_147_483_647, 29_000]);
		expect([delayFor(undefined), delayFor(null, 1), delayFor(undefined, 40)]).toEqual([1_000, 2_000, 30_000]);
	});
});

describe('fetchHandler: a call that rejects with what is no Error', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
	});

	/** The page's answer when the worker's client fails the call with `thrown` (a hook's throw). */
	const answerFor = async (thrown: unknown) => {
		vi.stubGlobal('location', new URL('https://app.example/sw.js'));
		const api = createClient({ name: `sw-thrown-${Math.random()}`, retry: 0, fetch: answering, hooks: { beforeRequest: [() => {
			throw thrown;
		}] } });
		const handle = fetchHandler(api, { match: () => true });
		let answer: Promise<Response> | undefined;
		handle({ request: new Request('https://app.example/api/todos'), respondWith: (response) => {
			answer = Promise.resolve(response);
		} });
		try {
			return await answer!.then(async (response) => [response.status, response.headers.get('steadfetch-error'), response.headers.get('retry-after'), (await response.json() as { error: string }).error],
				(error: unknown) => ['rejected', String(error)]);
		} finally {
			api.close();
		}
	};

	it('null or undefined: the page gets the worker\'s 503 with Steadfetch-Error: UNKNOWN, never a network error', async () => {
		// Before: ['rejected', "TypeError: Cannot read properties of null (reading 'entryId')"] (and of undefined).
		expect(await answerFor(null)).toEqual([503, 'UNKNOWN', null, 'UNKNOWN']);
		expect(await answerFor(undefined)).toEqual([503, 'UNKNOWN', null, 'UNKNOWN']);
	});

	it('a string, a number and an app\'s Error with retryAfterMs are answered as before (its Retry-After in whole seconds, at least 1)', async () => {
		expect(await answerFor('boom')).toEqual([503, 'UNKNOWN', null, 'UNKNOWN']);
		expect(await answerFor(5)).toEqual([503, 'UNKNOWN', null, 'UNKNOWN']);
		expect(await answerFor(Object.assign(new Error('later'), { retryAfterMs: 2_500 }))).toEqual([503, 'UNKNOWN', '3', 'UNKNOWN']);
		expect(await answerFor(Object.assign(new Error('now'), { retryAfterMs: -3_000 }))).toEqual([503, 'UNKNOWN', '1', 'UNKNOWN']);
	});
});
