/**
 * Defect hunt, twenty-sixth round (the service worker entry with failover). API.md: failover answers a call
 * with a mirror's good answer only; a mirror's 4xx of a read is no answer ("the primary's outcome stands").
 * `fetchHandler` gives the page "the server's last failing answer" for a failure nothing answered: the one
 * the call failed with, never a mirror's that failover set aside.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { failover } from '../../src/entries/failover.js';
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
