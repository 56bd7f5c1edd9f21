/**
 * Defect hunt, twenty-sixth round (failover seen by the service worker entry and by health). API.md: failover
 * answers a call with a mirror's good answer only; a mirror's 4xx of a read is no answer ("the primary's outcome
 * stands"). `fetchHandler` gives the page the server's failing answer for a failure nothing answered: the one
 * the call failed with, never a mirror's that failover set aside; health counts a call by its outcome
 * (`classify()`'s vocabulary: a 503 is a transient failure), never by a mirror's answer set aside.
 */
import ky from 'ky';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { failover } from '../../src/entries/failover.js';
import { health } from '../../src/entries/health.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { refusedUrl, serve, type RunningServer } from '../helpers/node-server.js';

/** Two loopback origins, each answering `<name> <status>`: the primary the status of `/status/<code>`, the mirror `?mirror=<code>`'s; and an origin that refuses connections. */
let primary: RunningServer;
let mirror: RunningServer;
let dead: string;
beforeAll(async () => {
	const origin = (name: string) => (request: Request) => {
		const url = new URL(request.url);
		const status = Number((name === 'primary' ? url.pathname.split('/')[2] : url.searchParams.get('mirror')) ?? 200);
		return new Response(`${name} ${status}`, { status, headers: { 'x-origin': name } });
	};
	[primary, mirror] = await Promise.all([serve(origin('primary')), serve(origin('mirror'))]);
	dead = await refusedUrl();
});
afterAll(async () => Promise.all([primary.close(), mirror.close()]));
afterEach(() => {
	vi.unstubAllGlobals();
});

/** The page's answer to `url` through a worker whose client fails `primaryUrl` over to the mirror origin. */
const pageGets = async (primaryUrl: string, path: string): Promise<[number, string | null, string]> => {
	const from = new URL(primaryUrl).origin;
	vi.stubGlobal('location', new URL(`${from}/sw.js`));
	const api = createClient({ name: `sw-h26-${Math.random()}`, retry: 0, retryBudget: false, breaker: false, failover: failover({ mirrors: { [from]: [mirror.url] } }) } as never);
	const handle = fetchHandler(api, { match: () => true });
	let answer: Promise<Response> | undefined;
	handle({ request: new Request(`${from}${path}`), respondWith: (response) => {
		answer = Promise.resolve(response);
	} });
	try {
		const response = await answer!;
		return [response.status, response.headers.get('steadfetch-error') ?? response.headers.get('x-origin'), await response.text()];
	} finally {
		api.close();
	}
};

describe('fetchHandler with failover: a mirror\'s 4xx set aside is not the page\'s answer', () => {
	it('the primary answers 503, the mirror 404: the page gets the primary\'s 503 as it was sent', async () => {
		// Before: [404, 'mirror', 'mirror 404']: the last failing answer kept, though the call failed with the primary's 503.
		expect(await pageGets(primary.url, '/status/503?mirror=404')).toEqual([503, 'primary', 'primary 503']);
		// Also a mirror's 410 or 401.
		expect(await pageGets(primary.url, '/status/502?mirror=410')).toEqual([502, 'primary', 'primary 502']);
		expect(await pageGets(primary.url, '/status/429?mirror=401')).toEqual([429, 'primary', 'primary 429']);
		// As before: the mirror's good answer is the page's; a 404 of the primary's own, the page's.
		expect(await pageGets(primary.url, '/status/503?mirror=200')).toEqual([200, 'mirror', 'mirror 200']);
		expect(await pageGets(primary.url, '/status/404?mirror=200')).toEqual([404, 'primary', 'primary 404']);
	});

	it('the primary\'s connection is refused, the mirror answers 404: the page gets the worker\'s 503 NETWORK', async () => {
		// Before: [404, 'mirror', 'mirror 404'].
		const [status, code] = await pageGets(dead, '/x?mirror=404');
		expect([status, code]).toEqual([503, 'NETWORK']);
	});
});

describe('health with failover: a call answered with its primary\'s failing answer counts as that failure', () => {
	it.each([
		['a 404', 404, 'HTTP_5XX', []],
		['a 410', 410, 'HTTP_5XX', []],
		// Each origin counts in its own scope (hunt 27): the failing mirror is unhealthy too.
		['a 503 of its own', 503, 'HTTP_5XX', ['https://eu.example']],
	])('throwHttpErrors: false, the primary 503, the mirror %s: the call resolves with the primary\'s 503, health counts HTTP_5XX', async (_, mirrorStatus, code, mirrorsUnhealthy) => {
		const fetch = (async (request: Request) => new Response('x', { status: new URL(request.url).origin === 'https://api.example' ? 503 : mirrorStatus })) as typeof globalThis.fetch;
		const api = createClient({ retry: 0, retryBudget: false, breaker: false, fetch, health: health(), failover: failover({ mirrors: { 'https://api.example': ['https://eu.example'] } }) } as never);
		const unhealthy: number[] = [];
		const others: string[] = [];
		api.on('scope:unhealthy', ({ scope, calls }) => (scope === 'https://api.example' ? unhealthy.push(calls) : others.push(scope)));
		const statuses: number[] = [];
		for (let call = 0; call < 10; call++) {
			statuses.push((await api.get('https://api.example/x', { throwHttpErrors: false })).status);
		}

		const { errorRate, topErrors } = api.stats()['https://api.example']!;
		// Before (a mirror's 404 or 410): [true, 0, [{ code: 'HTTP_4XX', count: 10 }], []]: the mirror's answer, set aside, was taken for the call's outcome.
		expect([statuses.every((status) => status === 503), errorRate, topErrors, unhealthy, others]).toEqual([true, 1, [{ code, count: 10 }], [10], mirrorsUnhealthy]);
		api.close();
	});

	it('as without a mirror; a mirror\'s good answer is the mirror\'s success, the primary\'s 503 before it a failure of the primary (hunt 27)', async () => {
		const fetch = (async (request: Request) => new Response('x', { status: new URL(request.url).origin === 'https://api.example' ? 503 : 200 })) as typeof globalThis.fetch;
		const api = createClient({ retry: 0, retryBudget: false, breaker: false, fetch, health: health(), failover: failover({ mirrors: { 'https://api.example': ['https://eu.example'] } }) } as never);
		expect((await api.get('https://api.example/x', { throwHttpErrors: false })).status).toBe(200);
		expect((await api.get('https://api.example/y', { throwHttpErrors: false, failover: false })).status).toBe(503);
		// Before hunt 27: [0.5, [{ code: 'HTTP_5XX', count: 1 }]]: the mirror's answer was counted as the primary's success.
		expect([api.stats()['https://api.example']!.errorRate, api.stats()['https://api.example']!.topErrors]).toEqual([1, [{ code: 'HTTP_5XX', count: 2 }]]);
		api.close();
	});
});

describe('fetchHandler: a call a hook stops (`ky.stop`) resolves with nothing, the page gets an answer', () => {
	/** The page's answer to `url` through a worker whose client retries once, and whose `beforeRetry` hook stops the call. */
	const stopped = async (url: string): Promise<[number, string | null, string] | string> => {
		vi.stubGlobal('location', new URL(`${new URL(url).origin}/sw.js`));
		const api = createClient({ name: `sw-h26-stop-${Math.random()}`, retry: { limit: 1, delay: () => 0 }, retryBudget: false, breaker: false, hooks: { beforeRetry: [() => ky.stop] } } as never);
		let answer: Promise<Response> | undefined;
		fetchHandler(api, { match: () => true })({ request: new Request(url), respondWith: (response) => {
			answer = Promise.resolve(response);
		} });
		try {
			return await answer!.then(async (response) => [response.status, response.headers.get('steadfetch-error') ?? response.headers.get('x-origin'), await response.text()], (error: unknown) => `rejected: ${String(error)}`);
		} finally {
			api.close();
		}
	};

	it('after a 503: the page gets that 503 as the server sent it', async () => {
		// Before: 'rejected: TypeError: Response body object should not be disturbed or locked' (a network error to the page).
		expect(await stopped(`${primary.url}/status/503`)).toEqual([503, 'primary', 'primary 503']);
	});

	it('after a refused connection: the page gets the worker\'s 503, saying the call was stopped', async () => {
		// Before: [503, 'UNKNOWN', "Cannot read properties of undefined (reading 'status')"].
		const answer = await stopped(`${dead}/x`);
		expect(answer).toEqual([503, 'UNKNOWN', expect.stringContaining('ky.stop')]);
	});
});
