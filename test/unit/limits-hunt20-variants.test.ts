/**
 * Defect hunt, twentieth round (limits): what a refusal's `retryAfterMs` says against what a caller who waits that
 * long then gets. The injected clock stands still unless a test moves it (each wait is exact); the first call after a
 * server's block is answered when the test lets it.
 */
import { describe, expect, it, vi } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { RateLimitedError, rateLimit } from '../../src/entries/rate-limit.js';
import { ManualClock } from '../helpers/manual-clock.js';

const t0 = 1_700_000_000_000;

/** A gate the test opens: `wait` resolves once `open()` was called. */
const gate = () => {
	let open: () => void = () => undefined;
	const wait = new Promise<void>((resolve) => {
		open = resolve;
	});
	return { wait, open };
};

/**
 * A server-only limiter whose origin answers /first with a spent quota and no limit (`X-RateLimit-Remaining: 0`,
 * `X-RateLimit-Reset: 0.05`: a 50 ms block), /1 (the first call after the block) once `answered` opens, and the others at
 * once; `sent` the paths in order, `waits` each `ratelimit:wait` as [path, waitMs].
 */
const setup = () => {
	const clock = new ManualClock(t0);
	const answered = gate();
	const sent: string[] = [];
	const api = createClient({
		clock, random: () => 0.5, timeout: 5_000, retry: 0, rateLimit: rateLimit(),
		fetch: (async (request: Request) => {
			const path = new URL(request.url).pathname;
			sent.push(path);
			if (path === '/first') {
				return new Response('', { headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '0.05' } });
			}

			if (path === '/1') {
				await answered.wait;
			}

			return new Response('ok');
		}) as typeof fetch,
	});
	const waits: Array<[string, number]> = [];
	api.on('ratelimit:wait', ({ url, waitMs }) => waits.push([new URL(url).pathname, waitMs]));
	return { api, clock, answered, sent, waits };
};

const refusal = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) =>
	error instanceof RateLimitedError ? `${error.code} ${error.retryAfterMs}` : classify(error).code);

describe('rateLimit(): a call refused behind the first call after a server\'s block says how long that call may still hold the scope', () => {
	it('one that waited past its budget: retryAfterMs is what is left of the first call\'s lead, and a call made that much later goes', async () => {
		const { api, clock, answered, sent, waits } = setup();
		expect(await api.get('https://api.test/first').text()).toBe('');
		// /1 waits for the block's reset, then goes first: alone until its answer, at most its own timeout (5 s, to t0 + 5000).
		const first = api.get('https://api.test/1').text();
		await vi.waitFor(() => expect(sent).toEqual(['/first', '/1']), { timeout: 5_000 });
		clock.set(t0 + 1_000);
		// /2 (3 s of budget) waits behind /1 for its answer; its budget spent on the client's clock meanwhile.
		const second = refusal(api.get('https://api.test/2', { timeout: 3_000 }));
		await vi.waitFor(() => expect(waits.map(([path]) => path)).toContain('/2'), { timeout: 5_000 });
		clock.advance(3_000);
		// Before: 'RATE_LIMITED 20' (the look interval): a caller that came back 20 ms later was held again.
		expect(await second).toBe('RATE_LIMITED 1000');
		clock.advance(1_000);
		// A call made retryAfterMs later, /1 still unanswered: its lead over, it goes at once.
		expect(await api.get('https://api.test/3', { timeout: 50 }).text()).toBe('ok');
		answered.open();
		expect(await first).toBe('ok');
		expect(sent).toEqual(['/first', '/1', '/3']);
		api.close();
	});

	it('one whose budget is shorter than the look interval: refused at once with what is left of the lead, never 20 ms', async () => {
		const { api, clock, answered, sent } = setup();
		await api.get('https://api.test/first').text();
		const first = api.get('https://api.test/1').text();
		await vi.waitFor(() => expect(sent).toEqual(['/first', '/1']), { timeout: 5_000 });
		clock.set(t0 + 4_000);
		// Before: 'RATE_LIMITED 20'.
		expect(await refusal(api.get('https://api.test/2', { timeout: 10 }))).toBe('RATE_LIMITED 1000');
		answered.open();
		expect(await first).toBe('ok');
		api.close();
	});
});

describe('rateLimit(): a wait for a token longer than a timer holds (2^31 − 1 ms, about 24.8 days)', () => {
	it('with no time budget (timeout: false, totalTimeout: false): the call waits its whole turn, never sent at once', async () => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		try {
			const clock = new ManualClock(t0);
			const sent: string[] = [];
			// A token every 10^10 ms (about 116 days): the second call's turn is past what a timer holds.
			const api = createClient({
				clock, random: () => 0.5, timeout: false, totalTimeout: false, retry: 0, rateLimit: rateLimit({ perSecond: 1e-7 }),
				fetch: (async (request: Request) => {
					sent.push(new URL(request.url).pathname);
					return new Response('ok');
				}) as typeof fetch,
			});
			const waited = new Promise<number>((resolve) => api.on('ratelimit:wait', ({ waitMs }) => resolve(waitMs)));
			expect(await api.get('https://api.test/1').text()).toBe('ok');
			const second = api.get('https://api.test/2').text().catch((error: unknown) => classify(error).code);
			expect(await waited).toBe(1e10);
			// Before: the timer overflowed (a delay past 2^31 − 1 fires at once) and /2 was sent 116 days early.
			await vi.advanceTimersByTimeAsync(2_147_483_647 + 10);
			expect(sent).toEqual(['/1']);
			await vi.advanceTimersByTimeAsync(1e10);
			expect(await second).toBe('ok');
			expect(sent).toEqual(['/1', '/2']);
			api.close();
		} finally {
			vi.useRealTimers();
		}
	});

	it('a signal aborted in a later part of such a wait: rejected with its reason, no timer left, its token given back', async () => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		try {
			const sent: string[] = [];
			const api = createClient({
				clock: new ManualClock(t0), random: () => 0.5, timeout: false, totalTimeout: false, retry: 0, rateLimit: rateLimit({ perSecond: 1e-7 }),
				fetch: (async (request: Request) => {
					sent.push(new URL(request.url).pathname);
					return new Response('ok');
				}) as typeof fetch,
			});
			const waits: number[] = [];
			api.on('ratelimit:wait', ({ waitMs }) => waits.push(waitMs));
			await api.get('https://api.test/1').text();
			const timers = vi.getTimerCount();
			const controller = new AbortController();
			const reason = new Error('left');
			const second = api.get('https://api.test/2', { signal: controller.signal }).text().catch((error: unknown) => error);
			await vi.waitFor(() => expect(waits).toEqual([1e10]));
			await vi.advanceTimersByTimeAsync(2_147_483_647 + 10);
			controller.abort(reason);
			expect([await second, sent, vi.getTimerCount()]).toEqual([reason, ['/1'], timers]);
			// Its token given back: the next call waits the same turn, not one more.
			void api.get('https://api.test/3').text().catch(() => undefined);
			await vi.waitFor(() => expect(waits).toEqual([1e10, 1e10]));
			api.close();
		} finally {
			vi.useRealTimers();
		}
	});
});
