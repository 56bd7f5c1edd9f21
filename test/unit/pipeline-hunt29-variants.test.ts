/**
 * Defect hunt, twenty-ninth round (the pipeline: the rate limiter's queue, request contexts, body shortcuts).
 * Neighbours of the known defect class: state of one run leaks into another run of the same call, or into another call
 * (a waiter's place in the rate limiter's queue kept when it left, a run's kind of attempt read for another run's).
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient, SteadfetchError } from '../../src/entries/core.js';
import { createClient as createFullClient } from '../../src/entries/index.js';
import { hedge } from '../../src/entries/hedge.js';
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

describe('rateLimit(): a waiter for a server\'s window that leaves gives its place to those behind it', () => {
	/**
	 * A server-only limiter whose server answers the first request with a spent quota (reset 200 ms, 2 a window of
	 * 300 ms: windows at 200, 500, 800), the others with nothing said, and a layer below it that refuses the paths in
	 * `refuse` (a policy's own error); the client's clock stands still (each wait is exact), `sentAt` notes when each path
	 * went (real ms since the calls were made).
	 */
	const windows = async (refuse: readonly string[] = []) => {
		const sentAt = new Map<string, number>();
		let began = 0;
		const gate: Policy = { slot: 'gate', at: { layer: 650 }, create: () => ({
			layer: (next) => (request, init) => (refuse.includes(new URL(request.url).pathname) ? Promise.reject(new SteadfetchError('closed here', 'CIRCUIT_OPEN', true)) : next(request, init)),
		}) };
		const api = createClient({
			clock: new ManualClock(t0), timeout: 5_000, retry: 0, rateLimit: rateLimit(), gate,
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
		return { api, waits, sentAt };
	};

	it('the first of four waiters aborts: the first of the next window moves up, a call made then waits 500 ms, not 800', async () => {
		const { api, waits, sentAt } = await windows();
		const controller = new AbortController();
		const aborted = code(api.get('https://api.test/1', { signal: controller.signal }));
		const calls = ['/2', '/3', '/4'].map(async (path) => api.get(`https://api.test${path}`).text());
		await until(() => waits.length === 4);
		expect(waits).toEqual([200, 200, 500, 500]);
		controller.abort();
		expect(await aborted).toBe('ABORTED');
		const late = api.get('https://api.test/5').text();
		await until(() => waits.length === 5);
		// Before: [200, 200, 500, 500, 800] (the aborted waiter's place at 200 left empty: every later call a window behind).
		expect(waits).toEqual([200, 200, 500, 500, 500]);
		expect(await Promise.all([...calls, late])).toEqual(['ok', 'ok', 'ok', 'ok']);
		// /3 moved up to the first window (200 ms), /4 and /5 share the second.
		expect(sentAt.get('/3')).toBeLessThan(450);
		expect(sentAt.get('/5')).toBeGreaterThan(450);
		api.close();
	});

	it('a waiter of the first window refused below at its time: the first of the next goes then, a call made then waits 500 ms', async () => {
		const { api, waits, sentAt } = await windows(['/1']);
		const refused = code(api.get('https://api.test/1'));
		const calls = ['/2', '/3', '/4'].map(async (path) => api.get(`https://api.test${path}`).text());
		await until(() => waits.length === 4);
		expect(await refused).toBe('CIRCUIT_OPEN');
		const late = api.get('https://api.test/5').text();
		await until(() => waits.length === 5);
		// Before: [800] (the window at 200 kept /1's place: /3 and /4 went at 500, /5 a window later).
		expect(waits.slice(4)).toEqual([500]);
		expect(await Promise.all([...calls, late])).toEqual(['ok', 'ok', 'ok', 'ok']);
		expect(sentAt.get('/3')).toBeLessThan(450);
		api.close();
	});
});

describe('rateLimit(): a hedge not sent gives its token to those waiting behind it', () => {
	/**
	 * A call whose hedge took the burst's second token and is held below the rate limiter while two calls reserved after
	 * it; then let go, the hedge is not sent — its call answered first (`answeredFirst`: its race aborts it), or its policy
	 * refuses it at the transport (`retryBudget` spent: no hedge paid) — and the two move up a token each: a call made
	 * then waits 400 ms (before: 600).
	 */
	const heldHedge = async (answeredFirst: boolean, retryBudget: unknown) => {
		let answer!: () => void;
		const answered = new Promise<void>((resolve) => {
			answer = resolve;
		});
		const sent: string[] = [];
		let holding: (() => void) | undefined;
		let held = 0;
		// Below the rate limiter: a hedge's attempt is held until the test lets it go.
		const gate: Policy = { slot: 'gate', at: { layer: 650 }, create: () => ({
			layer: (next) => async (request, init) => {
				if (init?.hedge) {
					await new Promise<void>((resolve) => {
						holding = resolve;
					});
					held++;
				}

				return next(request, init);
			},
		}) };
		const api = createClient({
			clock: new ManualClock(t0), retry: 0, retryBudget, gate,
			rateLimit: rateLimit({ perSecond: 5, burst: 2 }), hedge: hedge({ delayMs: 5, maxHedges: 1 }),
			fetch: (async (request: Request) => {
				sent.push(new URL(request.url).pathname);
				if (sent.length === 1) {
					await answered;
				}

				return new Response('ok');
			}) as typeof globalThis.fetch,
		} as never);
		const waits: number[] = [];
		api.on('ratelimit:wait', ({ waitMs }) => waits.push(waitMs));
		const slow = api.get('https://api.test/slow').text();
		await until(() => holding !== undefined);
		// The first attempt and the hedge took the burst's two tokens: the next calls wait 200 and 400 ms.
		const calls = ['/b', '/c'].map(async (path) => api.get(`https://api.test${path}`).text());
		await until(() => waits.length === 2);
		expect(waits).toEqual([200, 400]);
		if (answeredFirst) {
			answer();
			expect(await slow).toBe('ok');
		}

		holding!();
		await until(() => held === 1 && sent.includes('/b'));
		const late = api.get('https://api.test/d').text();
		await until(() => waits.length === 3);
		answer();
		const outcome = { slow: await slow, calls: await Promise.all([...calls, late]), sent, waits };
		api.close();
		return outcome;
	};

	it('its call answered meanwhile (the race aborts it): a call made then waits 400 ms', async () => {
		const { slow, calls, sent, waits } = await heldHedge(true, false);
		// Before: [200, 400, 600] (the hedge's token kept: the calls behind it never moved up).
		expect(waits).toEqual([200, 400, 400]);
		expect([slow, calls, sent]).toEqual(['ok', ['ok', 'ok', 'ok'], ['/slow', '/b', '/c', '/d']]);
	});

	it('its policy refuses it at the transport (no retry budget to pay it): a call made then waits 400 ms', async () => {
		const { slow, calls, sent, waits } = await heldHedge(false, { minRetries: 0, ratio: 0 });
		// Before: [200, 400, 600] (given back with the plain giveBack(): the token the bucket's next again only if none came after it).
		expect(waits).toEqual([200, 400, 400]);
		expect([slow, calls, sent]).toEqual(['ok', ['ok', 'ok', 'ok'], ['/slow', '/b', '/c', '/d']]);
	});
});

describe('request contexts: two runs of one call at once, each attempt judged as its own run\'s', () => {
	/** A wrapper that runs ky twice at once (`x-run` 1 and 2) and resolves with both outcomes. */
	const both = mine('both', { wrap: async (_call, next) => {
		const runs = await Promise.allSettled(['1', '2'].map(async (run) => next({ headers: { 'x-run': run } })));
		return new Response(runs.map((one) => (one.status === 'fulfilled' ? String(one.value.status) : classify(one.reason).code)).join(' '));
	} });

	it('run 2\'s first attempt (the caller\'s), held below while run 1 retried to the context\'s last subrequest, is sent', async () => {
		const sent: string[] = [];
		let release: (() => void) | undefined;
		// Below every built-in: run 2's first attempt waits until run 1 is done.
		const hold = mine('hold', { layer: (next) => async (request, init) => {
			if (request.headers.get('x-run') === '2') {
				await new Promise<void>((resolve) => {
					release = resolve;
				});
			}

			return next(request, init);
		} });
		const api = createFullClient({
			retryBudget: false, retry: { limit: 1, delay: () => 0 }, both, hold,
			fetch: (async (request: Request) => {
				const run = request.headers.get('x-run')!;
				sent.push(run);
				return new Response(run, { status: run === '1' && sent.length === 1 ? 503 : 200 });
			}) as typeof globalThis.fetch,
		} as never);
		// 7 subrequests: 2 of steadfetch's own (run 1's first attempt and its retry reach them).
		const here = api.withContext({ waitUntil: () => undefined }, { subrequests: 7 });
		const call = here.get('https://api.test/x').text();
		await until(() => release !== undefined && sent.length === 2);
		release!();
		// Before: '200 ABORTED' (run 2's attempt read as the retry run 1 made last: refused, the context spent).
		expect(await call).toBe('200 200');
		expect(sent).toEqual(['1', '1', '2']);
		expect(here.stats().subrequests).toBe(3);
		api.close();
	});
	it('run 1\'s retry, held below while run 2\'s first attempt took the context\'s last subrequest, is not sent (the call\'s own limit)', async () => {
		const sent: string[] = [];
		let retryHeld!: () => void;
		const held = new Promise<void>((resolve) => {
			retryHeld = resolve;
		});
		let arrivals = 0;
		// Below every built-in: run 1's retry waits until run 2's first attempt went out.
		const hold = mine('hold', { layer: (next) => async (request, init) => {
			if (request.headers.get('x-run') === '1' && ++arrivals === 2) {
				retryHeld();
				await until(() => sent.includes('2'));
			}

			return next(request, init);
		} });
		// Run 2 starts once run 1's retry was counted (and waits below): its first attempt is counted after that retry.
		const later = mine('later', { wrap: async (_call, next) => {
			const one = next({ headers: { 'x-run': '1' } });
			await held;
			const runs = await Promise.allSettled([one, next({ headers: { 'x-run': '2' } })]);
			return new Response(runs.map((run) => (run.status === 'fulfilled' ? String(run.value.status) : classify(run.reason).code)).join(' '));
		} });
		const api = createFullClient({
			retryBudget: false, retry: { limit: 1, delay: () => 0 }, later, hold,
			fetch: (async (request: Request) => {
				const run = request.headers.get('x-run')!;
				sent.push(run);
				return new Response(run, { status: run === '1' ? 503 : 200 });
			}) as typeof globalThis.fetch,
		} as never);
		const here = api.withContext({ waitUntil: () => undefined }, { subrequests: 7 });
		// Before: 'HTTP_5XX 200' with ['1', '2', '1'] and 3 subrequests (the retry read as run 2's first attempt: the caller's, sent).
		expect(await here.get('https://api.test/x').text()).toBe('HTTP_5XX 200');
		expect(sent).toEqual(['1', '2']);
		expect(here.stats().subrequests).toBe(2);
		api.close();
	});
});
