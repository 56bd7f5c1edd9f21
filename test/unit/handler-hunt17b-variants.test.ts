/**
 * Defect hunt, seventeenth round, second pass: fetchHandler and the service worker (area H). Each test names the claim
 * it holds the code to (the TSDoc of fetchHandler, the README's service-worker recipe).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { fetchEvent as event } from '../helpers/fetch-event.js';
import { serve } from '../helpers/node-server.js';

type Options = Parameters<typeof createClient>[0];
/** A client whose fetch records each Request it is given (method, URL, cache mode) and answers 200. */
const recording = (options: Options = {}) => {
	const sent: string[] = [];
	const name = `h17b-${Math.random()}`;
	const api = createClient({ name, store: () => memoryStore(name), retry: 0, breaker: false, ...options,
		fetch: async (input: Parameters<typeof fetch>[0]) => {
			sent.push(`${(input as Request).method} ${(input as Request).url} ${(input as Request).cache}`);
			return new Response('ok', { headers: { 'cache-control': 'max-age=60' } });
		} } as Options);
	return { api, sent };
};

afterEach(() => {
	vi.unstubAllGlobals();
});

describe('fetchHandler leaves a page\'s `cache: \'only-if-cached\'` request alone, as a `no-store` one (TSDoc of fetchHandler: the client sends the page\'s request with its "cache mode"; a request made in the worker cannot carry `only-if-cached`, which needs the page\'s same-origin mode)', () => {
	const app = 'https://app.example';
	it.each([
		['a URLPattern of the worker\'s own origin', () => new URLPattern({ pathname: '/api/*' })],
		['a function that takes everything', () => () => true],
	] as Array<[string, () => Parameters<typeof fetchHandler>[1]['match']]>)('with %s: it returns false and nothing is sent (the browser answers from its own cache, or fails); the page\'s other cache modes are still handled', async (_, match) => {
		vi.stubGlobal('location', new URL(`${app}/sw.js`));
		const { api, sent } = recording();
		const handle = fetchHandler(api, { match: match() });
		try {
			const cached = event(`${app}/api/a`, { cache: 'only-if-cached', mode: 'same-origin' });
			// Before: true, and 'GET https://app.example/api/a default' sent: the page that asked for no network got the network.
			expect([handle(cached), cached.answered.response]).toEqual([false, undefined]);
			const seen = [];
			for (const cache of ['force-cache', 'reload', 'no-cache', 'default'] as RequestCache[]) {
				const page = event(`${app}/api/b`, { cache, mode: 'same-origin' });
				seen.push(handle(page), (await page.answered.response!).status);
			}

			expect(seen).toEqual([true, 200, true, 200, true, 200, true, 200]);
			expect(sent).toEqual([`GET ${app}/api/b force-cache`, `GET ${app}/api/b reload`, `GET ${app}/api/b no-cache`, `GET ${app}/api/b default`]);
		} finally {
			api.close();
		}
	});
});

describe('fetchHandler: what a page sees of a redirected answer (TSDoc of fetchHandler, README service-worker recipe: "The server\'s answer reaches the page as fetched (its `url`, `redirected` and `type` too), except one the worker must make again … a delivered write\'s … and the server\'s last failing answer")', () => {
	it('a GET redirected to /new keeps its url, redirected and type; a POST answered 303 to /new (a delivered write: Steadfetch-Delivered) and a GET redirected to a 503 (the server\'s last failing answer) carry none', async () => {
		const server = await serve((request) => {
			const { pathname } = new URL(request.url);
			return pathname === '/new' ? new Response('new') : pathname === '/gone' ? new Response('gone', { status: 503 })
				: new Response(null, { status: pathname === '/old' ? 303 : 302, headers: { location: pathname === '/down' ? '/gone' : '/new' } });
		});
		const api = createClient({ name: 'h17b-redirect', store: () => memoryStore('h17b-redirect'), retry: 0, breaker: false, staleCache: false } as Options);
		const handle = fetchHandler(api, { match: () => true });
		try {
			const seen = [];
			for (const [path, method] of [['/get', 'GET'], ['/old', 'POST'], ['/down', 'GET']] as const) {
				const page = event(`${server.url}${path}`, { method, ...method === 'POST' && { body: 'x' } });
				handle(page);
				const answer = await page.answered.response!;
				seen.push([path, answer.status, answer.url.replace(server.url, ''), answer.redirected, answer.type, answer.headers.has('steadfetch-delivered')]);
			}

			// In a browser, the page's `url` of the last two is the URL it asked for (a Response made in a worker has none).
			expect(seen).toEqual([['/get', 200, '/new', true, 'basic', false], ['/old', 200, '', false, 'default', true], ['/down', 503, '', false, 'default', false]]);
		} finally {
			api.close();
			await server.close();
		}
	});
});
