/**
 * Request contexts (defect hunt, thirty-fourth round): a retry the caller forced with ky's `ky.retry()` (an
 * `afterResponse` hook), refused because its request context has no subrequest left, is told as every refused retry
 * is (API.md "Request contexts": `budget:exhausted` with reason `subrequests`, once per context; the scope's
 * `retriesRefused`), never as a retry made (`retry`). A fake `fetch` answers at once: no timing.
 */
import ky from 'ky';
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';

const fresh = () => ({ waitUntil: () => undefined });
const origin = 'https://api.test';

/** A client whose `fetch` answers `status` at once, what it sent, and the `budget:exhausted` reasons it told. */
const make = (status: number) => {
	const sent: string[] = [];
	const api = createClient({
		retry: { limit: 2, delay: () => 0 }, retryBudget: false, breaker: false,
		fetch: (async (request: Request) => {
			sent.push(new URL(request.url).pathname);
			return new Response(`answer ${sent.length}`, { status });
		}) as typeof globalThis.fetch,
	});
	const told: string[] = [];
	api.on('budget:exhausted', ({ reason }) => told.push(String(reason)));
	api.on('retry', ({ url }) => told.push(`retry ${new URL(url).pathname}`));
	return { api, sent, told };
};

/** A call whose `afterResponse` hook forces one retry of its first answer. */
const forcing = { throwHttpErrors: false, hooks: { afterResponse: [({ retryCount }: { retryCount: number }) => (retryCount === 0 ? ky.retry() : undefined)] } };
const outcome = async (promise: Promise<Response>): Promise<string> => promise.then(async (response) => `${response.status} ${await response.text()}`, (error: unknown) => classify(error).code);

describe('a retry forced with ky.retry() in a request context with no subrequest left', () => {
	for (const status of [200, 503]) {
		it(`(first answer ${status}) is not sent, and is told: budget:exhausted (subrequests) once per context, retriesRefused`, async () => {
			const { api, sent, told } = make(status);
			// subrequests 6: the first attempt takes the context's last one (6 − 5).
			const here = api.withContext(fresh(), { subrequests: 6 });
			expect(await outcome(here.get(`${origin}/forced`, forcing))).toBe('ABORTED');
			expect(await outcome(here.get(`${origin}/again`, forcing))).toBe('ABORTED');
			// Before: told ['retry /forced', 'retry /again'] and retriesRefused 0 — told as a retry made, then refused by the transport
			// unannounced; with the refusal told as it went out: ['retry /forced', 'subrequests', 'retry /again'].
			expect([sent, here.stats().subrequests, told, api.stats()[origin]?.retriesRefused, api.stats()[origin]?.retries]).toEqual([['/forced', '/again'], 2, ['subrequests'], 2, 0]);
			api.close();
		});
	}

	it('with subrequests left it is sent and counted, as outside a context', async () => {
		const { api, sent, told } = make(200);
		const here = api.withContext(fresh(), { subrequests: 7 });
		expect(await outcome(here.get(`${origin}/forced`, forcing))).toBe('200 answer 2');
		expect([sent, here.stats().subrequests, told, api.stats()[origin]?.retriesRefused, api.stats()[origin]?.retries]).toEqual([['/forced', '/forced'], 2, ['retry /forced'], 0, 1]);
		api.close();
	});
});

describe('a retry forced with ky.retry() with less than 50 ms left before its request\'s deadline (deadlineHeader)', () => {
	it('is not made, as any retry then (API.md "Request contexts"): the call ends with TIMEOUT, one attempt sent', async () => {
		const clock = new ManualClock(1_000_000);
		const sent: string[] = [];
		const api = createClient({
			clock, retry: { limit: 2, delay: () => 0 }, retryBudget: false, breaker: false, staleCache: false,
			baseUrl: `${origin}/`, deadlineHeader: 'request-timeout-ms',
			fetch: (async (request: Request) => {
				sent.push(`${new URL(request.url).pathname} ${request.headers.get('request-timeout-ms')}`);
				return new Response('ok');
			}) as typeof globalThis.fetch,
		});
		const here = api.withContext(fresh(), { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '1000' } }) });
		const late = { hooks: { afterResponse: [({ retryCount }: { retryCount: number }) => {
			if (retryCount === 0) {
				clock.advance(960); // 40 ms left.
				return ky.retry();
			}

			return undefined;
		}] } };
		// Before: '200 ok', the retry sent with 40 ms left (['/late 1000', '/late 40']).
		expect([await outcome(here.get('late', late)), sent]).toEqual(['TIMEOUT', ['/late 1000']]);
		api.close();
	});

	it('with 60 ms left it is made, carrying what is left', async () => {
		const clock = new ManualClock(1_000_000);
		const sent: string[] = [];
		const api = createClient({
			clock, retry: { limit: 2, delay: () => 0 }, retryBudget: false, breaker: false, staleCache: false,
			baseUrl: `${origin}/`, deadlineHeader: 'request-timeout-ms',
			fetch: (async (request: Request) => {
				sent.push(`${new URL(request.url).pathname} ${request.headers.get('request-timeout-ms')}`);
				return new Response('ok');
			}) as typeof globalThis.fetch,
		});
		const here = api.withContext(fresh(), { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '1000' } }) });
		const late = { hooks: { afterResponse: [({ retryCount }: { retryCount: number }) => {
			if (retryCount === 0) {
				clock.advance(940);
				return ky.retry();
			}

			return undefined;
		}] } };
		expect([await outcome(here.get('late', late)), sent]).toEqual(['200 ok', ['/late 1000', '/late 60']]);
		api.close();
	});
});
