/**
 * steadfetch/tanstack-query (defect hunt, fifteenth round): `queryOptionsFor`'s retries are planned,
 * "each one when the breaker lets a request through". A failure that opened the scope's breaker (a
 * 429 or 503 with `Retry-After`, or the last of `consecutiveFailures`) carries no `retryAfterMs` of
 * its own (ky's `HTTPError`, a network failure): `retryDelay` waits until the breaker lets a request
 * through, not TanStack's 1 s backoff, which spent the retry on a `CircuitOpenError` without I/O.
 */
import { QueryClient } from '@tanstack/query-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { classify, createClient } from '../../src/entries/core.js';
import { queryOptionsFor } from '../../src/entries/tanstack-query.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

let origin: RunningServer;
let flaky = 0;
beforeAll(async () => {
	origin = await serve((request) => {
		const { pathname } = new URL(request.url);
		return pathname === '/flaky' ? (flaky++ === 0 ? new Response('down', { status: 503 }) : Response.json({ ok: true }))
			: pathname === '/limited' ? new Response('slow down', { status: 429, headers: { 'retry-after': '30' } })
			: pathname === '/busy' ? new Response('busy', { status: 503, headers: { 'retry-after': '20' } })
			: pathname === '/dated' ? new Response('busy', { status: 503, headers: { 'retry-after': new Date(Date.now() + 45_000).toUTCString() } })
			: pathname === '/forever' ? new Response('slow down', { status: 429, headers: { 'retry-after': '99999999999' } })
				: pathname === '/down' ? new Response('down', { status: 503 })
					: Response.json({ ok: true });
	});
});
afterAll(async () => origin.close());

/** The query's failure and the delay `retryDelay` gives for TanStack's first retry of it. */
const firstRetry = async (path: string, options: Parameters<typeof breaker>[0] = {}, fetch?: typeof globalThis.fetch) => {
	const api = createClient({ retry: 0, breaker: breaker(options), ...(fetch && { fetch }) });
	const query = queryOptionsFor<unknown>(api, `${origin.url}${path}`);
	const error = await query.queryFn({ signal: new AbortController().signal }).then(() => undefined, (failure: unknown) => failure as Error);
	const delay = query.retryDelay(0, error!);
	const { state } = api.breaker(origin.url);
	api.close();
	// Asked after the client closed (TanStack's timer may outlive it): a number, never a throw (TanStack's fetch would pend for ever).
	expect(typeof query.retryDelay(0, error!)).toBe('number');
	return { code: classify(error).code, state, delay };
};

describe('queryOptionsFor: retryDelay waits for the breaker a failure opened', () => {
	it('a 429 with Retry-After: 30 opened the breaker: the first retry waits about 30 s', async () => {
		const { code, state, delay } = await firstRetry('/limited');
		expect([code, state]).toEqual(['HTTP_429', 'open']);
		// Before: 1000 — TanStack's backoff; its retry then met the open breaker (CircuitOpenError, no I/O).
		expect(delay).toBeGreaterThan(29_000);
		expect(delay).toBeLessThanOrEqual(30_000);
	});

	it('a 503 with Retry-After: 20 opened the breaker: the first retry waits about 20 s', async () => {
		const { code, state, delay } = await firstRetry('/busy');
		expect([code, state]).toEqual(['HTTP_5XX', 'open']);
		expect(delay).toBeGreaterThan(19_000);
		expect(delay).toBeLessThanOrEqual(20_000);
	});

	it('the failure that made the breaker open (consecutiveFailures: 1, openMs 8 000 ± 20 %): the first retry waits for it', async () => {
		const { code, state, delay } = await firstRetry('/down', { consecutiveFailures: 1, openMs: 8_000 });
		expect([code, state]).toEqual(['HTTP_5XX', 'open']);
		expect(delay).toBeGreaterThan(6_000);
		expect(delay).toBeLessThanOrEqual(9_600);
	});

	it('a network failure that made the breaker open: the first retry waits for it', async () => {
		const refused = (async () => Promise.reject(new TypeError('fetch failed'))) as typeof fetch;
		const { code, state, delay } = await firstRetry('/any', { consecutiveFailures: 1, openMs: 8_000 }, refused);
		expect([code, state]).toEqual(['NETWORK', 'open']);
		expect(delay).toBeGreaterThan(6_000);
		expect(delay).toBeLessThanOrEqual(9_600);
	});

	it('a failure that left the breaker closed: TanStack\'s own backoff (1 s, doubling)', async () => {
		const { code, state, delay } = await firstRetry('/down', { consecutiveFailures: 5 });
		expect([code, state, delay]).toEqual(['HTTP_5XX', 'closed', 1_000]);
	});


	it('with TanStack: its one retry goes once the breaker lets a request through, and gets the answer', async () => {
		const api = createClient({ retry: 0, breaker: breaker({ consecutiveFailures: 1, openMs: 2_000 }) });
		const query = queryOptionsFor<unknown>(api, `${origin.url}/flaky`);
		const failures: string[] = [];
		const queryClient = new QueryClient();
		const data = await queryClient.fetchQuery({ queryKey: ['flaky'], ...query, retry: (count, error) => {
			failures.push(classify(error).code);
			return query.retry(count, error);
		} });
		expect(data).toEqual({ ok: true });
		// Before: ['HTTP_5XX', 'CIRCUIT_OPEN'] — the first retry, 1 s later, met the open breaker and was spent without I/O.
		expect(failures).toEqual(['HTTP_5XX']);
		queryClient.clear();
		api.close();
	}, 20_000);
});

describe('queryOptionsFor: retryDelay follows the failed answer\'s Retry-After when no breaker stands for it', () => {
	/** The failure of a query through a client with no breaker, and the delay of TanStack's retry `count`. */
	const unguarded = async (path: string, count = 0) => {
		const api = createClient({ retry: 0 });
		const query = queryOptionsFor<unknown>(api, `${origin.url}${path}`);
		const error = await query.queryFn({ signal: new AbortController().signal }).then(() => undefined, (failure: unknown) => failure as Error);
		api.close();
		return { code: classify(error).code, delay: query.retryDelay(count, error!) };
	};

	it('a 429 with Retry-After: 30 (ky gave up on it): the retry waits 30 s, not TanStack\'s 1 s', async () => {
		// Before: 1000 — the server said 30 s; TanStack's retry came 29 s early.
		expect(await unguarded('/limited')).toEqual({ code: 'HTTP_429', delay: 30_000 });
	});

	it('a 503 with Retry-After: 20; one with an HTTP-date keeps TanStack\'s backoff (only delay-seconds are read there)', async () => {
		expect(await unguarded('/busy', 1)).toEqual({ code: 'HTTP_5XX', delay: 20_000 });
		expect(await unguarded('/dated')).toEqual({ code: 'HTTP_5XX', delay: 1_000 });
	});

	it('a Retry-After no timer can hold waits what one holds (2 147 483 647 ms), never 0', async () => {
		expect(await unguarded('/forever')).toEqual({ code: 'HTTP_429', delay: 2_147_483_647 });
	});

	it('a failure without Retry-After keeps TanStack\'s backoff (1 s doubling, 30 s at most)', async () => {
		expect(await unguarded('/down')).toEqual({ code: 'HTTP_5XX', delay: 1_000 });
		expect(await unguarded('/down', 2)).toEqual({ code: 'HTTP_5XX', delay: 4_000 });
		expect(await unguarded('/down', 9)).toEqual({ code: 'HTTP_5XX', delay: 30_000 });
	});
});
