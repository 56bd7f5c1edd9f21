/** Defect hunt, eighteenth round (limits): a server's word that arrives while calls wait for their token. */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { RateLimitedError, rateLimit } from '../../src/entries/rate-limit.js';
import { serverQuota } from '../../src/rate-limit/headers.js';
import { ManualClock } from '../helpers/manual-clock.js';

const t0 = 1_700_000_000_000;

/**
 * A client whose bucket lets a call go every 100 ms (burst 1) and whose server answers the first request with
 * `first` (status, headers); the clock stays at t0 until a test moves it, so each wait is exact.
 */
const setup = (first: readonly [number, Readonly<Record<string, string>>], options: { timeout?: number; name?: string; share?: boolean } = {}) => {
	const clock = new ManualClock(t0);
	const sent: string[] = [];
	const api = createClient({
		clock, timeout: options.timeout ?? 5_000, retry: 0, ...options.name ? { name: options.name } : {},
		rateLimit: rateLimit({ perSecond: 10, burst: 1, ...options.share ? { share: true } : {} }),
		fetch: (async (request: Request) => {
			sent.push(`${new URL(request.url).pathname} @${clock.now() - t0}`);
			return sent.length === 1 ? new Response('first', { status: first[0], headers: first[1] }) : new Response('ok');
		}) as typeof fetch,
	});
	const waits: Array<[number, string]> = [];
	api.on('ratelimit:wait', ({ waitMs, reason }) => waits.push([waitMs, reason]));
	return { api, clock, sent, waits };
};

describe('rate limit: a call waiting for its bucket token when the server says its quota is spent', () => {
	// Retry-After takes whole seconds: 1 s there, 0.5 s elsewhere.
	for (const [said, first, resetMs] of [
		['RateLimit: limit=10, remaining=0, reset=0.5', [200, { ratelimit: 'limit=10, remaining=0, reset=0.5' }], 500],
		['RateLimit structured form', [200, { ratelimit: '"default";r=0;t=0.5', 'ratelimit-policy': '"default";q=10;w=1' }], 500],
		['X-RateLimit-Remaining: 0 + X-RateLimit-Reset', [200, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '0.5' }], 500],
		['a 429 with Retry-After', [429, { 'retry-after': '1' }], 1_000],
	] as const) {
		it(`${said} in the answer to an earlier call: the waiting call is not sent at its token's time, it waits for the reset`, async () => {
			const { api, clock, sent, waits } = setup(first);
			const one = api.get('https://api.test/1').text().catch((error: unknown) => error);
			const two = api.get('https://api.test/2').text();
			await one;
			// The second call waits 100 ms for the bucket; the server's reset is learnt meanwhile: it waits again, for that (before: sent).
			await expect.poll(() => waits.length + sent.length, { timeout: 3_000 }).toBeGreaterThan(2);
			expect([sent, waits]).toEqual([['/1 @0'], [[100, 'bucket'], [resetMs, 'server']]]);
			clock.set(t0 + resetMs);
			expect(await two).toBe('ok');
			expect(sent).toEqual(['/1 @0', `/2 @${resetMs}`]);
			api.close();
		});
	}

	it('a reset past what is left of the waiting call\'s timeout: RateLimitedError as it wakes, nothing sent, never sent late', async () => {
		const { api, sent, waits } = setup([200, { ratelimit: 'limit=10, remaining=0, reset=30' }], { timeout: 1_000 });
		const one = api.get('https://api.test/1').text();
		const two = api.get('https://api.test/2').text().catch((error: unknown) => error);
		expect(await one).toBe('first');
		const error = await two;
		expect([error instanceof RateLimitedError, (error as RateLimitedError).retryAfterMs, sent, waits]).toEqual([true, 30_000, ['/1 @0'], [[100, 'bucket']]]);
		api.close();
	});

	it('another tab\'s word (share) that the quota is spent reaches a call already waiting for its token', async () => {
		const name = `rl-hunt18-${Math.random()}`;
		const teller = setup([200, { ratelimit: 'limit=10, remaining=0, reset=0.5' }], { name, share: true });
		const { api, clock, sent, waits } = setup([200, {}], { name, share: true });
		await api.get('https://api.test/0').text();
		const waiting = api.get('https://api.test/1').text();
		await expect.poll(() => waits).toHaveLength(1);
		await teller.api.get('https://api.test/told').text();
		await expect.poll(() => waits.length + sent.length, { timeout: 3_000 }).toBeGreaterThan(2);
		expect([sent, waits]).toEqual([['/0 @0'], [[100, 'bucket'], [500, 'server']]]);
		clock.set(t0 + 500);
		expect(await waiting).toBe('ok');
		expect(sent).toEqual(['/0 @0', '/1 @500']);
		api.close();
		teller.api.close();
	});

	it('a server\'s word that says requests are left, or a spent quota that resets before the call\'s time, leaves the waiting call\'s turn as it was', async () => {
		for (const headers of [{ ratelimit: 'limit=10, remaining=5, reset=2' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '0.05' }]) {
			const { api, sent, waits } = setup([200, headers]);
			const one = api.get('https://api.test/1').text();
			const two = api.get('https://api.test/2').text();
			expect(await Promise.all([one, two])).toEqual(['first', 'ok']);
			expect([sent, waits]).toEqual([['/1 @0', '/2 @0'], [[100, 'bucket']]]);
			api.close();
		}
	});
});

describe('rate limit: calls waiting for their token when the server says how many requests it has left', () => {
	it('remaining=1 said while two calls wait for the bucket: the first of them goes, the second waits for the reset (here past its timeout: RateLimitedError, not sent)', async () => {
		const { api, sent, waits } = setup([200, { ratelimit: 'limit=10, remaining=1, reset=30' }]);
		const one = api.get('https://api.test/1').text();
		const two = api.get('https://api.test/2').text();
		const three = api.get('https://api.test/3').text().catch((error: unknown) => error);
		expect(await one).toBe('first');
		expect(await two).toBe('ok');
		const error = await three;
		expect([error instanceof RateLimitedError, (error as RateLimitedError).retryAfterMs, sent, waits]).toEqual([true, 30_000, ['/1 @0', '/2 @0'], [[100, 'bucket'], [200, 'bucket']]]);
		api.close();
	});

	it('remaining=2 said while two calls wait: both go at their token\'s time, and the next call waits for the reset', async () => {
		const { api, sent, waits } = setup([200, { ratelimit: 'limit=10, remaining=2, reset=30' }]);
		const calls = [1, 2, 3].map(async (index) => api.get(`https://api.test/${index}`).text());
		expect(await Promise.all(calls)).toEqual(['first', 'ok', 'ok']);
		const error = await api.get('https://api.test/4').catch((error_: unknown) => error_);
		expect([error instanceof RateLimitedError, sent, waits]).toEqual([true, ['/1 @0', '/2 @0', '/3 @0'], [[100, 'bucket'], [200, 'bucket']]]);
		api.close();
	});
});

describe('rate limit: X-RateLimit-* sent twice (by the origin and a gateway: one comma-joined value)', () => {
	const quota = (headers: Record<string, string>, status = 200) => serverQuota(new Response('', { status, headers }), t0);

	it('is read whole, as a RateLimit field that lists several policies: the n-th remaining with the n-th reset, the most restrictive pair kept', () => {
		expect(quota({ 'x-ratelimit-remaining': '0, 0', 'x-ratelimit-reset': '5, 5' })).toEqual({ remaining: 0, resetMs: 5_000 });
		expect(quota({ 'x-ratelimit-remaining': '57, 0', 'x-ratelimit-reset': '2, 30' })).toEqual({ remaining: 0, resetMs: 30_000 });
		expect(quota({ 'x-ratelimit-remaining': '0, 57', 'x-ratelimit-reset': `${t0 / 1000 + 30}, 2` })).toEqual({ remaining: 0, resetMs: 30_000 });
		expect(quota({ 'x-ratelimit-remaining': '9, 3', 'x-ratelimit-reset': '60, 10' })).toEqual({ remaining: 3, resetMs: 10_000 });
		// One reset for two remaining values: it is each one's.
		expect(quota({ 'x-ratelimit-remaining': '9, 0', 'x-ratelimit-reset': '10' })).toEqual({ remaining: 0, resetMs: 10_000 });
		// One value as before; a malformed one among them is nothing said (garbage, negative, empty).
		expect(quota({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '5' })).toEqual({ remaining: 0, resetMs: 5_000 });
		for (const [remaining, reset] of [['0, abc', '5, 5'], ['0, -1', '5'], ['0', '5, -5'], ['0, ', '5'], ['0', '']]) {
			expect(quota({ 'x-ratelimit-remaining': remaining!, 'x-ratelimit-reset': reset! }), `${remaining} / ${reset}`).toBeUndefined();
		}
	});

	it('in the client: a spent quota in one of the two values holds the scope until its reset', async () => {
		const { api, sent } = setup([200, { 'x-ratelimit-remaining': '41, 0', 'x-ratelimit-reset': '60, 30' }], { timeout: 1_000 });
		await api.get('https://api.test/1').text();
		const error = await api.get('https://api.test/2').catch((error_: unknown) => error_);
		expect([error instanceof RateLimitedError, (error as RateLimitedError).retryAfterMs, sent]).toEqual([true, 30_000, ['/1 @0']]);
		api.close();
	});
});

describe('rate limit: calls waiting for a server\'s block (no perSecond) when its limit is known', () => {
	/**
	 * A server-only limiter (no `perSecond`) whose server answers the first request with `first`, the others with nothing
	 * said; the clock stays at t0, so each wait is exact.
	 */
	const serverOnly = (first: Readonly<Record<string, string>>, timeout = 5_000) => {
		const clock = new ManualClock(t0);
		const sent: string[] = [];
		const api = createClient({
			clock, timeout, retry: 0, rateLimit: rateLimit(),
			fetch: (async (request: Request) => {
				sent.push(new URL(request.url).pathname);
				return new Response('ok', { headers: sent.length === 1 ? first : {} });
			}) as typeof fetch,
		});
		const waits: Array<[number, string]> = [];
		api.on('ratelimit:wait', ({ waitMs, reason }) => waits.push([waitMs, reason]));
		return { api, clock, sent, waits };
	};

	it('serverQuota reads the kept policy\'s limit and window: RateLimit-Policy\'s q and w, the first form\'s limit, X-RateLimit-Limit', () => {
		const quota = (headers: Record<string, string>) => serverQuota(new Response('', { headers }), t0);
		expect(quota({ ratelimit: 'limit=10, remaining=0, reset=2', 'ratelimit-policy': '10;w=2' })).toEqual({ remaining: 0, resetMs: 2_000, limit: 10, windowMs: 2_000 });
		expect(quota({ ratelimit: 'limit=10, remaining=0, reset=2' })).toEqual({ remaining: 0, resetMs: 2_000, limit: 10 });
		expect(quota({ ratelimit: '"default";r=0;t=2', 'ratelimit-policy': '"default";q=10;w=2' })).toEqual({ remaining: 0, resetMs: 2_000, limit: 10, windowMs: 2_000 });
		expect(quota({ ratelimit: '"burst";r=0;t=2, "daily";r=500;t=86400', 'ratelimit-policy': '"burst";q=10;w=5, "daily";q=1000;w=86400' })).toEqual({ remaining: 0, resetMs: 2_000, limit: 10, windowMs: 5_000 });
		expect(quota({ ratelimit: '"default";r=0;t=2' })).toEqual({ remaining: 0, resetMs: 2_000 });
		expect(quota({ ratelimit: '"default";r=0;t=2', 'ratelimit-policy': '"default";q=abc;w=2' })).toEqual({ remaining: 0, resetMs: 2_000, windowMs: 2_000 });
		expect(quota({ 'x-ratelimit-limit': '60, 10', 'x-ratelimit-remaining': '41, 0', 'x-ratelimit-reset': '60, 30' })).toEqual({ remaining: 0, resetMs: 30_000, limit: 10 });
	});

	const outcome = async (calls: Array<Promise<unknown>>) => (await Promise.allSettled(calls)).map((result) =>
		result.status === 'fulfilled' ? result.value : `${(result.reason as Error).name} ${(result.reason as RateLimitedError).retryAfterMs}`);

	it('limit=10, remaining=0, reset + RateLimit-Policy 10;w: 20 waiting calls: 10 go at the reset, the 10 others a window later, one more past its budget is RateLimitedError at once', async () => {
		const { api, sent, waits } = serverOnly({ ratelimit: 'limit=10, remaining=0, reset=0.2', 'ratelimit-policy': '10;w=0.3' }, 700);
		await api.get('https://api.test/first').text();
		const calls = Array.from({ length: 21 }, async (_, index) => api.get(`https://api.test/${index}`).text());
		// Before: all 21 waited 200 ms and were sent at the reset together.
		await expect.poll(() => waits.length + sent.length).toBeGreaterThan(20);
		expect(waits).toEqual([...Array.from({ length: 10 }, () => [200, 'server']), ...Array.from({ length: 10 }, () => [500, 'server'])]);
		expect(await outcome(calls)).toEqual([...Array.from({ length: 20 }, () => 'ok'), 'RateLimitedError 800']);
		expect(sent).toHaveLength(21);
		api.close();
	});

	it('the limit in any form: RateLimit-Policy\'s quota (structured form), X-RateLimit-Limit (its window the reset\'s length)', async () => {
		for (const [first, expected] of [
			[{ ratelimit: '"default";r=0;t=0.2', 'ratelimit-policy': '"default";q=3;w=0.3' }, [200, 200, 200, 500, 500]],
			[{ 'x-ratelimit-limit': '3', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '0.2' }, [200, 200, 200, 400, 400]],
			// Two requests left of 3, both spent: the next ones wait for the reset, 3 a window.
			[{ ratelimit: 'limit=3, remaining=0, reset=0.2', 'ratelimit-policy': '3;w=0.3' }, [200, 200, 200, 500, 500]],
		] as const) {
			const { api, sent, waits } = serverOnly(first);
			await api.get('https://api.test/first').text();
			const calls = Array.from({ length: 5 }, async (_, index) => api.get(`https://api.test/${index}`).text());
			await expect.poll(() => waits).toHaveLength(5);
			expect(waits.map(([waitMs]) => waitMs), JSON.stringify(first)).toEqual(expected);
			expect(await outcome(calls)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
			expect(sent).toHaveLength(6);
			api.close();
		}
	});

	it('requests left said, then spent: the calls after them wait for the reset, no more than the limit a window', async () => {
		const { api, waits } = serverOnly({ ratelimit: 'limit=2, remaining=1, reset=0.2', 'ratelimit-policy': '2;w=0.3' });
		await api.get('https://api.test/first').text();
		const calls = Array.from({ length: 4 }, async (_, index) => api.get(`https://api.test/${index}`).text());
		await expect.poll(() => waits).toHaveLength(3);
		expect(waits).toEqual([[200, 'server'], [200, 'server'], [500, 'server']]);
		expect(await outcome(calls)).toEqual(['ok', 'ok', 'ok', 'ok']);
		api.close();
	});

	it('a waiting call that aborts gives its place at the reset back: the next call takes it', async () => {
		const { api, waits } = serverOnly({ ratelimit: 'limit=2, remaining=0, reset=0.2', 'ratelimit-policy': '2;w=0.3' });
		await api.get('https://api.test/first').text();
		const controller = new AbortController();
		const aborted = api.get('https://api.test/a', { signal: controller.signal }).text().catch((error: unknown) => (error as Error).name);
		const kept = api.get('https://api.test/b').text();
		await expect.poll(() => waits).toHaveLength(2);
		controller.abort();
		expect(await aborted).toBe('AbortError');
		const late = api.get('https://api.test/c').text();
		const later = api.get('https://api.test/d').text();
		await expect.poll(() => waits).toHaveLength(4);
		expect(waits.map(([waitMs]) => waitMs)).toEqual([200, 200, 200, 500]);
		expect(await Promise.all([kept, late, later])).toEqual(['ok', 'ok', 'ok']);
		api.close();
	});

	it('without a limit said (a 429\'s Retry-After alone), every waiting call still goes (the first at the reset, the others once it is answered: rate-limit-hunt19-variants)', async () => {
		const clock = new ManualClock(t0);
		let count = 0;
		const api = createClient({
			clock, timeout: 5_000, retry: 0, rateLimit: rateLimit(),
			fetch: (async () => ++count === 1 ? new Response('', { status: 429, headers: { 'retry-after': '1' } }) : new Response('ok')) as typeof fetch,
		});
		const waits: number[] = [];
		api.on('ratelimit:wait', ({ waitMs }) => waits.push(waitMs));
		await api.get('https://api.test/first').catch(() => undefined);
		const calls = [1, 2, 3].map(async (index) => api.get(`https://api.test/${index}`).text());
		await expect.poll(() => waits).toHaveLength(3);
		expect(waits).toEqual([1_000, 1_000, 1_000]);
		expect(await Promise.all(calls)).toEqual(['ok', 'ok', 'ok']);
		api.close();
	});
});
