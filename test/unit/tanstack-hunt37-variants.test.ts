/**
 * steadfetch/tanstack-query (defect hunt, thirty-seventh round).
 *
 * - `queryOptionsFor` with a client whose `clock` is injected: the breaker's `reopensAt` is that clock's time, yet
 *   `retryDelay` and a stale answer's `retryAfterMs` took it from `Date.now()`: TanStack retried at once (0 ms, the
 *   retry spent on the open breaker's refusal) and `StaleAnswerError.retryAfterMs` was some 10¹² ms off.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/index.js';
import { queryOptionsFor, StaleAnswerError } from '../../src/entries/tanstack-query.js';
import { ManualClock } from '../helpers/manual-clock.js';

describe('queryOptionsFor: the breaker\'s wait is read on the client\'s own clock', () => {
	it('a client whose clock is injected: retryDelay and a stale answer\'s retryAfterMs are the time until the breaker lets a request through', async () => {
		const clock = new ManualClock(1_000_000);
		let down = false;
		const fetch = (async () => down ? new Response('busy', { status: 503, headers: { 'retry-after': '30' } }) : Response.json({ id: 1 })) as typeof globalThis.fetch;
		const api = createClient({ clock, name: `tq37-${Math.random()}`, retry: 0, breaker: { consecutiveFailures: 1 }, fetch });
		try {
			const options = queryOptionsFor<unknown>(api, 'https://api.test/x');
			const signal = new AbortController().signal;
			expect(await options.queryFn({ signal })).toEqual({ id: 1 });
			down = true;
			// The 503 opened the breaker (Retry-After: 30); its copy answered in the origin's place.
			const failure = await options.queryFn({ signal }).then(() => undefined, (error: unknown) => error);
			expect([(failure as StaleAnswerError).reason, api.breaker('https://api.test/x').state]).toEqual(['http-5xx', 'open']);
			clock.advance(10_000);
			const stale = await options.queryFn({ signal }).then(() => undefined, (error: unknown) => error as StaleAnswerError);
			expect(stale).toBeInstanceOf(StaleAnswerError);
			expect(stale!.reason).toBe('circuit-open');
			// Before: about -1.7 × 10¹² (the breaker's reopensAt, on the injected clock, less Date.now()).
			expect(stale!.retryAfterMs).toBeGreaterThan(10_000);
			expect(stale!.retryAfterMs).toBeLessThanOrEqual(20_000);
			// Before: 0 (TanStack's retry at once, refused by the open breaker).
			const delay = options.retryDelay(0, stale!);
			expect(delay).toBeGreaterThan(10_000);
			expect(delay).toBeLessThanOrEqual(20_000);
			// A failure with no wait of its own: the breaker's, on the same clock.
			const plain = new Error('boom');
			expect(options.retryDelay(0, plain)).toBeGreaterThan(10_000);
			expect(options.retryDelay(0, plain)).toBeLessThanOrEqual(20_000);
		} finally {
			api.close();
		}
	});
});
