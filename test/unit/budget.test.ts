import ky from 'ky';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

	it('anything but options, true or false is a RangeError naming retryBudget (never silently the defaults); true is the defaults', async () => {
		const { createClient: createCore } = await import('../../src/entries/core.js');
		for (const make of [createClient, createCore] as Array<(options: object) => unknown>) {
			for (const value of ['x', 5, null]) {
				expect(() => make({ retryBudget: value }), String(value)).toThrow(/retryBudget/);
			}

			expect(() => make({ retryBudget: true })).not.toThrow();
		}
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
		// No attempt or call deadline: on a busy machine 1,000 loopback calls at once may take seconds, never a timeout here.
		const api = createClient({ clock, store: memoryStore, breaker: false, staleCache: false, timeout: false, totalTimeout: false, retry: { limit: 2, delay: () => 0 } });
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
	}, 90_000);

	it('without a budget the same outage sends 2,000 retries (what the budget prevents)', async () => {
		hits = 0;
		const api = createClient({ retryBudget: false, store: memoryStore, breaker: false, staleCache: false, timeout: false, totalTimeout: false, retry: { limit: 2, delay: () => 0 } });
		await Promise.allSettled(Array.from({ length: 1_000 }, async () => api.get(server.url + '/x')));
		expect(hits).toBe(3_000);
	}, 90_000);

	it('a refused retry ends the call with the last attempt error', async () => {
		const api = createClient({ store: memoryStore, breaker: false, staleCache: false, retryBudget: { minRetries: 0, ratio: 0 }, retry: { limit: 2, delay: () => 0 } });
		const error = await api.get(server.url + '/x').catch((error_: unknown) => error_);
		expect((error as { name: string }).name).toBe('HTTPError');
		expect((error as { response: Response }).response.status).toBe(503);
		expect(api.stats()[server.url]).toMatchObject({ retries: 0, retriesRefused: 1 });
	});
});

/**
 * The budget follows ky (issue 25): it is spent exactly for a retry ky is about to make — by the
 * user's statusCodes, retryOnTimeout, shouldRetry and afterStatusCodes (Retry-After) — never for one
 * ky would not make, and a retry ky would make is refused when the budget is spent.
 */
describe('the retry budget follows ky\'s own decision', () => {
	let origin: RunningServer;
	const hitsOf = new Map<string, number>();
	beforeAll(async () => {
		origin = await serve(async (request) => {
			const { pathname } = new URL(request.url);
			hitsOf.set(pathname, (hitsOf.get(pathname) ?? 0) + 1);
			const [, route, value] = pathname.split('/');
			if (route === 'slow') {
				await new Promise((resolve) => setTimeout(resolve, 300));
				return new Response('late');
			}

			return new Response('no', { status: Number(value), headers: route === 'after' ? { 'retry-after': '0' } : {} });
		});
	});
	afterAll(async () => origin.close());

	const hits = (path: string): number => hitsOf.get(path) ?? 0;
	/** A client whose budget is empty (ratio 0, minRetries 0): any retry ky makes is refused. */
	const spent = (retry: object) => createClient({ store: memoryStore, breaker: false, staleCache: false, retryBudget: { ratio: 0, minRetries: 0 }, retry: { delay: () => 0, ...retry } });
	/** A client with a budget of exactly one retry per window. */
	const one = (retry: object) => createClient({ store: memoryStore, breaker: false, staleCache: false, retryBudget: { ratio: 0, minRetries: 1 }, retry: { delay: () => 0, ...retry } });

	it('a status the user added to statusCodes (409) is a retry ky makes: refused by a spent budget, counted', async () => {
		const api = spent({ limit: 2, statusCodes: [409, 503] });
		for (const status of [409, 503]) {
			await expect(api.get(`${origin.url}/status/${status}`)).rejects.toMatchObject({ name: 'HTTPError' });
			expect(hits(`/status/${status}`)).toBe(1);
		}

		expect(api.stats()[origin.url]).toMatchObject({ retries: 0, retriesRefused: 2 });
	});

	it('a status the user removed from statusCodes, or a timeout with retryOnTimeout: false, spends nothing: the one retry stays for a 503', async () => {
		const api = one({ limit: 1, statusCodes: [503], retryOnTimeout: false });
		await expect(api.get(`${origin.url}/status/500`)).rejects.toMatchObject({ name: 'HTTPError' });
		await expect(api.get(`${origin.url}/slow/a`, { timeout: 50 })).rejects.toMatchObject({ name: 'TimeoutError' });
		expect(hits('/status/500')).toBe(1);
		expect(hits('/slow/a')).toBe(1);
		expect(api.stats()[origin.url]).toMatchObject({ retries: 0, retriesRefused: 0 });
		await expect(api.get(`${origin.url}/status/503/kept`)).rejects.toMatchObject({ name: 'HTTPError' });
		expect(hits('/status/503/kept')).toBe(2); // the budget's one retry was still there
		expect(api.stats()[origin.url]).toMatchObject({ retries: 1, retriesRefused: 0 });
	});

	it('a call\'s own retryOnTimeout and shouldRetry are honoured both ways', async () => {
		const api = one({ limit: 1 });
		await expect(api.get(`${origin.url}/slow/b`, { timeout: 50, retry: { limit: 1, retryOnTimeout: false } })).rejects.toMatchObject({ name: 'TimeoutError' });
		expect(hits('/slow/b')).toBe(1);
		await expect(api.get(`${origin.url}/status/400`, { retry: { limit: 1, shouldRetry: () => false } })).rejects.toMatchObject({ name: 'HTTPError' });
		expect(api.stats()[origin.url]).toMatchObject({ retries: 0, retriesRefused: 0 });
		// shouldRetry: true makes a 400 a retry ky makes: it spends the one token, and the next is refused.
		await expect(api.get(`${origin.url}/status/400`, { retry: { limit: 2, shouldRetry: () => true } })).rejects.toMatchObject({ name: 'HTTPError' });
		expect(hits('/status/400')).toBe(3);
		expect(api.stats()[origin.url]).toMatchObject({ retries: 1, retriesRefused: 1 });
	});

	it('a timeout ky retries (our default retryOnTimeout: true) spends the budget', async () => {
		const api = spent({ limit: 1 });
		await expect(api.get(`${origin.url}/slow/c`, { timeout: 50 })).rejects.toMatchObject({ name: 'TimeoutError' });
		expect(hits('/slow/c')).toBe(1);
		expect(api.stats()[origin.url]).toMatchObject({ retriesRefused: 1 });
	});

	it('ky\'s afterStatusCodes path (429 with Retry-After) spends it too; a 413 without Retry-After, which ky never retries, does not', async () => {
		const api = one({ limit: 2 });
		await expect(api.get(`${origin.url}/status/413`)).rejects.toMatchObject({ name: 'HTTPError' });
		expect(api.stats()[origin.url]).toMatchObject({ retries: 0, retriesRefused: 0 });
		await expect(api.get(`${origin.url}/after/429`)).rejects.toMatchObject({ name: 'HTTPError' });
		expect(hits('/after/429')).toBe(2); // one retry (the budget's), then refused
		expect(api.stats()[origin.url]).toMatchObject({ retries: 1, retriesRefused: 1 });
	});

	it('a retry a beforeRetry hook stops (ky.stop, a Response, a throw) never goes out and spends nothing', async () => {
		const stop = one({ limit: 1, statusCodes: [503] });
		const stopped = await stop.get(`${origin.url}/status/503/stop`, { hooks: { beforeRetry: [() => ky.stop] } });
		expect(stopped).toBeUndefined();
		await expect(stop.get(`${origin.url}/status/503/answered`, { hooks: { beforeRetry: [() => new Response('from the hook')] } })).resolves.toBeInstanceOf(Response);
		await expect(stop.get(`${origin.url}/status/503/thrown`, { hooks: { beforeRetry: [() => {
			throw new Error('no');
		}] } })).rejects.toThrow('no');
		expect([hits('/status/503/stop'), hits('/status/503/answered'), hits('/status/503/thrown')]).toEqual([1, 1, 1]);
		expect(stop.stats()[origin.url]).toMatchObject({ retries: 0, retriesRefused: 0 });
		// The budget's one retry is still there.
		await expect(stop.get(`${origin.url}/status/503/after-stop`)).rejects.toMatchObject({ name: 'HTTPError' });
		expect(hits('/status/503/after-stop')).toBe(2);
		expect(stop.stats()[origin.url]).toMatchObject({ retries: 1, retriesRefused: 0 });
	});

	it('a retry whose delay outlives the call (totalTimeout, the caller\'s abort) spends nothing', async () => {
		// `random: () => 1`: full jitter keeps the whole 5 s delay (a random one could come under the 100 ms left).
		const api = createClient({ store: memoryStore, breaker: false, staleCache: false, random: () => 1, retryBudget: { ratio: 0, minRetries: 1 }, retry: { limit: 1, delay: () => 5_000 } });
		await expect(api.get(`${origin.url}/status/503/total`, { totalTimeout: 100 })).rejects.toMatchObject({ name: 'TimeoutError' });
		const controller = new AbortController();
		const aborted = api.get(`${origin.url}/status/503/abort`, { signal: controller.signal });
		await vi.waitFor(() => {
			expect(hits('/status/503/abort')).toBe(1);
		});
		controller.abort(new Error('left'));
		await expect(aborted).rejects.toThrow('left');
		expect(api.stats()[origin.url]).toMatchObject({ retries: 0, retriesRefused: 0 });
		await expect(api.get(`${origin.url}/status/503/kept-after-delay`, { retry: { limit: 1, delay: () => 0 } })).rejects.toMatchObject({ name: 'HTTPError' });
		expect(hits('/status/503/kept-after-delay')).toBe(2);
	});

	it('a retry forced with ky.retry() is paid for and never refused', async () => {
		const forced = (api: ReturnType<typeof spent>, path: string) => api.get(`${origin.url}${path}`, {
			throwHttpErrors: false,
			hooks: { afterResponse: [({ retryCount }) => retryCount === 0 ? ky.retry() : undefined] },
		});
		const empty = spent({ limit: 1 });
		await expect(forced(empty, '/status/200/forced')).resolves.toBeInstanceOf(Response);
		expect(hits('/status/200/forced')).toBe(2);
		expect(empty.stats()[origin.url]).toMatchObject({ retries: 1, retriesRefused: 0 });
		const single = one({ limit: 1 });
		await forced(single, '/status/200/forced-pays');
		// The forced retry took the one token: ky's next retry is refused.
		await expect(single.get(`${origin.url}/status/503/after-forced`)).rejects.toMatchObject({ name: 'HTTPError' });
		expect(hits('/status/503/after-forced')).toBe(1);
		expect(single.stats()[origin.url]).toMatchObject({ retries: 1, retriesRefused: 1 });
	});

	it('concurrent calls that all asked before any retried: the budget is never overdrawn, each refused call ends with its own last error, counted once', async () => {
		// Every delay a whole 200 ms (`random: () => 1` against full jitter): all 10 first answers are in, and asked, before any retry goes out.
		const api = createClient({ store: memoryStore, breaker: false, staleCache: false, random: () => 1, retryBudget: { ratio: 0, minRetries: 3 }, retry: { limit: 2, delay: () => 200 } });
		const results = await Promise.allSettled(Array.from({ length: 10 }, async (_, index) => api.get(`${origin.url}/status/503/race-${index}`)));
		expect(results.every((result) => result.status === 'rejected' && (result.reason as { name: string }).name === 'HTTPError')).toBe(true);
		const retried = Array.from({ length: 10 }, (_, index) => hits(`/status/503/race-${index}`) - 1);
		expect(retried.reduce((sum, count) => sum + count, 0)).toBe(3);
		// 10 asked, 3 went out; the 7 others refused once each, and the 3 retried ones refused once more after their retry failed.
		expect(api.stats()[origin.url]).toMatchObject({ requests: 10, retries: 3, retriesRefused: 10 });
	});

	it('a retry refused as it goes out ends the call with ky\'s kind of error for the failure before it: NetworkError, TimeoutError', async () => {
		const refuse = async (): Promise<Response> => {
			throw new TypeError('fetch failed');
		};
		const hang = async (input: string | URL | Request): Promise<Response> => new Promise((_resolve, reject) => {
			(input as Request).signal.addEventListener('abort', () => reject((input as Request).signal.reason as Error));
		});
		for (const [fetch, name] of [[refuse, 'NetworkError'], [hang, 'TimeoutError']] as const) {
			const api = createClient({ fetch, timeout: 30, store: memoryStore, breaker: false, staleCache: false, retryBudget: { ratio: 0, minRetries: 1 }, retry: { limit: 1, delay: () => 20 } });
			const results = await Promise.allSettled(Array.from({ length: 4 }, async (_, index) => api.get(`https://api.test/race-${name}-${index}`)));
			expect(results.map((result) => result.status === 'rejected' && (result.reason as Error).name)).toEqual([name, name, name, name]);
			expect(api.stats()['https://api.test']).toMatchObject({ retries: 1, retriesRefused: 3 });
		}
	});
});
