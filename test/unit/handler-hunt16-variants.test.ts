/**
 * Defect hunt, sixteenth round: fetchHandler and request bodies. Each test names the claim it holds
 * the code to (API.md, the README, the TSDoc).
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { serve } from '../helpers/node-server.js';
import { fetchEvent as event } from '../helpers/fetch-event.js';

/** The digest `sha256-…` of the origin's body `body`; `wrong` is the empty string's. */
const right = 'sha256-Iw2DWNyOiJC0xY3utikS7i8gNXrpKlzIYbmOaP4xrLU=';
const wrong = 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

describe('fetchHandler: a page\'s `integrity` is the page\'s check, never a dropped connection (TSDoc of fetchHandler: the page\'s request "with its … integrity"; README "Service worker": for a failure nothing answered, the server\'s last answer, else 503; an origin that answered has answered)', () => {
	it('a GET and a POST whose body does not match reach the origin once each (no retry), nothing is queued, and the breaker is not opened by them; the page gets the origin\'s answer for its browser to check', async () => {
		const hits: string[] = [];
		const origin = await serve((request) => {
			hits.push(`${request.method} ${new URL(request.url).pathname}`);
			return new Response('body', { headers: { 'cache-control': 'max-age=0' } });
		});
		const name = `h16-${Math.random()}`;
		// The preset's retries (2), its breaker and stale cache, and an outbox.
		const api = createClient({ name, store: () => memoryStore(name), outbox: outbox({ resumeJitterMs: 0, baseBackoffMs: 60_000 }) });
		const handle = fetchHandler(api, { match: () => true });
		const ask = async (path: string, init: RequestInit): Promise<string> => {
			const page = event(`${origin.url}${path}`, init);
			handle(page);
			const response = await page.answered.response!;
			return `${response.status} ${response.headers.get('cache-status') ?? ''}${await response.text()}`;
		};

		try {
			const seen = [];
			for (let i = 0; i < 3; i++) {
				seen.push(await ask('/a', { integrity: wrong }), await ask('/p', { method: 'POST', body: 'x', integrity: wrong }));
			}

			seen.push(await ask('/a', { integrity: right }), await ask('/a', {}));
			// The last plain GET reaches the origin: the breaker was not opened by the page's checks.
			expect([seen, hits, (await api.outbox.list()).length]).toEqual([
				[...Array.from({ length: 3 }, () => ['200 body', '200 body']).flat(), '200 body', '200 body'],
				[...Array.from({ length: 3 }, () => ['GET /a', 'POST /p']).flat(), 'GET /a', 'GET /a'],
				0,
			]);
		} finally {
			api.close();
			await origin.close();
		}
	});
});

type Options = Parameters<typeof createClient>[0];
/** A client whose fetch records the Request it is given and answers 200. */
const recording = (options: Options = {}) => {
	const sent: Request[] = [];
	/** Each sent body's text (null: none). */
	const bodies: Array<string | null> = [];
	const name = `h16-${Math.random()}`;
	const api = createClient({ name, store: () => memoryStore(name), retry: 0, breaker: false, staleCache: false, ...options,
		fetch: async (input: Parameters<typeof fetch>[0]) => {
			sent.push(input as Request);
			bodies.push((input as Request).body ? await (input as Request).clone().text() : null);
			return new Response('ok');
		} } as Options);
	return { api, sent, bodies, handle: fetchHandler(api, { match: () => true }) };
};

describe('fetchHandler: "what the page left at its default keeps the client\'s own" (TSDoc of fetchHandler) holds for its credentials and cache mode too', () => {
	const url = 'https://api.example/items';
	it.each([
		['a page that sets neither: the client\'s credentials and cache', {}, ['include', 'no-cache']],
		['a page\'s credentials: \'omit\' and cache: \'reload\': the page\'s', { credentials: 'omit', cache: 'reload' }, ['omit', 'reload']],
		// A page's cache: 'only-if-cached' is left alone (it needs the page's same-origin mode): handler-hunt17b-variants.test.ts.
	] as Array<[string, RequestInit, [string, string]]>)('%s', async (_, init, expected) => {
		const { api, sent, handle } = recording({ credentials: 'include', cache: 'no-cache' } as Options);
		try {
			const page = event(url, init);
			expect(handle(page)).toBe(true);
			expect((await page.answered.response!).status).toBe(200);
			expect([sent[0]!.credentials, sent[0]!.cache]).toEqual(expected);
		} finally {
			api.close();
		}
	});

	it('a client that sets neither: fetch\'s defaults, and the page\'s own when it sets them', async () => {
		const { api, sent, handle } = recording();
		try {
			for (const init of [{}, { credentials: 'include', cache: 'no-cache' }] as RequestInit[]) {
				const page = event(url, init);
				handle(page);
				await page.answered.response;
			}

			expect(sent.map((request) => [request.credentials, request.cache])).toEqual([['same-origin', 'default'], ['include', 'no-cache']]);
		} finally {
			api.close();
		}
	});
});

describe('fetchHandler: a page\'s referrer policy as a real service worker sees it: a page that set none arrives with the browser\'s default filled in (`strict-origin-when-cross-origin`), which keeps the client\'s own (TSDoc of fetchHandler: "what the page left at its default keeps the client\'s own")', () => {
	const url = 'https://api.example/items';
	it.each([
		['the browser\'s default filled in (Chromium gives a page\'s fetch(url) to its worker so): the client\'s', { referrerPolicy: 'strict-origin-when-cross-origin' }, 'no-referrer'],
		['none (as a Request made here has it): the client\'s', {}, 'no-referrer'],
		['one the page set: the page\'s', { referrerPolicy: 'unsafe-url' }, 'unsafe-url'],
	] as Array<[string, RequestInit, string]>)('%s', async (_, init, expected) => {
		const { api, sent, handle } = recording({ referrerPolicy: 'no-referrer' } as Options);
		try {
			const page = event(url, init);
			handle(page);
			expect((await page.answered.response!).status).toBe(200);
			expect(sent[0]!.referrerPolicy).toBe(expected);
		} finally {
			api.close();
		}
	});
});

describe('fetchHandler: a page\'s request without a body goes without one (TSDoc of fetchHandler: "the same method, headers, body"), never with an empty one (which sends `Content-Length: 0` on a DELETE or OPTIONS)', () => {
	const url = 'https://api.example/items/1';
	it.each(['DELETE', 'OPTIONS', 'PATCH', 'POST'])('a %s without a body', async (method) => {
		const { api, sent, handle } = recording();
		try {
			const page = event(url, { method });
			handle(page);
			expect((await page.answered.response!).status).toBe(200);
			expect([sent[0]!.method, sent[0]!.body === null]).toEqual([method, true]);
		} finally {
			api.close();
		}
	});

	it('a DELETE with a body still has it', async () => {
		const { api, bodies, handle } = recording();
		try {
			const page = event(url, { method: 'DELETE', body: '{"why":"spam"}', headers: { 'content-type': 'application/json' } });
			handle(page);
			await page.answered.response;
			expect(bodies).toEqual(['{"why":"spam"}']);
		} finally {
			api.close();
		}
	});
});
