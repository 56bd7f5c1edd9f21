/**
 * Defect hunt, thirty-first round (the pipeline: hedge, the retry budget, the rate limiter, one owner per call).
 * Neighbours of the known defect class: what an attempt took (a retry's payment, a rate-limit token) kept when that
 * attempt never went out because another attempt of its call (its own hedge, a run beside it) went out meanwhile.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { hedge } from '../../src/entries/hedge.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import type { Policy } from '../../src/entries/policy.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { until } from '../helpers/wait-for.js';

const t0 = 1_700_000_000_000;

const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);

/** An app's layer at `band` that holds the attempt `holds` picks until its signal aborts, then hands it on (the transport sends nothing then). */
const gate = (band: number, holds: (request: Request, init: { hedge?: unknown } | undefined) => boolean): Policy & { held: () => boolean } => {
	let held = false;
	return {
		slot: 'gate', at: { layer: band }, held: () => held,
		create: () => ({
			layer: (next) => async (request, init) => {
				if (holds(request, init)) {
					held = true;
					await new Promise((resolve) => {
						request.signal.addEventListener('abort', resolve, { once: true });
					});
				}

				return next(request, init);
			},
		}),
	};
};

describe('an attempt held below while another attempt of its call went out (its hedge, a run beside it) never went out', () => {
	it('rateLimit(): the held attempt gives back the server\'s request left it took (the hedge took its own)', async () => {
		const sent: string[] = [];
		const hold = gate(650, (request, init) => new URL(request.url).pathname === '/held' && !init?.hedge);
		const api = createClient({
			clock: new ManualClock(t0), retry: 0, rateLimit: rateLimit(), hedge: hedge({ delayMs: 50 }), gate: hold,
			fetch: (async (request: Request) => {
				const { pathname } = new URL(request.url);
				sent.push(pathname);
				// The server: two requests left for 30 s, said once.
				return new Response('ok', { headers: pathname === '/first' ? { ratelimit: 'limit=10, remaining=2, reset=30' } : {} });
			}) as typeof globalThis.fetch,
		} as never);
		expect(await code(api.get('https://api.test/first'))).toBe('OK');
		// Its first attempt is held below the limiter; its hedge goes out 50 ms later and wins.
		expect(await code(api.get('https://api.test/held'))).toBe('OK');
		expect(hold.held()).toBe(true);
		// One of the two requests left went (the hedge): one is left for the next call.
		// Before: 'RATE_LIMITED' (the held attempt kept the request it took, though only its hedge went out).
		expect(await code(api.get('https://api.test/next'))).toBe('OK');
		expect(sent).toEqual(['/first', '/held', '/next']);
		api.close();
	});

	it('rateLimit(): a hedge that went out and failed keeps the server\'s request left it took (both attempts went out)', async () => {
		const sent: string[] = [];
		const api = createClient({
			clock: new ManualClock(t0), retry: 0, rateLimit: rateLimit(), hedge: hedge({ delayMs: 50 }),
			fetch: (async (request: Request) => {
				const { pathname } = new URL(request.url);
				sent.push(pathname);
				if (pathname === '/slow' && sent.filter((one) => one === '/slow').length === 1) {
					// The first attempt answers once its hedge failed.
					await until(() => sent.length === 3);
					await new Promise((resolve) => setTimeout(resolve, 20));
				} else if (pathname === '/slow') {
					throw new TypeError('fetch failed');
				}

				return new Response('ok', { headers: pathname === '/first' ? { ratelimit: 'limit=10, remaining=2, reset=30' } : {} });
			}) as typeof globalThis.fetch,
		} as never);
		expect(await code(api.get('https://api.test/first'))).toBe('OK');
		expect(await code(api.get('https://api.test/slow'))).toBe('OK');
		// Both requests left went (the first attempt and its hedge): the next call waits for the reset, past its budget.
		expect(await code(api.get('https://api.test/next'))).toBe('RATE_LIMITED');
		expect(sent).toEqual(['/first', '/slow', '/slow']);
		api.close();
	});

	it('the retry budget: a retry held below whose hedge wins is not paid besides its hedge', async () => {
		const sent: string[] = [];
		let seen = 0;
		// The second attempt (the retry of the first call) is held below everything; its hedge goes out and wins.
		const hold = gate(1000, (_request, init) => !init?.hedge && ++seen === 2);
		const api = createClient({
			retry: { limit: 1, delay: () => 0 }, retryBudget: { ratio: 0, minRetries: 2 }, hedge: hedge({ delayMs: 50 }), gate: hold,
			fetch: (async (request: Request) => {
				const { pathname } = new URL(request.url);
				const first = !sent.includes(pathname);
				sent.push(pathname);
				return new Response(pathname, { status: first ? 503 : 200 });
			}) as typeof globalThis.fetch,
		} as never);
		expect(await api.get('https://api.test/x').text()).toBe('/x');
		expect(hold.held()).toBe(true);
		// Two of the window's two retries: the hedge's, and the next call's retry.
		// Before: 'HTTP_5XX' (the held retry paid too: the budget spent by an attempt that never went out).
		expect(await code(api.get('https://api.test/y'))).toBe('OK');
		expect(sent).toEqual(['/x', '/x', '/y', '/y']);
		const stats = api.stats()['https://api.test']!;
		expect([stats.retries, stats.retriesRefused]).toEqual([1, 0]);
		api.close();
	});

	it('the retry budget: a run\'s retry held below until its timeout, while a run beside it went out, is not paid', async () => {
		const sent: string[] = [];
		let seen = 0;
		// Run 1's retry (its second attempt) is held below everything until its timeout aborts it; run 2 starts meanwhile.
		const hold = gate(1000, (request) => request.headers.get('x-run') === '1' && ++seen === 2);
		const both: Policy = { slot: 'both', create: () => ({
			wrap: async (_call, next) => {
				const one = next({ headers: { 'x-run': '1' } });
				await until(hold.held);
				const runs = await Promise.allSettled([one, next({ headers: { 'x-run': '2' } })]);
				return new Response(runs.map((run) => (run.status === 'fulfilled' ? String(run.value.status) : classify(run.reason).code)).join(' '));
			},
		}) };
		const api = createClient({
			timeout: 500, retry: { limit: 1, delay: () => 0 }, retryBudget: { ratio: 0, minRetries: 1 }, both, gate: hold,
			fetch: (async (request: Request) => {
				const { pathname } = new URL(request.url);
				const run = request.headers.get('x-run') ?? '';
				const first = !sent.includes(pathname + run);
				sent.push(pathname + run);
				return new Response(pathname, { status: first && run !== '2' ? 503 : 200 });
			}) as typeof globalThis.fetch,
		} as never);
		expect(await api.get('https://api.test/x').text()).toBe('TIMEOUT 200');
		// The window's one retry is the next call's: run 1's never went out.
		// Before: 'HTTP_5XX' (run 1's retry paid: run 2's attempt going out was taken for it).
		expect(await code(api.get('https://api.test/y', { both: false } as never))).toBe('OK');
		expect(sent).toEqual(['/x1', '/x2', '/y', '/y']);
		api.close();
	});
});
