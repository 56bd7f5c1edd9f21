/**
 * Defect hunt, thirtieth round (the pipeline: a call's per-run state, the rate limiter, the retry budget).
 * Neighbours of the known defect class: state of one run of a call read for another run's attempt (two runs of ky at
 * once), and what an attempt took (a token, a retry's credit) kept or lost when it leaves without I/O.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { failover } from '../../src/entries/failover.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import type { Policy, PolicyContext, PolicyParts } from '../../src/entries/policy.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { until } from './outbox-helpers.js';

const t0 = 1_700_000_000_000;

/** An app's policy for `slot` whose create() gives `parts` (made with the context when a function). */
const mine = (slot: string, parts: PolicyParts | ((context: PolicyContext) => PolicyParts) = {}): Policy => ({
	slot,
	create: (context: PolicyContext) => (typeof parts === 'function' ? parts(context) : parts),
});

const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);

describe('the retry budget: each run\'s first attempt earns its scope\'s share as it goes out (two runs of one call at once)', () => {
	it('two runs to a mirror at once (an app\'s wrapper), the first held below until the second retried: both earn', async () => {
		const sent: string[] = [];
		let released = false;
		// The app's wrapper (inside failover's) runs ky once for the primary, twice at once (`x-run` 1 and 2) for the mirror.
		let runs = 0;
		const twice = mine('twice', { wrap: async (_call, next) => {
			if (++runs === 1) {
				return next();
			}

			const both = await Promise.allSettled(['1', '2'].map(async (run) => next({ headers: { 'x-run': run } })));
			return new Response(both.map((one) => (one.status === 'fulfilled' ? String(one.value.status) : classify(one.reason).code)).join(' '));
		} });
		// Below every built-in: run 1's first attempt to the mirror waits until run 2 went out and retried.
		const hold = mine('hold', { layer: (next) => async (request, init) => {
			if (request.headers.get('x-run') === '1' && !released) {
				released = true;
				await until(() => sent.filter((one) => one === 'eu 2').length === 2);
			}

			return next(request, init);
		} });
		const api = createClient({
			retry: { limit: 1, delay: () => 0 }, retryBudget: { ratio: 1, minRetries: 0 }, twice, hold,
			failover: failover({ mirrors: { 'https://api.test': ['https://eu.test'] } }),
			fetch: (async (request: Request) => {
				const { hostname } = new URL(request.url);
				if (hostname === 'api.test') {
					sent.push('api');
					return new Response('down', { status: 503 });
				}

				const run = request.headers.get('x-run')!;
				// Each run's first attempt to the mirror is answered 503, its retry 200.
				const first = !sent.includes(`eu ${run}`);
				sent.push(`eu ${run}`);
				return new Response(run, { status: first ? 503 : 200 });
			}) as typeof globalThis.fetch,
		} as never);
		// The mirror's budget: two first attempts went to it (one each run), so two retries (ratio 1).
		// Before: '503 200' read as 'HTTP_5XX 200' (run 1's share lost: run 2's retry had taken the call's one slot for it).
		expect(await api.get('https://api.test/x').text()).toBe('200 200');
		expect(sent.filter((one) => one.startsWith('eu'))).toEqual(['eu 2', 'eu 2', 'eu 1', 'eu 1']);
		api.close();
	});

	it('the call\'s first attempt, held below while a run beside it went out and failed, earns the scope\'s share as it goes', async () => {
		const sent: string[] = [];
		// Two runs at once; run 1 is the call's first (its attempt counted first), run 2 goes out first.
		const both = mine('both', { wrap: async (_call, next) => {
			const runs = await Promise.allSettled(['1', '2'].map(async (run) => next({ headers: { 'x-run': run } })));
			return new Response(runs.map((one) => (one.status === 'fulfilled' ? String(one.value.status) : classify(one.reason).code)).join(' '));
		} });
		let holding = true;
		let refused = (): boolean => false;
		// Below every built-in: run 1's first attempt waits until run 2 went out and its retry was refused.
		const hold = mine('hold', { layer: (next) => async (request, init) => {
			if (request.headers.get('x-run') === '1' && holding) {
				holding = false;
				await until(refused);
			}

			return next(request, init);
		} });
		const api = createClient({
			retry: { limit: 1, delay: () => 0 }, retryBudget: { ratio: 1, minRetries: 0 }, both, hold,
			fetch: (async (request: Request) => {
				const run = request.headers.get('x-run')!;
				const first = !sent.includes(run);
				sent.push(run);
				return new Response(run, { status: first ? 503 : 200 });
			}) as typeof globalThis.fetch,
		} as never);
		refused = () => api.stats()['https://api.test']?.retriesRefused === 1;
		// Run 2's retry is refused (no first attempt had gone out yet); run 1's first attempt earns one as it goes: its retry goes.
		// Before: 'HTTP_5XX HTTP_5XX' (run 1's share lost: a later attempt of the call had been counted before it went out).
		expect(await api.get('https://api.test/x').text()).toBe('200 HTTP_5XX');
		expect(sent).toEqual(['2', '1', '1']);
		api.close();
	});
});

describe('rateLimit(): an attempt that leaves below it before it went out gives its token back', () => {
	/**
	 * A client of 5 requests a second, one at a time (a token every 200 ms), on a clock that stands still, with a layer
	 * below the rate limiter (band 650, as something that waits there: a shared breaker's coordinator) that holds `/held`
	 * until its signal aborts, then hands it on (the transport then sends nothing: it rejects with the abort's reason).
	 */
	const client = (limiter = rateLimit({ perSecond: 5, burst: 1 }), headers: Record<string, string> = {}) => {
		const sent: string[] = [];
		let holding = false;
		const gate: Policy = { slot: 'gate', at: { layer: 650 }, create: () => ({
			layer: (next) => async (request, init) => {
				if (new URL(request.url).pathname === '/held') {
					holding = true;
					await new Promise((resolve) => {
						request.signal.addEventListener('abort', resolve, { once: true });
					});
				}

				return next(request, init);
			},
		}) };
		const api = createClient({
			clock: new ManualClock(t0), retry: 0, rateLimit: limiter, gate,
			fetch: (async (request: Request) => {
				sent.push(new URL(request.url).pathname);
				return new Response('ok', { headers });
			}) as typeof globalThis.fetch,
		} as never);
		const waits: number[] = [];
		api.on('ratelimit:wait', ({ waitMs }) => waits.push(waitMs));
		return { api, sent, waits, holding: () => holding };
	};

	it('the caller aborts it while it is held below: the next call goes at once (its token is the bucket\'s again)', async () => {
		const { api, sent, waits, holding } = client();
		const controller = new AbortController();
		const held = code(api.get('https://api.test/held', { signal: controller.signal }));
		await until(holding);
		controller.abort();
		expect(await held).toBe('ABORTED');
		expect(await code(api.get('https://api.test/next'))).toBe('OK');
		// Before: [200] (the token of an attempt that never went out kept: the bucket a token behind).
		expect(waits).toEqual([]);
		expect(sent).toEqual(['/next']);
		api.close();
	});

	it('the server said one request is left: the one aborted below leaves it to the next call', async () => {
		const { api, sent, holding } = client(rateLimit(), { ratelimit: 'limit=10, remaining=1, reset=30' });
		expect(await code(api.get('https://api.test/first'))).toBe('OK');
		const controller = new AbortController();
		const held = code(api.get('https://api.test/held', { signal: controller.signal }));
		await until(holding);
		controller.abort();
		expect(await held).toBe('ABORTED');
		// Before: 'RATE_LIMITED' (the server's last request taken by an attempt that never went out: 30 s to wait, past the budget).
		expect(await code(api.get('https://api.test/next'))).toBe('OK');
		expect(sent).toEqual(['/first', '/next']);
		api.close();
	});
});

describe('rateLimit({ perSecond }) with a server\'s windows: a waiter that leaves gives its token back too', () => {
	it('the first of five waiters aborts: a call made then waits 800 ms, as if it had never come, not 900', async () => {
		const sentAt = new Map<string, number>();
		let began = 0;
		const api = createClient({
			clock: new ManualClock(t0), timeout: 5_000, retry: 0, rateLimit: rateLimit({ perSecond: 10, burst: 1 }),
			fetch: (async (request: Request) => {
				const first = sentAt.size === 0;
				sentAt.set(new URL(request.url).pathname, performance.now() - began);
				return new Response('ok', { headers: first ? { ratelimit: '"q";r=0;t=0.2', 'ratelimit-policy': '"q";q=2;w=0.3' } : {} });
			}) as typeof globalThis.fetch,
		} as never);
		const waits: number[] = [];
		api.on('ratelimit:wait', ({ waitMs }) => waits.push(waitMs));
		await api.get('https://api.test/first').text();
		began = performance.now();
		const controller = new AbortController();
		const aborted = code(api.get('https://api.test/1', { signal: controller.signal }));
		const calls = ['/2', '/3', '/4', '/5'].map(async (path) => api.get(`https://api.test${path}`).text());
		await until(() => waits.length === 5);
		expect(waits).toEqual([200, 300, 500, 600, 800]);
		controller.abort();
		expect(await aborted).toBe('ABORTED');
		const late = api.get('https://api.test/6').text();
		await until(() => waits.length === 6);
		expect(waits.slice(5)).toEqual([800]);
		expect(await Promise.all([...calls, late])).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
		api.close();
	});
});

describe('rateLimit(): two runs of one call at once, each attempt\'s wait bounded by its own timeout', () => {
	it('run 1\'s attempt, held above the limiter while run 2\'s started 900 ms later, may not wait past its own 1 s', async () => {
		const clock = new ManualClock(t0);
		let held = false;
		let release!: () => void;
		const released = new Promise<void>((resolve) => {
			release = resolve;
		});
		// Run 1 now, run 2 once run 1's attempt is held (the clock 900 ms on).
		const later = mine('later', { wrap: async (_call, next) => {
			const one = next({ headers: { 'x-run': '1' } });
			await until(() => held);
			clock.advance(900);
			const runs = await Promise.allSettled([one, next({ headers: { 'x-run': '2' } }).finally(release)]);
			return new Response(runs.map((run) => (run.status === 'fulfilled' ? 'OK' : classify(run.reason).code)).join(' '));
		} });
		// Between the bulkhead's band and the rate limiter's: run 1's attempt waits here until run 2 was answered.
		const hold: Policy = { slot: 'hold', at: { layer: 580 }, create: () => ({
			layer: (next) => async (request, init) => {
				if (request.headers.get('x-run') === '1') {
					held = true;
					await released;
				}

				return next(request, init);
			},
		}) };
		const sent: string[] = [];
		const api = createClient({
			clock, timeout: 1_000, retry: 0, rateLimit: rateLimit({ perSecond: 5, burst: 1 }), later, hold,
			fetch: (async (request: Request) => {
				sent.push(request.headers.get('x-run')!);
				return new Response('ok');
			}) as typeof globalThis.fetch,
		} as never);
		// Run 1's attempt started at t0: 100 ms of its timeout left at t0 + 900, less than the 200 ms to its token.
		// Before: 'OK OK' (run 1's bound read from run 2's start: it waited and was sent).
		expect(await api.get('https://api.test/x').text()).toBe('RATE_LIMITED OK');
		expect(sent).toEqual(['2']);
		api.close();
	});
});
