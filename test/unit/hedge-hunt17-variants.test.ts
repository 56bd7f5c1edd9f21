/**
 * Defect hunt, seventeenth round (area G, the pipeline and hedge). hedge TSDoc (`delayMs`): "the scope's
 * observed p90 latency (of its last 64 answers, each timed from when its attempt was sent …)": a wait
 * below the hedge for a rate-limit token or a bulkhead slot is no latency of the origin's.
 */
import { describe, expect, it } from 'vitest';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { createClient } from '../../src/entries/core.js';
import { hedge } from '../../src/entries/hedge.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import type { Policy } from '../../src/entries/policy.js';

/** An origin that answers each request after `ms`. */
const slowBy = (ms: number) => (async () => {
	await new Promise((resolve) => setTimeout(resolve, ms));
	return new Response('ok');
}) as typeof globalThis.fetch;

/** The scope's hedge delay now (`stats().hedge.delayMs`). */
const delayOf = (api: { stats(): Record<string, unknown> }): number | undefined => (api.stats()['https://api.test'] as { hedge?: { delayMs: number } } | undefined)?.hedge?.delayMs;

describe('hedge(): each latency sample is timed from when its attempt was sent, not from before a wait below', () => {
	it('a rate limiter\'s wait for a token (12 calls at once, 20 per second, to a 5 ms origin)', async () => {
		const api = createClient({ fetch: slowBy(5), retry: 0, breaker: false, rateLimit: rateLimit({ perSecond: 20, burst: 1 }), hedge: hedge() });
		await Promise.all(Array.from({ length: 12 }, (_, index) => api.get(`https://api.test/${index}`)));
		// before: 503 (the p90 of the waits for a token: 0, 50 … 550 ms)
		expect(delayOf(api)).toBeLessThan(300);
		api.close();
	});

	it('a bulkhead\'s wait for a slot (16 calls at once, one at a time, to a 25 ms origin)', async () => {
		const api = createClient({ fetch: slowBy(25), retry: 0, breaker: false, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 20 }), hedge: hedge() });
		await Promise.all(Array.from({ length: 16 }, (_, index) => api.get(`https://api.test/${index}`)));
		// before: ~375 (the p90 of the waits for the slot)
		expect(delayOf(api)).toBeLessThan(200);
		api.close();
	});

	it('an app\'s layer below it that waits before it sends (300 ms, 10 calls to a 5 ms origin)', async () => {
		const waiting: Policy<'waits'> = {
			slot: 'waits',
			create: () => ({ layer: (next) => async (request, init) => {
				await new Promise((resolve) => setTimeout(resolve, 300));
				return next(request, init);
			} }),
		};
		const api = createClient({ fetch: slowBy(5), retry: 0, breaker: false, hedge: hedge(), waits: waiting } as never);
		await Promise.all(Array.from({ length: 10 }, (_, index) => api.get(`https://api.test/${index}`)));
		// before: ~305
		expect(delayOf(api)).toBeLessThan(200);
		api.close();
	});
});

describe('hedge(): an attempt is hedged `delayMs` after it was sent, not only `delayMs` after it began to wait below', () => {
	it('a call queued for a bulkhead slot, then slow at the origin, gets its hedge once a slot is free', async () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			const path = new URL(request.url).pathname;
			sent.push(path);
			// `/b`'s first attempt hangs (1.5 s), its hedge answers in 10 ms; `/a` and `/c` hold the two slots for 300 ms.
			const first = path === '/b' && sent.filter((one) => one === '/b').length === 1;
			await new Promise((resolve) => setTimeout(resolve, path === '/b' ? (first ? 1500 : 10) : 300));
			return new Response(first ? 'first' : 'hedge');
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, retry: 0, breaker: false, retryBudget: false, bulkhead: bulkhead({ maxConcurrent: 2, maxQueue: 5 }), hedge: hedge({ delayMs: 100 }) });
		const others = Promise.all([api.get('https://api.test/a'), api.get('https://api.test/c')]);
		// before: 'first' (its only hedge was tried at 100 ms, while it waited for a slot: refused, never tried again)
		expect(await api.get('https://api.test/b').text()).toBe('hedge');
		expect(sent.filter((one) => one === '/b')).toHaveLength(2);
		await others;
		api.close();
	});
});
