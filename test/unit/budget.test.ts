import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { RetryBudget } from '../../src/retry/budget.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

describe('RetryBudget (exact time)', () => {
	it('allows max(minRetries, ratio × first attempts) retries per window, spending each at once', () => {
		const clock = new ManualClock();
		const budget = new RetryBudget({ ratio: 0.1, minRetries: 10, windowMs: 10_000 }, clock);
		for (let index = 0; index < 300; index++) {
			budget.recordFirst('a');
		}

		const decisions = Array.from({ length: 40 }, () => budget.tryRetry('a'));
		expect(decisions.filter((decision) => decision.allowed)).toHaveLength(30);
		expect(decisions[30]).toMatchObject({ allowed: false, retries: 30, limit: 30, firstRefusal: true });
		expect(decisions[31]!.firstRefusal).toBe(false);
	});

	it('minRetries lets a quiet scope retry', () => {
		const clock = new ManualClock();
		const budget = new RetryBudget({ ratio: 0.1, minRetries: 3 }, clock);
		budget.recordFirst('a');
		expect([1, 2, 3, 4].map(() => budget.tryRetry('a').allowed)).toEqual([true, true, true, false]);
	});

	it('scopes are independent', () => {
		const budget = new RetryBudget({ minRetries: 1, ratio: 0 }, new ManualClock());
		expect(budget.tryRetry('a').allowed).toBe(true);
		expect(budget.tryRetry('a').allowed).toBe(false);
		expect(budget.tryRetry('b').allowed).toBe(true);
	});

	it('slides: retries older than windowMs stop counting, bucket by bucket', () => {
		const clock = new ManualClock(0);
		const budget = new RetryBudget({ ratio: 0, minRetries: 2, windowMs: 10_000 }, clock);
		expect(budget.tryRetry('a').allowed).toBe(true); // At 0 ms, bucket 0
		clock.advance(5_000);
		expect(budget.tryRetry('a').allowed).toBe(true); // At 5 000 ms, bucket 5
		expect(budget.tryRetry('a').allowed).toBe(false);
		clock.advance(4_999); // 9 999 ms: both still inside
		expect(budget.tryRetry('a').allowed).toBe(false);
		clock.advance(1); // 10 000 ms: bucket 0 left the window
		expect(budget.tryRetry('a').allowed).toBe(true);
		expect(budget.tryRetry('a').allowed).toBe(false);
	});

	it('firstRefusal fires once per window, and again in the next one', () => {
		const clock = new ManualClock(0);
		const budget = new RetryBudget({ ratio: 0, minRetries: 0, windowMs: 1_000 }, clock);
		expect(budget.tryRetry('a').firstRefusal).toBe(true);
		expect(budget.tryRetry('a').firstRefusal).toBe(false);
		clock.advance(999);
		expect(budget.tryRetry('a').firstRefusal).toBe(false);
		clock.advance(1);
		expect(budget.tryRetry('a').firstRefusal).toBe(true);
	});

	it('firstRefusal does not fire twice for a burst that crosses a window boundary', () => {
		const clock = new ManualClock(900);
		const budget = new RetryBudget({ ratio: 0, minRetries: 0, windowMs: 1_000 }, clock);
		expect(budget.tryRetry('a').firstRefusal).toBe(true);
		clock.advance(100); // Into the next calendar window, 100 ms later.
		expect(budget.tryRetry('a').firstRefusal).toBe(false);
		clock.advance(900); // A whole window after it fired.
		expect(budget.tryRetry('a').firstRefusal).toBe(true);
	});

	it('a clock going backwards neither throws nor grants extra retries', () => {
		const clock = new ManualClock(100_000);
		const budget = new RetryBudget({ ratio: 0, minRetries: 1, windowMs: 10_000 }, clock);
		expect(budget.tryRetry('a').allowed).toBe(true);
		clock.set(99_000);
		expect(budget.tryRetry('a').allowed).toBe(false);
	});

	it.each([
		[{ ratio: -0.1 }, 'retryBudget.ratio', '-0.1'],
		[{ ratio: 1.5 }, 'retryBudget.ratio', '1.5'],
		[{ ratio: Number.NaN }, 'retryBudget.ratio', 'NaN'],
		[{ minRetries: 1.5 }, 'retryBudget.minRetries', '1.5'],
		[{ windowMs: 0 }, 'retryBudget.windowMs', '0'],
		[{ windowMs: Number.POSITIVE_INFINITY }, 'retryBudget.windowMs', 'Infinity'],
	])('rejects %o with a RangeError naming the option and value', (options, name, value) => {
		expect(() => createClient({ retryBudget: options })).toThrow(RangeError);
		expect(() => createClient({ retryBudget: options })).toThrow(name);
		expect(() => createClient({ retryBudget: options })).toThrow(value);
	});
});

describe('retry budget in the client, against a loopback origin in full outage', () => {
	let server: RunningServer;
	let hits = 0;
	beforeAll(async () => {
		server = await serve(() => {
			hits++;
			return new Response('down', { status: 503 });
		});
	});
	afterAll(async () => server.close());

	it('1,000 calls in one window with retry.limit 2 send at most 110 retries, not 2,000', async () => {
		hits = 0;
		const clock = new ManualClock();
		const api = createClient({ clock, store: memoryStore, breaker: false, staleCache: false, retry: { limit: 2, delay: () => 0 } });
		const exhausted: unknown[] = [];
		api.on('budget:exhausted', (event) => exhausted.push(event));
		const results = await Promise.allSettled(Array.from({ length: 1_000 }, async () => api.get(server.url + '/x')));
		expect(results.every((result) => result.status === 'rejected')).toBe(true);
		const stats = api.stats()[server.url]!;
		expect(stats.requests).toBe(1_000);
		expect(stats.retries).toBeLessThanOrEqual(110);
		expect(stats.retries).toBe(100); // Exactly max(10, 0.1 × 1,000)
		expect(hits).toBe(1_000 + stats.retries);
		expect(stats.failures['HTTP_5XX']).toBe(1_000);
		expect(exhausted).toHaveLength(1);
		expect(exhausted[0]).toMatchObject({ type: 'budget:exhausted', scope: server.url, allowed: 100, retries: 100 });
	});

	it('without a budget the same outage sends 2,000 retries (what the budget prevents)', async () => {
		hits = 0;
		const api = createClient({ retryBudget: false, store: memoryStore, breaker: false, staleCache: false, retry: { limit: 2, delay: () => 0 } });
		await Promise.allSettled(Array.from({ length: 1_000 }, async () => api.get(server.url + '/x')));
		expect(hits).toBe(3_000);
	});

	it('a refused retry ends the call with the last attempt error', async () => {
		const api = createClient({ store: memoryStore, breaker: false, staleCache: false, retryBudget: { minRetries: 0, ratio: 0 }, retry: { limit: 2, delay: () => 0 } });
		const error = await api.get(server.url + '/x').catch((error_: unknown) => error_);
		expect((error as { name: string }).name).toBe('HTTPError');
		expect((error as { response: Response }).response.status).toBe(503);
		expect(api.stats()[server.url]).toMatchObject({ retries: 0, retriesRefused: 1 });
	});
});
