/**
 * Request contexts keyed by the request (API.md "Request contexts", issue 43), through real request
 * contexts in workerd: each `fetch()` is one `dispatchFetch`, the clients are made once per isolate
 * (test/workerd-requests/workers/contexts.js). One subrequest count per `ctx` object, whatever
 * `withContext(ctx)` made it and by which client; a far deadline header is no error; the deadline
 * header never reaches another origin, also not through a redirect. Run `npm run build` first.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { startWorkers, type Harness } from './harness.js';

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

beforeAll(async () => {
	server = await serve(async (request) => {
		const url = new URL(request.url);
		hits.push({ origin: url.origin, path: url.pathname, deadline: request.headers.get('request-timeout-ms') });
		const [, kind, rest] = url.pathname.split('/');
		if (kind === 'fail') {
			return new Response('down', { status: 503 });
		}

		if (kind === 'away') {
			// To another origin (the same server under `localhost`).
			return new Response(null, { status: 302, headers: { location: `${mirror}/ok/${rest}` } });
		}

		if (kind === 'here') {
			return new Response(null, { status: 302, headers: { location: `/ok/${rest}` } });
		}

		return new Response(`hello ${url.pathname}`);
	});
	mirror = server.url.replace('127.0.0.1', 'localhost');
	harness = await startWorkers({ contexts: { file: join(workers, 'contexts.js'), options: { bindings: { ORIGIN: server.url, MIRROR: mirror } } } });
}, 60_000);

afterAll(async () => {
	await harness?.dispose();
	await server?.close();
});

beforeEach(() => {
	hits.length = 0;
	logFrom = harness.log.length;
});

afterEach(async () => {
	await new Promise((resolve) => setTimeout(resolve, 200));
	expect(harness.crossRequestWarnings(logFrom)).toEqual([]);
});

describe('one subrequest count per request context object', () => {
	it('a helper that calls withContext(ctx) per call does not start a new budget: 8 failing reads with retries, subrequests 14, send 9', async () => {
		const result = await harness.json<{ codes: string[]; subrequests: number; exhausted: unknown[] }>('contexts', '/helper?path=/fail/helper&n=8&subrequests=14');
		expect(result.codes).toEqual(Array.from({ length: 8 }, () => 'HTTP_5XX'));
		// 14 − 5 = 9: the 8 first attempts (never refused) and one retry; before, 8 × 3 = 24.
		expect(hits).toHaveLength(9);
		expect(result.subrequests).toBe(9);
		expect(result.exhausted).toEqual([{ reason: 'subrequests', retries: 9, allowed: 9 }]);
	}, 30_000);

	it('a second client\'s withContext(ctx) counts in the same budget, with the first one\'s limit; stats().subrequests says it', async () => {
		const result = await harness.json<{ first: number; second: number }>('contexts', '/two?path=/fail/two&subrequests=10');
		// Limit 10 − 5 = 5: the first client's first read and its 2 retries, its second read and 1 retry
		// (5), its third read alone (6), then the second client's three reads alone (9).
		expect(hits).toHaveLength(9);
		expect(result).toEqual({ first: 9, second: 9 });
	}, 30_000);
});

describe('the limit of a request context', () => {
	it('a helper\'s withContext(ctx) without subrequests came first (workerd\'s default 50): the app\'s withContext(ctx, { subrequests: 9 }) still fixes it', async () => {
		const result = await harness.json<{ count: number }>('contexts', '/late?path=/fail/late&subrequests=9');
		// The helper's read and its 2 retries (3); then the limit is 9 − 5 = 4: each of the app's three reads
		// alone, its retries refused (6). With the default kept (50), each would have had its 2 retries (12).
		expect(hits).toHaveLength(6);
		expect(result.count).toBe(6);
	}, 30_000);
});

describe('the deadline header', () => {
	const deadline = async (path: string, value?: string, extra = '') =>
		harness.json<{ status?: number; code?: string; message?: string; subrequests: number }>('contexts', `/deadline?path=${encodeURIComponent(path)}${extra}`, value === undefined ? {} : { headers: { 'request-timeout-ms': value } });

	it.each(['2147483648', '3000000000', '9007199254740993', '99999999999999999999'])('%s ms (beyond what a timer holds) is a far deadline: the call answers, bounded by its totalTimeout only', async (value) => {
		expect(await deadline('/ok/far', value)).toMatchObject({ status: 200 });
		expect(hits).toHaveLength(1);
		const sent = Number(hits[0]!.deadline);
		expect(sent).toBeGreaterThan(19_000);
		expect(sent).toBeLessThanOrEqual(20_000);
	}, 30_000);

	it.each(['2147483648', '3000000000'])('%s ms with totalTimeout: false: the call answers (was a RangeError for every call of the context)', async (value) => {
		expect(await deadline('/ok/far', value, '&unbounded=1')).toMatchObject({ status: 200 });
		expect(hits).toHaveLength(1);
	}, 30_000);

	it('2147483647 ms is a deadline as any', async () => {
		expect(await deadline('/ok/far', '2147483647')).toMatchObject({ status: 200 });
		expect(Number(hits[0]!.deadline)).toBeLessThanOrEqual(20_000);
	}, 30_000);

	it('a 302 from the client\'s own origin to another origin: followed, and the other origin never gets the header', async () => {
		const answer = await deadline('/away/leak', '5000');
		// As a fetch that followed it says.
		expect(answer).toMatchObject({ status: 200, redirected: true });
		expect(hits.map(({ origin, path }) => `${origin}${path}`)).toEqual([`${server.url}/away/leak`, `${mirror}/ok/leak`]);
		expect(Number(hits[0]!.deadline)).toBeGreaterThan(0);
		expect(hits[1]!.deadline).toBeNull();
		// Each hop steadfetch follows itself is a subrequest.
		expect(answer.subrequests).toBe(2);
	}, 30_000);

	it('a redirect within the own origin keeps the header (the time left)', async () => {
		expect(await deadline('/here/stay', '5000')).toMatchObject({ status: 200 });
		expect(hits.map(({ path }) => path)).toEqual(['/here/stay', '/ok/stay']);
		expect(Number(hits[1]!.deadline)).toBeGreaterThan(0);
		expect(Number(hits[1]!.deadline)).toBeLessThanOrEqual(5_000);
	}, 30_000);

	it('the caller\'s own redirect: \'manual\' is honoured (the 302 is the answer, nothing followed)', async () => {
		expect(await deadline('/away/manual', '5000', '&redirect=manual')).toMatchObject({ status: 302 });
		expect(hits.map(({ path }) => path)).toEqual(['/away/manual']);
	}, 30_000);
});
