/**
 * Defect hunt, fifteenth round, second pass: fetchHandler. Each test names the claim it holds the code to
 * (API.md, the README, the TSDoc).
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { serve } from '../helpers/node-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { fetchEvent as event } from '../helpers/fetch-event.js';

/** A real origin that notes each request (`METHOD /path`) in `hits` and answers what `answer(pathname)` gives. */
const recordingOrigin = async (answer: (pathname: string) => Response) => {
	const hits: string[] = [];
	const origin = await serve((request) => {
		const { pathname } = new URL(request.url);
		hits.push(`${request.method} ${pathname}`);
		return answer(pathname);
	});
	return { origin, hits };
};

type Options = Parameters<typeof createClient>[0];
/** A client whose fetch records the Request it is given and answers 200. */
const recording = (options: Options = {}) => {
	const sent: Request[] = [];
	const name = `h15b-${Math.random()}`;
	const api = createClient({ name, store: () => memoryStore(name), retry: 0, breaker: false, staleCache: false, ...options,
		fetch: async (input: Parameters<typeof fetch>[0]) => {
			sent.push(input as Request);
			return new Response('ok');
		} } as Options);
	return { api, sent, handle: fetchHandler(api, { match: () => true }) };
};

const fields = (request: Request) => ({ redirect: request.redirect, integrity: request.integrity, referrer: request.referrer, referrerPolicy: request.referrerPolicy, keepalive: request.keepalive });

describe('fetchHandler re-makes the page\'s request with what changes its answer or what the origin sees (TSDoc of fetchHandler: "Run one request of a page through the client: the same method, headers, body …")', () => {
	const url = 'https://app.example/api/items';
	it.each([
		['redirect: \'manual\'', { redirect: 'manual' }, { redirect: 'manual' }],
		['redirect: \'error\' (asked for as \'manual\': the handler refuses a redirect itself)', { redirect: 'error' }, { redirect: 'manual' }],
		// Not integrity: the page's browser checks the worker's answer against it (sixteenth round: the worker's fetch took a
		// mismatch for a dropped connection; test/unit/handler-hunt16-variants.test.ts, test/node/sw-hunt16-chromium.test.ts).
		['integrity (the page\'s browser checks it, the worker\'s fetch does not)', { integrity: 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' }, {}],
		['referrerPolicy: \'no-referrer\'', { referrerPolicy: 'no-referrer' }, { referrerPolicy: 'no-referrer' }],
		['referrer: \'\' (none)', { referrer: '' }, { referrer: '' }],
		['keepalive', { keepalive: true }, { keepalive: true }],
		['a POST with keepalive and redirect: \'manual\'', { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' }, keepalive: true, redirect: 'manual' }, { keepalive: true, redirect: 'manual' }],
	] as Array<[string, RequestInit, Partial<ReturnType<typeof fields>>]>)('%s reaches the worker\'s fetch', async (_, init, expected) => {
		const { api, sent, handle } = recording();
		try {
			const page = event(url, init);
			expect(handle(page)).toBe(true);
			expect((await page.answered.response!).status).toBe(200);
			expect(fields(sent[0]!)).toEqual({ ...fields(new Request(url)), ...expected });
		} finally {
			api.close();
		}
	});

	it('a page request that sets none of them keeps the client\'s own defaults (its redirect, referrerPolicy)', async () => {
		const { api, sent, handle } = recording({ redirect: 'error', referrerPolicy: 'origin' } as Options);
		try {
			const page = event(url);
			handle(page);
			await page.answered.response;
			await waitFor(() => sent.length === 1, 'the call sent');
			expect([sent[0]!.redirect, sent[0]!.referrerPolicy]).toEqual(['error', 'origin']);
		} finally {
			api.close();
		}
	});

	it('a page\'s abort ends the worker\'s call (its signal reaches the worker\'s fetch)', async () => {
		const name = `h15b-${Math.random()}`;
		let ended: unknown;
		let started = false;
		const api = createClient({ name, store: () => memoryStore(name), retry: 0, breaker: false, staleCache: false,
			fetch: async (input: Parameters<typeof fetch>[0]) => new Promise<Response>((_resolve, reject) => {
				started = true;
				(input as Request).signal.addEventListener('abort', () => {
					ended = 'aborted';
					reject((input as Request).signal.reason);
				});
			}) });
		try {
			const controller = new AbortController();
			const page = event(url, { signal: controller.signal });
			fetchHandler(api, { match: () => true })(page);
			const answer = page.answered.response!.then(() => 'answered', (error: Error) => error.name);
			await waitFor(() => started, 'the worker\'s fetch called');
			controller.abort();
			expect([await answer, ended]).toEqual(['AbortError', 'aborted']);
		} finally {
			api.close();
		}
	});
});

describe('fetchHandler with a real origin that redirects: a page\'s redirect mode is kept', () => {
	it('redirect: \'manual\' gets the redirect itself (302 and its Location), never the target; redirect: \'error\' never reaches the target; \'follow\' gets the target', async () => {
		const { origin, hits } = await recordingOrigin((pathname) => pathname === '/api/old' ? new Response(null, { status: 302, headers: { location: '/api/new' } }) : new Response('target'));
		const name = `h15b-${Math.random()}`;
		const api = createClient({ name, store: () => memoryStore(name), retry: 0, breaker: false, staleCache: false });
		const handle = fetchHandler(api, { match: () => true });
		const ask = async (init: RequestInit): Promise<string> => {
			const page = event(`${origin.url}/api/old`, init);
			handle(page);
			const response = await page.answered.response!;
			return `${response.status} ${response.headers.get('location') ?? await response.text()}`;
		};

		try {
			const manual = await ask({ redirect: 'manual' });
			const postManual = await ask({ method: 'POST', body: 'x', redirect: 'manual' });
			const error = await ask({ redirect: 'error' });
			expect([manual, postManual, error.startsWith('200')]).toEqual(['302 /api/new', '302 /api/new', false]);
			expect(hits).not.toContain('GET /api/new');
			expect(await ask({})).toBe('200 target');
		} finally {
			api.close();
			await origin.close();
		}
	});
});

describe('fetchHandler sends the page\'s URL as it is (TSDoc of fetchHandler: the page\'s request; a stored replay\'s URL is sent as stored): no client `searchParams` added', () => {
	it.each([
		['the same parameter in the page\'s URL', 'https://app.example/api/items?v=2', 'https://app.example/api/items?v=2'],
		['a page URL with no query', 'https://app.example/api/items', 'https://app.example/api/items'],
		['another parameter', 'https://app.example/api/items?page=3', 'https://app.example/api/items?page=3'],
	])('%s', async (_, pageUrl, expected) => {
		const { api, sent, handle } = recording({ searchParams: { v: '2' }, headers: { 'x-app': 'a1' } } as Options);
		try {
			const page = event(pageUrl, { headers: { 'x-page': 'p' } });
			handle(page);
			expect((await page.answered.response!).status).toBe(200);
			// The client's default headers still apply (they carry its credentials).
			expect([sent[0]!.url, sent[0]!.headers.get('x-app'), sent[0]!.headers.get('x-page')]).toEqual([expected, 'a1', 'p']);
		} finally {
			api.close();
		}
	});
});

describe('fetchHandler: a page\'s write the worker queues is stored with the page\'s URL as it is (no client `searchParams` added), and replayed so', () => {
	it('the stored entry\'s URL and the replay\'s URL are the page\'s', async () => {
		const name = `h15b-${Math.random()}`;
		const sent: string[] = [];
		let up = false;
		const api = createClient({ name, store: () => memoryStore(name), retry: 0, retryBudget: false, breaker: false, staleCache: false, searchParams: { v: '2' },
			outbox: outbox({ resumeJitterMs: 0, baseBackoffMs: 60_000 }),
			fetch: async (input: Parameters<typeof fetch>[0]) => {
				sent.push((input as Request).url);
				if (!up) {
					throw new TypeError('fetch failed');
				}

				return new Response(null, { status: 204 });
			} });
		try {
			const page = event('https://app.example/api/items?v=2', { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
			fetchHandler(api, { match: () => true })(page);
			expect((await page.answered.response!).status).toBe(202);
			const [entry] = await api.outbox.list();
			up = true;
			await api.outbox.flush();
			expect([entry!.url, sent]).toEqual(['https://app.example/api/items?v=2', ['https://app.example/api/items?v=2', 'https://app.example/api/items?v=2']]);
		} finally {
			api.close();
		}
	});
});

describe('fetchHandler: a page\'s `redirect: \'error\'` request the origin redirects is a network error to the page, as without the worker (README: "for a failure nothing answered, the server\'s last answer …, else 503"; the origin answered)', () => {
	it('a GET and a POST each reach the origin once, the page\'s fetch gets a network error, and nothing is queued; a 3xx without Location is the page\'s as it came', async () => {
		const { origin, hits } = await recordingOrigin((pathname) => pathname === '/old' ? new Response(null, { status: 307, headers: { location: '/new' } }) : pathname === '/choices' ? new Response('pick', { status: 300 }) : new Response('target'));
		const name = `h15b-${Math.random()}`;
		// The preset's retries (2) and an outbox: a redirect taken for a dropped connection was retried, and a write queued.
		const api = createClient({ name, store: () => memoryStore(name), breaker: false, staleCache: false, outbox: outbox({ resumeJitterMs: 0, baseBackoffMs: 60_000 }) });
		const handle = fetchHandler(api, { match: () => true });
		const ask = async (path: string, init: RequestInit): Promise<string> => {
			const page = event(`${origin.url}${path}`, { ...init, redirect: 'error' });
			handle(page);
			const response = await page.answered.response!;
			return response.type === 'error' ? 'network error' : `${response.status} ${await response.text()}`;
		};

		try {
			const seen = [await ask('/old', {}), await ask('/old', { method: 'POST', body: 'x' }), await ask('/choices', {})];
			expect([seen, hits, (await api.outbox.list()).length]).toEqual([['network error', 'network error', '300 pick'], ['GET /old', 'POST /old', 'GET /choices'], 0]);
		} finally {
			api.close();
			await origin.close();
		}
	});
});
