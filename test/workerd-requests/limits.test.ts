/**
 * A Worker within its limits (API.md "Request contexts", the four bullets of issue 37), through real
 * request contexts: each `fetch()` is one `dispatchFetch`, the clients are made once per isolate
 * (test/workerd-requests/workers/limits.js). The upstream is a loopback server; its mirror is the
 * same server under another origin (`localhost` for `127.0.0.1`).
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { startWorkers, until, type Harness } from './harness.js';

const workers = join(import.meta.dirname, 'workers');
let harness: Harness;
let server: RunningServer;
let mirror: string;
let logFrom = 0;

interface Hit {
	origin: string;
	path: string;
	deadline: string | null;
}

const hits: Hit[] = [];
/** What the app Worker recorded of its calls (`/results`). */
const results: unknown[] = [];
/** How the upstream answers: `/fail/*` 503 after 100 ms (so hedges go), `/ok/*` 200 unless `down`, `/held/*` never, `/later/*` 503 with Retry-After: 1. */
const state = { down: false };

beforeAll(async () => {
	server = await serve(async (request) => {
		const url = new URL(request.url);
		hits.push({ origin: url.origin, path: url.pathname, deadline: request.headers.get('request-timeout-ms') });
		const [, kind] = url.pathname.split('/');
		if (kind === 'held') {
			await new Promise((resolve) => {
				request.signal.addEventListener('abort', resolve);
				setTimeout(resolve, 5_000);
			});
		}

		if (kind === 'fail') {
			await new Promise((resolve) => setTimeout(resolve, 100));
			return new Response('down', { status: 503 });
		}

		if (kind === 'later') {
			return new Response('down', { status: 503, headers: { 'retry-after': '1' } });
		}

		return state.down ? new Response('down', { status: 503 }) : new Response(`hello ${url.pathname}`, { headers: { 'cache-control': 'max-age=0' } });
	});
	mirror = server.url.replace('127.0.0.1', 'localhost');
	const bindings = { ORIGIN: server.url, MIRROR: mirror };
	harness = await startWorkers({
		limits: { file: join(workers, 'limits.js'), options: { bindings } },
		app: { file: join(workers, 'limits.js'), options: { bindings, compatibilityFlags: ['enable_request_signal'] } },
		caller: { file: join(workers, 'caller.js'), options: { serviceBindings: { APP: 'app' } } },
	});
}, 60_000);

afterAll(async () => {
	await harness?.dispose();
	await server?.close();
});

beforeEach(() => {
	state.down = false;
	hits.length = 0;
	logFrom = harness.log.length;
});

afterEach(async () => {
	await new Promise((resolve) => setTimeout(resolve, 200));
	expect(harness.crossRequestWarnings(logFrom)).toEqual([]);
});

interface Fanout {
	codes: string[];
	subrequests: number;
	exhausted: Array<{ reason?: string; retries: number; allowed: number }>;
}

describe('subrequests: what steadfetch adds stops at subrequests − 5 per request context', () => {
	it('30 calls at once to a failing origin with retries, hedges and failover: at most 45 requests (the default 50 in workerd), each call ends with its last attempt\'s error, budget:exhausted once', async () => {
		const result = await harness.json<Fanout>('limits', '/fanout?path=/fail/fan&n=30');
		console.log(`[measured] 30 calls at once to a failing origin (retry 2, hedge after 50 ms, failover to a mirror, no breaker, no retry budget), one request context: ${hits.length} requests sent (primary ${hits.filter((hit) => hit.origin === server.url).length}, mirror ${hits.filter((hit) => hit.origin === mirror).length}); stats().subrequests ${result.subrequests}`);
		expect(hits.length).toBeLessThanOrEqual(45);
		expect(result.subrequests).toBe(hits.length);
		// Every caller's first attempt went out, whatever the count.
		expect(hits.filter((hit) => hit.origin === server.url).length).toBeGreaterThanOrEqual(30);
		expect(result.codes).toEqual(Array.from({ length: 30 }, () => 'HTTP_5XX'));
		expect(result.exhausted).toEqual([{ reason: 'subrequests', retries: 45, allowed: 45 }]);
	}, 30_000);

	it('a context\'s own limit: subrequests: 10 lets 5 through, and the callers\' first attempts are never refused', async () => {
		const result = await harness.json<Fanout>('limits', '/fanout?path=/fail/own&n=8&subrequests=10');
		expect(hits.length).toBe(8);
		expect(result.subrequests).toBe(8);
		expect(result.exhausted).toHaveLength(1);
	}, 30_000);

	it('a failover attempt is refused like a retry (not sent); within the limit the same call reaches the mirror', async () => {
		const limited = await harness.json<Fanout>('limits', '/fanout?path=/fail/one&n=1&subrequests=8');
		expect(limited.codes).toEqual(['HTTP_5XX']);
		expect(hits.filter((hit) => hit.origin === mirror)).toEqual([]);
		expect(hits.length).toBeLessThanOrEqual(3);
		expect(limited.subrequests).toBe(hits.length);
		hits.length = 0;
		const free = await harness.json<Fanout>('limits', '/fanout?path=/fail/two&n=1');
		expect(free.codes).toEqual(['HTTP_5XX']);
		expect(hits.filter((hit) => hit.origin === mirror).length).toBeGreaterThan(0);
		expect(free.subrequests).toBe(hits.length);
	}, 30_000);

	it('a read whose retry was refused for it is answered by its stored copy, detail=subrequests', async () => {
		expect(await harness.json('limits', '/stale?path=/ok/copy')).toMatchObject({ status: 200, cacheStatus: null, subrequests: 1 });
		state.down = true;
		let answer: Record<string, unknown> = {};
		// The copy is written behind the first request (its waitUntil): asked until it is there.
		await until(async () => {
			hits.length = 0;
			answer = await harness.json('limits', '/stale?path=/ok/copy&subrequests=6');
			return answer['status'] === 200;
		}, 10_000, 'the stored copy');
		expect(answer).toMatchObject({ status: 200, reasons: ['subrequests'], subrequests: 1 });
		expect((answer as { cacheStatus: string }).cacheStatus).toMatch(/; detail=subrequests$/);
		expect(hits).toHaveLength(1);
		// Within its limit, the same read is retried (ky's 2) and answered stale for the origin's 5xx.
		hits.length = 0;
		expect(await harness.json('limits', '/stale?path=/ok/copy')).toMatchObject({ status: 200, reasons: ['http-5xx'], subrequests: 3 });
		expect(hits).toHaveLength(3);
	}, 30_000);

	it('a bad subrequests option is a RangeError naming it', async () => {
		for (const bad of ['0', '2.5', '-1']) {
			expect(await harness.json('limits', `/fanout?path=/ok/x&n=1&subrequests=${bad}`)).toEqual({ thrown: 'RangeError', message: `\`subrequests\` must be a positive integer or Infinity; got ${Number(bad)}` });
		}

		expect(hits).toEqual([]);
	}, 30_000);
});

describe('the request\'s end: withContext(ctx, { request })', () => {
	it('the caller goes away: the call in flight is aborted (its upstream request too), and a call made after rejects before any I/O', async () => {
		expect(await (await harness.fetch('caller', '/?path=/held/end&ms=300')).text()).toMatch(/^gave up/);
		await until(async () => (await harness.json<unknown[]>('app', '/results').then((found) => {
			results.push(...found);
			return results.length > 0;
		})), 10_000, 'the app to record its calls');
		expect(results).toEqual([{ first: 'ABORTED', second: 'ABORTED', aborted: true }]);
		expect(hits.map(({ path }) => path)).toEqual(['/held/end']);
	}, 30_000);
});

describe('the request\'s deadline: deadlineHeader', () => {
	const deadline = async (path: string, value?: string) =>
		harness.json<{ status?: number; code?: string; ms: number }>('limits', `/deadline?path=${encodeURIComponent(path)}`, value === undefined ? {} : { headers: { 'request-timeout-ms': value } });

	it('an attempt still pending at the deadline ends the call with TIMEOUT; the upstream was told the time left', async () => {
		const answer = await deadline('/held/deadline', '300');
		expect(answer.code).toBe('TIMEOUT');
		expect(answer.ms).toBeLessThan(1_500);
		expect(hits).toHaveLength(1);
		expect(Number(hits[0]!.deadline)).toBeGreaterThan(0);
		expect(Number(hits[0]!.deadline)).toBeLessThanOrEqual(300);
	}, 30_000);

	it('a retry that could not start before the deadline is not made: the call ends with its last attempt\'s error, at once (its Retry-After: 1 passes the 300 ms deadline)', async () => {
		const answer = await deadline('/later/deadline', '300');
		expect(answer.code).toBe('HTTP_5XX');
		// Not when the deadline comes (defect hunt, seventeenth round: ms was ~300).
		expect(answer.ms).toBeLessThan(200);
		expect(hits).toHaveLength(1);
	}, 30_000);

	it('a value that is not a non-negative integer is ignored: the header carries the call\'s own totalTimeout', async () => {
		for (const value of ['abc', '-5', '1.5', '']) {
			hits.length = 0;
			expect(await deadline('/ok/ignored', value)).toMatchObject({ status: 200 });
			const sent = Number(hits[0]!.deadline);
			expect(sent).toBeGreaterThan(19_000);
			expect(sent).toBeLessThanOrEqual(20_000);
		}
	}, 30_000);

	it('other origins never get the header', async () => {
		const answer = await harness.json('limits', `/deadline?path=${encodeURIComponent('/ok/elsewhere')}&mirror=1`, { headers: { 'request-timeout-ms': '5000' } });
		expect(answer).toMatchObject({ status: 200 });
		expect(hits).toEqual([{ origin: mirror, path: '/ok/elsewhere', deadline: null }]);
	}, 30_000);
});
