/**
 * Defect hunt, twenty-seventh round (the pipeline: layers and wrappers, the call's state, retry events, the rate limiter's
 * queue, the policies that watch outcomes). Neighbours of the known defect classes: two runs of one call at once sharing
 * what is one run's own, a waiter that leaves keeping its place, a watcher told of a call with no scope.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { health } from '../../src/entries/health.js';
import { logger } from '../../src/entries/logger.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { ManualClock } from '../helpers/manual-clock.js';
import type { Policy, PolicyContext, PolicyParts } from '../../src/entries/policy.js';
import { until } from './outbox-helpers.js';

/** An app's policy for `slot` whose create() gives `parts` (made with the context when a function). */
const mine = (slot: string, parts: PolicyParts | ((context: PolicyContext) => PolicyParts) = {}): Policy => ({
	slot,
	create: (context: PolicyContext) => (typeof parts === 'function' ? parts(context) : parts),
});

/** A wrapper that runs ky twice at once, each run marked by its `x-run` header ('a', 'b'), and gives back run a's outcome. */
const twice = mine('audit', { wrap: async (_call, next) => {
	const [a] = await Promise.allSettled([next({ headers: { 'x-run': 'a' } }), next({ headers: { 'x-run': 'b' } })]);
	return a.status === 'fulfilled' ? a.value : Promise.reject(a.reason);
} });

/**
 * A transport whose first attempt of each run waits until both runs' first attempts came (`held`), then fails as `first`
 * says for that run; every later attempt answers 200 with the run's name.
 */
const heldRuns = (first: Record<string, () => Response>) => {
	const held: Array<() => void> = [];
	const counts: Record<string, number> = {};
	const fetch = (async (request: Request) => {
		const run = request.headers.get('x-run') ?? '';
		counts[run] = (counts[run] ?? 0) + 1;
		if (counts[run] === 1) {
			await new Promise<void>((resolve) => {
				held.push(resolve);
			});
			return first[run]!();
		}

		return new Response(run);
	}) as typeof globalThis.fetch;
	return { fetch, held, counts };
};

describe('two runs of one call at once: each run\'s retry is told with its own failure', () => {
	it('run a fails on the network, run b is answered 503: the retry events say NETWORK and HTTP_5XX', async () => {
		const { fetch, held } = heldRuns({
			a: () => {
				throw new TypeError('fetch failed');
			},
			b: () => new Response('busy', { status: 503 }),
		});
		const api = createClient({ fetch, retry: { limit: 1, delay: () => 0 }, audit: twice } as never);
		const codes: string[] = [];
		api.on('retry', (event) => codes.push(event.code));
		const call = api.get('https://a.test/x').text();
		await until(() => held.length === 2);
		for (const release of held) {
			release();
		}

		expect(await call).toBe('a');
		// Before: ['HTTP_5XX', 'UNKNOWN'] (run a's retry told with run b's 503, run b's as one forced with ky.retry()).
		expect(codes.sort()).toEqual(['HTTP_5XX', 'NETWORK']);
		api.close();
	});

});

describe('a wrapper that runs ky twice at once and gives back one run\'s response: the body shortcuts read that response', () => {
	/** A wrapper that runs ky twice at once (runs a and b) and gives back run a's response, run a answered once run b resolved. */
	const aAfterB = () => {
		let resolvedB!: () => void;
		const b = new Promise<void>((resolve) => {
			resolvedB = resolve;
		});
		const fetch = (async (request: Request) => {
			const run = request.headers.get('x-run')!;
			if (run === 'a') {
				await b;
			}

			return Response.json({ run });
		}) as typeof globalThis.fetch;
		const audit = mine('audit', { wrap: (_call, next) => {
			const a = next({ headers: { 'x-run': 'a' } });
			void next({ headers: { 'x-run': 'b' } }).then(resolvedB);
			return a;
		} });
		return { fetch, audit };
	};

	for (const [shortcut, read, a] of [
		['text', (call: { text(): Promise<unknown> }) => call.text(), '{"run":"a"}'],
		['json', (call: { json(): Promise<unknown> }) => call.json(), { run: 'a' }],
	] as const) {
		it(`.${shortcut}() gives run a's body, run b answered first`, async () => {
			const api = createClient({ retry: 0, ...aAfterB() } as never);
			// Before: run b's body ('{"run":"b"}'): the shortcut was started with the latest run only, and read as the call's.
			expect(await read(api.get('https://a.test/x') as never)).toEqual(a);
			api.close();
		});
	}
});

describe('a call that settled before its first attempt: the policies that watch outcomes see the scope of its URL', () => {
	/** A sink that keeps every record's level and scope (`level scope`). */
	const keeping = () => {
		const records: string[] = [];
		const note = (level: string) => (record: { scope: string }) => void records.push(`${level} ${record.scope}`);
		return { records, sink: { info: note('info'), warn: note('warn'), error: note('error') } };
	};

	it('the logger: a wrapper that refuses the call before any run writes the call\'s record in the URL\'s scope', async () => {
		const { records, sink } = keeping();
		const refusing = mine('audit', { wrap: () => Promise.reject(new Error('audit refused')) });
		const api = createClient({ fetch: (async () => new Response('net')) as typeof globalThis.fetch, logger: logger(sink), audit: refusing } as never);
		await expect(api.get('https://a.test/x')).rejects.toThrow('audit refused');
		// Before: ['error *'] (no scope before a first attempt).
		expect(records).toEqual(['error https://a.test']);
		api.close();
	});

	it('the logger: a relative URL, the client\'s prefix and the call\'s own prefix', async () => {
		const { records, sink } = keeping();
		const answering = mine('audit', { wrap: () => Promise.resolve(new Response('copy')) });
		const api = createClient({ prefix: 'https://a.test/v1', fetch: (async () => new Response('net')) as typeof globalThis.fetch, logger: logger(sink), audit: answering } as never);
		await api.get('users').text();
		await api.get('users', { prefix: 'https://b.test' }).text();
		// Before: ['info *', 'info *'].
		expect(records).toEqual(['info https://a.test', 'info https://b.test']);
		api.close();
	});

	it('health: calls a wrapper answers at once while its run goes out later count by how that run\'s attempt ends', async () => {
		let failed = 0;
		const fetch = (async () => {
			failed++;
			return new Response('busy', { status: 503 });
		}) as typeof globalThis.fetch;
		const runs: Promise<unknown>[] = [];
		const refreshing = mine('audit', { wrap: (_call, next) => {
			setTimeout(() => runs.push(next().catch(() => undefined)));
			return Promise.resolve(new Response('copy'));
		} });
		const api = createClient({ fetch, retry: 0, health: health(), audit: refreshing } as never);
		const unhealthy: string[] = [];
		api.on('scope:unhealthy', ({ scope }) => unhealthy.push(scope));
		for (let index = 0; index < 10; index++) {
			expect(await api.get(`https://a.test/${index}`).text()).toBe('copy');
		}

		await until(() => failed === 10 && runs.length === 10);
		await Promise.all(runs);
		const { errorRate, topErrors } = api.stats()['https://a.test'] as unknown as { errorRate: number; topErrors: unknown };
		// Before: errorRate 0, topErrors [], no event (the ten 503s of the calls' runs counted by nobody).
		expect([errorRate, topErrors, unhealthy]).toEqual([1, [{ code: 'HTTP_5XX', count: 10 }], ['https://a.test']]);
		api.close();
	});
});

describe('rateLimit(): a waiter whose signal aborts mid-queue gives its place up at once', () => {
	/**
	 * A client of 5 requests a second, one at a time (a token every 200 ms), on a clock that stands still (each wait is
	 * exact): the first call goes at once, `waiting` more each wait for their token; the waits told (`ratelimit:wait`) and
	 * the paths sent, in order.
	 */
	const queue = async (waiting: number) => {
		const sent: string[] = [];
		const api = createClient({
			clock: new ManualClock(1_700_000_000_000), retry: 0, rateLimit: rateLimit({ perSecond: 5, burst: 1 }),
			fetch: (async (request: Request) => {
				sent.push(new URL(request.url).pathname);
				return new Response('ok');
			}) as typeof globalThis.fetch,
		});
		const waits: number[] = [];
		api.on('ratelimit:wait', ({ waitMs }) => waits.push(waitMs));
		await api.get('https://a.test/0');
		const controllers = Array.from({ length: waiting }, () => new AbortController());
		const calls = controllers.map(async (controller, index) => api.get(`https://a.test/${index + 1}`, { signal: controller.signal }).then(() => 'OK', (error: unknown) => classify(error).code));
		await until(() => waits.length === waiting);
		return { api, sent, waits, controllers, calls };
	};

	it('the first of two waiters aborts: a call made then waits 400 ms (the place it left), not 600', async () => {
		const { api, sent, waits, controllers, calls } = await queue(2);
		controllers[0]!.abort();
		expect(await calls[0]).toBe('ABORTED');
		const later = api.get('https://a.test/3').text();
		await until(() => waits.length === 3);
		// Before: [200, 400, 600] (the aborted waiter's token at 200 kept: every later call a token behind).
		expect(waits).toEqual([200, 400, 400]);
		expect([await calls[1], await later]).toEqual(['OK', 'ok']);
		// The waiter behind the aborted one went at its place (200 ms), before the call made after.
		expect(sent).toEqual(['/0', '/2', '/3']);
		api.close();
	});

	it('the middle one of three aborts: the last moves up a place, the first keeps its own', async () => {
		const { api, sent, waits, controllers, calls } = await queue(3);
		controllers[1]!.abort();
		expect(await calls[1]).toBe('ABORTED');
		const later = api.get('https://a.test/4').text();
		await until(() => waits.length === 4);
		// Before: [200, 400, 600, 800].
		expect(waits).toEqual([200, 400, 600, 600]);
		expect([await calls[0], await calls[2], await later]).toEqual(['OK', 'OK', 'ok']);
		expect(sent).toEqual(['/0', '/1', '/3', '/4']);
		api.close();
	});
});
