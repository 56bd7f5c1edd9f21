/** The traffic policies together, round-4 variants: the bulkhead's queue and the rate limiter's time budget. */
import { describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { RateLimitedError, rateLimit } from '../../src/entries/rate-limit.js';
import { InvalidRequestError } from '../../src/entries/core.js';
import { holdingFetch } from '../helpers/holding-fetch.js';
import { ManualClock } from '../helpers/manual-clock.js';

const t0 = 1_700_000_000_000;

describe('bulkhead and rate limit together', () => {
	it('time an attempt spent in the bulkhead\'s queue counts in the rate limiter\'s budget: a wait past its timeout is RateLimitedError at once, never sent late', async () => {
		const clock = new ManualClock(t0);
		const { sent, fetch, release } = holdingFetch('/first', (path) => {
			if (path === '/first') {
				// 800 ms (injected time) pass while the first attempt holds the only slot; the server then says its quota is spent for 500 ms.
				clock.set(t0 + 800);
				return new Response('ok', { headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '0.5' } });
			}

			return new Response('ok');
		});
		const api = createClient({ clock, timeout: 1_000, retry: 0, bulkhead: bulkhead({ maxConcurrent: 1 }), rateLimit: rateLimit(), fetch });
		const first = api.get('https://api.test/first').text();
		// Started at t0 with a 1 s timeout, it queues behind the first for 800 ms: 200 ms of its attempt are left, the quota resets in 500.
		const second = api.get('https://api.test/second').text().catch((error: unknown) => error);
		await new Promise((resolve) => setTimeout(resolve, 0));
		release();
		expect(await first).toBe('ok');
		const outcome = await second;
		expect([outcome instanceof RateLimitedError, sent]).toEqual([true, ['/first']]);
		api.close();
	});
});

describe('bulkhead and rate limit: per call', () => {
	it('{ bulkhead: false } and { rateLimit: false } are typed and turn the policy off for the call; any other value is InvalidRequestError before any I/O', async () => {
		const { sent, fetch, release } = holdingFetch('/hold', () => new Response('ok'));
		const api = createClient({ retry: 0, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 0 }), rateLimit: rateLimit({ perSecond: 0.001, burst: 1 }), fetch });
		const held = api.get('https://api.test/hold').text();
		await vi.waitFor(() => expect(sent).toEqual(['/hold']));
		// The only slot is held and the only token spent: off for the call, it goes at once.
		expect(await api.get('https://api.test/free', { bulkhead: false, rateLimit: false }).text()).toBe('ok');
		for (const options of [{ bulkhead: 'off' }, { rateLimit: 0 }, { bulkhead: true }]) {
			// Before: sent with the policy on (a BulkheadFullError or RateLimitedError, or a request).
			await expect(api.get('https://api.test/wrong', options as never)).rejects.toBeInstanceOf(InvalidRequestError);
		}

		release();
		expect(await held).toBe('ok');
		expect(sent).toEqual(['/hold', '/free']);
		api.close();
	});
});
