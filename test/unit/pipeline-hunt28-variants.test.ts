/**
 * Defect hunt, twenty-eighth round (the pipeline: layers and wrappers, the call's state, the rate limiter's queue).
 * Neighbours of the known defect class: state of one run leaks into another run of the same call (two runs of ky at
 * once), or a waiter's place in the rate limiter's queue taken or kept wrongly.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient, SteadfetchError } from '../../src/entries/core.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import type { Policy, PolicyContext, PolicyParts } from '../../src/entries/policy.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { until } from './outbox-helpers.js';

/** An app's policy for `slot` whose create() gives `parts` (made with the context when a function). */
const mine = (slot: string, parts: PolicyParts | ((context: PolicyContext) => PolicyParts) = {}): Policy => ({
	slot,
	create: (context: PolicyContext) => (typeof parts === 'function' ? parts(context) : parts),
});

/** A transport that answers 200 'net' and notes each request's URL (`seen`). */
const noting = () => {
	const seen: string[] = [];
	const fetch = (async (request: Request) => {
		seen.push(request.url);
		return new Response('net');
	}) as typeof globalThis.fetch;
	return { fetch, seen };
};

/** A wrapper that runs ky twice at once (pages 1 and 2, by `x-page`) and resolves with both bodies. */
const both = mine('both', { wrap: async (_call, next) => {
	const [one, two] = await Promise.allSettled([next({ headers: { 'x-page': '1' } }), next({ headers: { 'x-page': '2' } })]);
	const read = async (run: PromiseSettledResult<Response>) => (run.status === 'fulfilled' ? run.value.text() : `rejected ${(run.reason as Error).message}`);
	return new Response(`${await read(one)} + ${await read(two)}`);
} });

describe('two runs of one call at once, each answered by a layer later (not at once): each run gets its own answer', () => {
	/**
	 * A layer that answers each attempt without I/O, after `hold(page)` resolved (a store read), with what `outcome` makes
	 * of its page.
	 */
	const later = (hold: (page: string) => Promise<unknown>, outcome: (page: string) => Response | Error) => mine('pages', (context) => ({
		layer: () => async (request, init) => {
			const page = request.headers.get('x-page')!;
			await hold(page);
			return context.answer(init!.steadfetch!, outcome(page));
		},
	}));

	it('both answered a task later: page 1 + page 2', async () => {
		const { fetch, seen } = noting();
		const pages = later(() => new Promise((resolve) => setTimeout(resolve)), (page) => new Response(`page ${page}`));
		const api = createClient({ fetch, retry: 0, pages, both } as never);
		// Before: TypeError 'Body is unusable: Body has already been read' (run 2 given run 1's answer: one Response for both).
		expect(await api.get('https://a.test/list').text()).toBe('page 1 + page 2');
		expect(seen).toEqual([]);
		api.close();
	});

	it('page 2 answered first: page 1 + page 2', async () => {
		const { fetch } = noting();
		let second!: () => void;
		const answered2 = new Promise<void>((resolve) => {
			second = resolve;
		});
		const pages = later(async (page) => (page === '1' ? answered2.then(() => new Promise((resolve) => setTimeout(resolve))) : second()), (page) => new Response(`page ${page}`));
		const api = createClient({ fetch, retry: 0, pages, both } as never);
		expect(await api.get('https://a.test/list').text()).toBe('page 1 + page 2');
		api.close();
	});

	it('an error for run 1 and a Response for run 2, both a task later: each run settles with its own', async () => {
		const { fetch } = noting();
		const pages = later(() => new Promise((resolve) => setTimeout(resolve)), (page) => (page === '1' ? new Error('refused here') : new Response('fine')));
		const api = createClient({ fetch, retry: 0, pages, both } as never);
		// Before: 'rejected refused here + rejected refused here' (run 2 rejected with run 1's error).
		expect(await api.get('https://a.test/x').text()).toBe('rejected refused here + fine');
		api.close();
	});
});

describe('rateLimit(): a waiter refused below after its wait gives its place up to those behind it', () => {
	/**
	 * A client of 5 requests a second, one at a time (a token every 200 ms), on a clock that stands still (each wait is
	 * exact), with a layer below the rate limiter (band 650) that refuses the attempts of the paths in `refuse` without I/O
	 * (a policy's own error, as an open breaker's): the first call goes at once, `waiting` more each wait for their token.
	 */
	const queue = async (waiting: number, refuse: readonly string[]) => {
		const sent: string[] = [];
		const gate: Policy = { slot: 'gate', at: { layer: 650 }, create: () => ({
			layer: (next) => (request, init) => (refuse.includes(new URL(request.url).pathname) ? Promise.reject(new SteadfetchError('closed here', 'CIRCUIT_OPEN', true)) : next(request, init)),
		}) };
		const api = createClient({
			clock: new ManualClock(1_700_000_000_000), retry: 0, rateLimit: rateLimit({ perSecond: 5, burst: 1 }), gate,
			fetch: (async (request: Request) => {
				sent.push(new URL(request.url).pathname);
				return new Response('ok');
			}) as typeof globalThis.fetch,
		} as never);
		const waits: number[] = [];
		api.on('ratelimit:wait', ({ waitMs }) => waits.push(waitMs));
		await api.get('https://a.test/0');
		const calls = Array.from({ length: waiting }, async (_, index) => api.get(`https://a.test/${index + 1}`).then(() => 'OK', (error: unknown) => classify(error).code));
		await until(() => waits.length === waiting);
		return { api, sent, waits, calls };
	};

	it('the first of two waiters is refused at its token: the one behind goes at once, a call made then waits 400 ms', async () => {
		const { api, sent, waits, calls } = await queue(2, ['/1']);
		expect(await calls[0]).toBe('CIRCUIT_OPEN');
		const later = api.get('https://a.test/3').text();
		await until(() => waits.length === 3);
		// Before: [200, 400, 600] (the refused waiter's token kept: every later call a token behind).
		expect(waits).toEqual([200, 400, 400]);
		expect([await calls[1], await later]).toEqual(['OK', 'ok']);
		expect(sent).toEqual(['/0', '/2', '/3']);
		api.close();
	});

	it('the middle one of three is refused at its token: the last moves up a place, the first keeps its own', async () => {
		const { api, sent, waits, calls } = await queue(3, ['/2']);
		expect(await calls[1]).toBe('CIRCUIT_OPEN');
		const later = api.get('https://a.test/4').text();
		await until(() => waits.length === 4);
		// Before: [200, 400, 600, 800].
		expect(waits).toEqual([200, 400, 600, 600]);
		expect([await calls[0], await calls[2], await later]).toEqual(['OK', 'OK', 'ok']);
		expect(sent).toEqual(['/0', '/1', '/3', '/4']);
		api.close();
	});
});

describe('runs of one call at once whose retries the retry budget refuses: each refusal counted once', () => {
	it('three runs, a budget of one retry: run 1\'s retry goes, runs 2 and 3 refused, retriesRefused 2 (a slow shouldRetry)', async () => {
		const held: Array<() => void> = [];
		const seen: string[] = [];
		const fetch = (async (request: Request) => {
			const run = request.headers.get('x-run')!;
			seen.push(run);
			if (seen.filter((one) => one === run).length === 1) {
				// Each run's first attempt waits for the three to have come, then answers 503: their retries are asked at once.
				await new Promise<void>((resolve) => {
					held.push(resolve);
				});
				return new Response('busy', { status: 503 });
			}

			return new Response(run);
		}) as typeof globalThis.fetch;
		const thrice = mine('thrice', { wrap: async (_call, next) => {
			const runs = await Promise.allSettled(['1', '2', '3'].map(async (run) => next({ headers: { 'x-run': run } })));
			return new Response(runs.map((one) => (one.status === 'fulfilled' ? 'ok' : classify(one.reason).code)).join(' '));
		} });
		// The user's shouldRetry takes a task to answer (ky awaits it): a refusal made meanwhile is another run's.
		const shouldRetry = async () => new Promise<undefined>((resolve) => {
			setTimeout(resolve, 1);
		});
		const api = createClient({ fetch, retry: { limit: 2, delay: () => 0, shouldRetry }, retryBudget: { minRetries: 1, ratio: 0 }, thrice } as never);
		const call = api.get('https://a.test/x').text();
		await until(() => held.length === 3);
		for (const release of held) {
			release();
		}

		expect(await call).toBe('ok HTTP_5XX HTTP_5XX');
		const { retries, retriesRefused } = api.stats()['https://a.test']!;
		// Before: retriesRefused 3 (run 2's refusal, taken for run 3's, asked about again and counted again).
		expect([retries, retriesRefused]).toEqual([1, 2]);
		expect(seen.sort()).toEqual(['1', '1', '2', '3']);
		api.close();
	});
});

describe('two runs of one call at once: a retry of one run follows its own run\'s abort, never the other\'s', () => {
	it('run 2\'s attempt times out (ky aborts run 2) while run 1\'s retry is in flight: run 1\'s retry is answered', async () => {
		let aborted2 = false;
		const seen: string[] = [];
		const fetch = (async (request: Request, init?: RequestInit) => {
			const run = request.headers.get('x-run')!;
			const signal = init?.signal ?? request.signal;
			seen.push(run);
			const nth = seen.filter((one) => one === run).length;
			if (run === '2' && nth === 1) {
				// Run 2's first attempt hangs until ky's timeout aborts it.
				return new Promise<Response>((_, reject) => {
					signal.addEventListener('abort', () => {
						aborted2 = true;
						reject(signal.reason);
					});
				});
			}

			if (run === '1' && nth === 1) {
				await new Promise((resolve) => setTimeout(resolve, 60));
				return new Response('busy', { status: 503 });
			}

			if (run === '1') {
				// Run 1's retry (sent at 60 ms, its own timeout at 160): answered once run 2 was aborted (100 ms), if not aborted itself.
				await until(() => aborted2);
				await new Promise((resolve) => setTimeout(resolve, 10));
				if (signal.aborted) {
					throw signal.reason;
				}
			}

			return new Response(run);
		}) as typeof globalThis.fetch;
		const two = mine('two', { wrap: async (_call, next) => {
			const runs = await Promise.allSettled(['1', '2'].map(async (run) => next({ headers: { 'x-run': run } })));
			return new Response((await Promise.all(runs.map(async (one) => (one.status === 'fulfilled' ? one.value.text() : classify(one.reason).code)))).join(' '));
		} });
		const api = createClient({ fetch, timeout: 100, retry: { limit: 1, delay: () => 0 }, retryBudget: false, two } as never);
		// Before: 'TIMEOUT 2' (run 1's retry followed run 2's Request, the latest ky made, and was aborted with it by run 2's timeout).
		// (The body read off the Response: a body shortcut would start on each run, reading the runs' bodies before the wrapper.)
		expect(await (await api.get('https://a.test/x')).text()).toBe('1 2');
		expect(seen.sort()).toEqual(['1', '1', '2', '2']);
		api.close();
	});
});

describe('two runs of one call at once: each run\'s retries are counted from its own first attempt', () => {
	it('both runs answered 503 once, then retried: each retry event says retryCount 1', async () => {
		const seen: string[] = [];
		const fetch = (async (request: Request) => {
			const run = request.headers.get('x-run')!;
			seen.push(run);
			if (seen.filter((one) => one === run).length === 1) {
				// Both first attempts go out before either is answered: the runs' attempts interleave.
				await until(() => seen.length >= 2);
				return new Response('busy', { status: 503 });
			}

			return new Response(run);
		}) as typeof globalThis.fetch;
		const two = mine('two', { wrap: async (_call, next) => {
			const runs = await Promise.all(['1', '2'].map(async (run) => next({ headers: { 'x-run': run } })));
			return new Response(runs.map((one) => one.status).join(' '));
		} });
		const api = createClient({ fetch, retry: { limit: 1, delay: () => 0 }, two } as never);
		const counts: number[] = [];
		api.on('retry', ({ retryCount }) => counts.push(retryCount));
		expect(await (await api.get('https://a.test/x')).text()).toBe('200 200');
		// Before: [1, 2] (the second run's retry counted from the call's first run: the call's fourth attempt, its run's second).
		expect(counts).toEqual([1, 1]);
		api.close();
	});
});
