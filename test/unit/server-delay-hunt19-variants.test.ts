/**
 * Server delays (defect hunt, nineteenth round): a reset header in epoch seconds already past (ky: a delay of 0, the
 * retry at once) read as a negative delay, which moved the request context's deadline check and the breaker's
 * refusal of a retry (PolicyHooks.refusesRetry). Time is the injected clock's; the origin answers at once, or when the
 * test lets it.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { breaker } from '../../src/entries/breaker.js';
import { ManualClock } from '../helpers/manual-clock.js';

const t0 = 1_700_000_000_000;
const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);
/** Epoch seconds a minute ago, of the wall clock (what ky reads a reset against). */
const past = () => String(Math.floor(Date.now() / 1000) - 60);

describe('a reset header already past: a delay of 0, as ky waits, never a negative one', () => {
	it('the request context\'s deadline: a retry that would start with 30 ms left is not made', async () => {
		for (const name of ['x-ratelimit-reset', 'ratelimit-reset', 'x-rate-limit-reset']) {
			const clock = new ManualClock(t0);
			const sent: string[] = [];
			const fetch = (async (request: Request) => {
				sent.push(new URL(request.url).pathname);
				// The answer comes 4 970 ms into a 5 000 ms deadline (the context's clock).
				clock.advance(4_970);
				return new Response('slow down', { status: 429, headers: { [name]: past() } });
			}) as typeof globalThis.fetch;
			const api = createClient({ clock, random: () => 0.5, fetch, deadlineHeader: 'request-timeout-ms', retryBudget: false, retry: { limit: 1 } });
			const here = api.withContext({ waitUntil: () => undefined }, { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '5000' } }) });
			// A guard: on the previous src the past reset, read as -60 s, let the retry through ky's decision, and the
			// check as it went out (without the answer's delay) refused it: the same outcome.
			expect([sent, await code(here.get('https://api.test/a'))]).toEqual([['/a'], 'HTTP_429']);
			api.close();
		}
	});

	/**
	 * A call to /a whose first attempt is answered 429 with `headers` once the scope opened (five 503s of /b) and the
	 * clock stood `leftMs` before its `reopensAt`; its retry is answered 200. The call's outcome and its attempts.
	 */
	const openMeanwhile = async (leftMs: number, headers: Record<string, string>) => {
		const clock = new ManualClock(t0);
		const sent: string[] = [];
		let answer: () => void = () => undefined;
		const gate = new Promise<void>((resolve) => {
			answer = resolve;
		});
		const fetch = (async (request: Request) => {
			const path = new URL(request.url).pathname;
			sent.push(path);
			if (path === '/b') {
				return new Response('down', { status: 503 });
			}

			if (sent.filter((one) => one === '/a').length > 1) {
				return new Response('ok');
			}

			await gate;
			return new Response('slow down', { status: 429, headers });
		}) as typeof globalThis.fetch;
		const api = createClient({ clock, random: () => 0.5, fetch, retryBudget: false, retry: { limit: 1 }, breaker: breaker({ share: false }) });
		const a = code(api.get('https://api.test/a'));
		for (let i = 0; i < 5; i++) {
			expect(await code(api.get('https://api.test/b', { retry: 0 }))).toBe('HTTP_5XX');
		}

		expect(api.breaker('https://api.test')).toMatchObject({ state: 'open', reopensAt: t0 + 5_000 });
		clock.advance(5_000 - leftMs);
		answer();
		const got = [await a, sent.filter((one) => one === '/a').length];
		api.close();
		return got;
	};

	it('the breaker: a retry its open period would let through (over: the retry is its probe) is not refused', async () => {
		const got = [];
		for (const leftMs of [0, -1_000]) {
			got.push(await openMeanwhile(leftMs, { 'x-ratelimit-reset': past() }));
		}
		// Before: ['HTTP_429', 1] (refused: the past reset read as -60 s put the open period past ky's delay).
		expect(got).toEqual([['OK', 2], ['OK', 2]]);
	});

	it('the breaker: a retry ky makes at once (a reset past, or of 0 s) into a scope open 3 s more ends with the answer\'s error', async () => {
		for (const headers of [{ 'x-ratelimit-reset': past() }, { 'ratelimit-reset': '0' }, { 'x-rate-limit-reset': '0' }]) {
			// Before, for a reset of 0: ['CIRCUIT_OPEN', 1] (read as no delay, ky's backoff: the retry went, the breaker refused it).
			expect(await openMeanwhile(3_000, headers)).toEqual(['HTTP_429', 1]);
		}
	});
});
