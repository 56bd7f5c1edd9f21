/**
 * Defect hunt, eighteenth round: the stale cache and the worker (area G). Each test names the claim it holds the code
 * to (API.md, the README, the TSDoc).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, isStale, memoryStore } from '../../src/entries/index.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { fetchEvent as event } from '../helpers/fetch-event.js';
import { waitFor } from '../helpers/wait-for.js';

type Options = Parameters<typeof createClient>[0];

afterEach(() => {
	vi.unstubAllGlobals();
});

describe('fetchHandler: a page\'s no-cors read of the worker\'s origin that the origin redirects (TSDoc of fetchHandler: "A `no-cors` request to the worker\'s own origin is still handled"; a page\'s no-cors request to another origin: "the page gets the browser\'s own opaque answer, and nothing is retried, counted by the breaker or queued")', () => {
	const app = 'https://app.example';
	/** A client whose origin answers `answer(request)`; what its fetch was given (method, URL, redirect mode, the client's header). */
	const origin = (answer: (request: Request) => Response, options: Options = {}) => {
		const sent: string[] = [];
		const name = `h18-${Math.random()}`;
		const api = createClient({ name, store: () => memoryStore(name), headers: { 'x-app': 'worker' }, staleCache: false, ...options,
			fetch: async (input: Parameters<typeof fetch>[0]) => {
				const request = input as Request;
				sent.push(`${request.method} ${request.url} ${request.redirect} ${request.headers.get('x-app')}`);
				return answer(request);
			} } as Options);
		return { api, sent };
	};
	/** Where the page's own request goes when the worker leaves it to the browser (the worker's global `fetch`). */
	const browser = () => {
		const asked: string[] = [];
		vi.stubGlobal('fetch', async (request: Request) => {
			asked.push(`${request.method} ${request.url} ${request.mode} ${request.redirect}`);
			return new Response(null, { status: 200, headers: { 'x-by': 'browser' } });
		});
		return asked;
	};

	it('a GET and a HEAD answered 302 to another origin: asked once by the client without following, then left to the browser as the page made it', async () => {
		vi.stubGlobal('location', new URL(`${app}/sw.js`));
		const asked = browser();
		const { api, sent } = origin(() => new Response(null, { status: 302, headers: { location: 'https://cdn.other.example/pixel' } }));
		try {
			const handle = fetchHandler(api, { match: new URLPattern({ pathname: '/api/*' }) });
			const seen = [];
			for (const method of ['GET', 'HEAD']) {
				const page = event(`${app}/api/avatar`, { method, mode: 'no-cors' });
				seen.push(handle(page), (await page.answered.response!).headers.get('x-by'));
			}

			// Before: the client followed the redirect in `cors` mode (a browser fails a hop to another origin without CORS
			// headers as a network error: retried, counted by the breaker; test/node/sw-hunt18-chromium.test.ts).
			expect([seen, sent, asked]).toEqual([
				[true, 'browser', true, 'browser'],
				[`GET ${app}/api/avatar manual worker`, `HEAD ${app}/api/avatar manual worker`],
				[`GET ${app}/api/avatar no-cors follow`, `HEAD ${app}/api/avatar no-cors follow`],
			]);
		} finally {
			api.close();
		}
	});

	it('a no-cors read answered 200 is the client\'s answer (its headers sent); a cors read follows redirects as before; a page\'s `manual` gets the redirect (a no-cors write: test/unit/sw-no-cors.test.ts)', async () => {
		vi.stubGlobal('location', new URL(`${app}/sw.js`));
		const asked = browser();
		const { api, sent } = origin((request) => new Response(request.url.endsWith('/moved') ? null : 'ok', request.url.endsWith('/moved') ? { status: 302, headers: { location: '/api/a' } } : {}));
		try {
			const handle = fetchHandler(api, { match: () => true });
			const statuses = [];
			for (const init of [{ mode: 'no-cors' }, { mode: 'cors' }, { mode: 'no-cors', redirect: 'manual' }] as RequestInit[]) {
				const page = event(`${app}/api/${init.redirect === 'manual' ? 'moved' : 'a'}`, init);
				handle(page);
				statuses.push((await page.answered.response!).status);
			}

			expect([statuses, sent, asked]).toEqual([
				[200, 200, 302],
				[`GET ${app}/api/a manual worker`, `GET ${app}/api/a follow worker`, `GET ${app}/api/moved manual worker`],
				[],
			]);
		} finally {
			api.close();
		}
	});
});

describe('a copy whose `Expires` is far ahead (CacheOptions.maxStaleMs: "freshness from `max-age`, or `Expires` − `Date`"; a failed read "answers with" a usable copy)', () => {
	/** A client over a store of its own whose origin answers `headers` once, then fails as `fail` says. */
	const setup = (name: string, headers: Record<string, string>) => {
		const store = memoryStore(name);
		const answers: Array<() => Response> = [() => new Response('fresh', { headers })];
		const api = createClient({ baseUrl: 'https://api.example/', name, store: () => store, retry: 0, breaker: false,
			staleCache: { shared: false, networkTimeoutMs: false },
			fetch: async () => (answers.shift() ?? (() => new Response('down', { status: 503 })))() } as Options);
		const seen: string[] = [];
		api.on('cache:stored', () => seen.push('stored'));
		api.on('storage:error', ({ operation }) => seen.push(`storage:error ${operation}`));
		return { api, seen };
	};

	it.each([
		['Expires in the year 9999', { expires: 'Fri, 31 Dec 9999 23:59:59 GMT' }],
		['Expires 100 years ahead of its Date', { expires: 'Sat, 01 Jan 2156 00:00:00 GMT', date: 'Wed, 01 Jan 2056 00:00:00 GMT' }],
		['Expires in the year 9999, must-revalidate (served while fresh)', { expires: 'Fri, 31 Dec 9999 23:59:59 GMT', 'cache-control': 'must-revalidate' }],
	])('%s: stored, then served (its ttl at most 2^31 s, as max-age\'s)', async (_, headers) => {
		const { api, seen } = setup(`h18-expires-${Math.random()}`, headers);
		try {
			await api.get('doc').text();
			await waitFor(() => seen.length > 0, 'the copy stored');
			const listed = (await api.cache.list()).map(({ url }) => url);
			// Before: [['stored', 'storage:error decode'], [], false, 'down', …]: its own record was unreadable (a lifetime over 2^31 s).
			const stale = await api.get('doc', { throwHttpErrors: false });
			expect([seen, listed, isStale(stale), await stale.text(), Number(/ttl=(-?\d+)/.exec(stale.headers.get('cache-status') ?? '')?.[1]) <= 2 ** 31]).toEqual([['stored'], ['https://api.example/doc'], true, 'fresh', true]);
		} finally {
			api.close();
		}
	});
});

describe('a URL with a sensitive query value in any response header (API.md "Sensitive data": query parameters listed in `sensitiveParams` are "Never written to storage")', () => {
	it('SourceMap, X-SourceMap and an app\'s own header naming a URL are stored without the value (as Link and Location were); other values byte for byte', async () => {
		const name = `h18-headers-${Math.random()}`;
		const store = memoryStore(name);
		const headers = {
			sourcemap: '/app.js.map?token=SECRET1',
			'x-sourcemap': 'https://cdn.example/app.js.map?X-Amz-Signature=SECRET2&v=1',
			'x-next-page': 'https://api.example/doc?page=2&access_token=SECRET3',
			'x-session': 'redirect to <https://api.example/login#id_token=SECRET4>; later',
			link: '</doc?page=2&api_key=SECRET5>; rel="next"',
			etag: '"v1#frag"',
			'x-plain': 'a=1;token=kept-no-url',
		};
		const api = createClient({ baseUrl: 'https://api.example/', name, store: () => store, retry: 0, breaker: false, staleCache: { shared: false, networkTimeoutMs: false },
			fetch: async () => new Response('x', { headers }) } as Options);
		const stored: string[] = [];
		api.on('cache:stored', ({ url }) => stored.push(url));
		try {
			await api.get('doc').text();
			await waitFor(() => stored.length === 1, 'the copy stored');
			const record = await store.get<{ headers: Array<[string, string]> }>((await store.keys()).find((key) => key.startsWith('r:'))!);
			// Before: sourcemap, x-sourcemap, x-next-page and x-session as sent, SECRET1 to SECRET4 in the store.
			expect(Object.fromEntries(record!.headers.filter(([header]) => header !== 'content-type'))).toEqual({
				sourcemap: '/app.js.map?token=',
				'x-sourcemap': 'https://cdn.example/app.js.map?X-Amz-Signature=&v=1',
				'x-next-page': 'https://api.example/doc?page=2&access_token=',
				'x-session': 'redirect to <https://api.example/login#id_token=>; later',
				link: '</doc?page=2&api_key=>; rel="next"',
				etag: '"v1#frag"',
				'x-plain': 'a=1;token=kept-no-url',
			});
		} finally {
			api.close();
		}
	});
});
