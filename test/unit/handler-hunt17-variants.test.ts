/**
 * Defect hunt, seventeenth round: fetchHandler and the service worker. Each test names the claim it holds
 * the code to (API.md, the README, the TSDoc, the lead's decisions of the round).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { fetchEvent as event } from '../helpers/fetch-event.js';
import { waitFor } from '../helpers/wait-for.js';

type Options = Parameters<typeof createClient>[0];
/** A client whose fetch records the URL of each Request it is given and answers 200. */
const recording = (options: Options = {}) => {
	const sent: string[] = [];
	const name = `h17-${Math.random()}`;
	const api = createClient({ name, store: () => memoryStore(name), retry: 0, breaker: false, staleCache: false, ...options,
		fetch: async (input: Parameters<typeof fetch>[0]) => {
			sent.push(`${(input as Request).method} ${(input as Request).url}`);
			return new Response('ok');
		} } as Options);
	return { api, sent };
};

afterEach(() => {
	vi.unstubAllGlobals();
});

describe('fetchHandler leaves a page\'s cross-origin `mode: \'no-cors\'` request alone (decided this round; TSDoc of fetchHandler: "false for a request it leaves alone … and a page\'s `mode: \'no-cors\'` request to another origin")', () => {
	const app = 'https://app.example';
	const api3 = 'https://cdn.other.example';
	const matches: Array<[string, () => Parameters<typeof fetchHandler>[1]['match']]> = [
		['a function that takes everything', () => () => true],
		['a URLPattern naming the other origin\'s hostname', () => new URLPattern({ hostname: 'cdn.other.example' })],
	];

	it.each(matches)('with %s: a no-cors GET, HEAD and POST to another origin return false and send nothing; the same requests in cors mode are handled', async (_, match) => {
		vi.stubGlobal('location', new URL(`${app}/sw.js`));
		const { api, sent } = recording();
		const handle = fetchHandler(api, { match: match() });
		try {
			const seen = [];
			for (const method of ['GET', 'HEAD', 'POST']) {
				const init = { method, ...method === 'POST' ? { body: 'x' } : {} };
				const opaque = event(`${api3}/pixel?m=${method}`, { ...init, mode: 'no-cors' });
				seen.push(handle(opaque), opaque.answered.response !== undefined);
				const cors = event(`${api3}/data?m=${method}`, init);
				seen.push(handle(cors), (await cors.answered.response!).status);
			}

			expect([seen, sent]).toEqual([
				[false, false, true, 200, false, false, true, 200, false, false, true, 200],
				['GET', 'HEAD', 'POST'].map((method) => `${method} ${api3}/data?m=${method}`),
			]);
		} finally {
			api.close();
		}
	});

	it('a same-origin no-cors request (the worker\'s own origin) is still handled, with a pattern that names no hostname and with a function', async () => {
		vi.stubGlobal('location', new URL(`${app}/sw.js`));
		const { api, sent } = recording();
		try {
			const seen = [];
			for (const match of [new URLPattern({ pathname: '/api/*' }), () => true]) {
				const handle = fetchHandler(api, { match });
				const page = event(`${app}/api/a`, { mode: 'no-cors' });
				seen.push(handle(page), (await page.answered.response!).status);
			}

			expect([seen, sent]).toEqual([[true, 200, true, 200], [`GET ${app}/api/a`, `GET ${app}/api/a`]]);
		} finally {
			api.close();
		}
	});

	it('outside a worker (no `location`: no own origin), a no-cors request with a function match is left alone', () => {
		vi.stubGlobal('location', undefined);
		const { api, sent } = recording();
		try {
			const handle = fetchHandler(api, { match: () => true });
			expect([handle(event(`${app}/api/a`, { mode: 'no-cors' })), sent]).toEqual([false, []]);
		} finally {
			api.close();
		}
	});
});

/** The digest `sha256-…` of the origin's body `body`. */
const right = 'sha256-Iw2DWNyOiJC0xY3utikS7i8gNXrpKlzIYbmOaP4xrLU=';

describe('fetchHandler: a page\'s request with `integrity` gets no stale copy (decided this round: "A call with `integrity` gets no stale copy (its bytes could not be checked): it fails as it would without a cache")', () => {
	it.each([
		['the origin answering 503', 'status', '503 down'],
		['the origin unreachable (a dropped connection)', 'drop', '503 NETWORK'],
	])('with %s: a GET and a HEAD with integrity get what they would without a cache, the copy still answers a plain GET', async (_, failure, expected) => {
		let up = true;
		const name = `h17-${Math.random()}`;
		const api = createClient({ name, store: () => memoryStore(name), retry: 0, breaker: false,
			fetch: async (input: Parameters<typeof fetch>[0]) => {
				if (up) {
					return new Response('body', { headers: { 'cache-control': 'max-age=0' } });
				}

				if (failure === 'drop') {
					throw new TypeError('fetch failed');
				}

				return new Response((input as Request).method === 'HEAD' ? null : 'down', { status: 503 });
			} } as Options);
		const handle = fetchHandler(api, { match: () => true });
		const ask = async (init: RequestInit): Promise<string> => {
			const page = event('https://api.example/a', init);
			handle(page);
			const response = await page.answered.response!;
			const text = await response.text();
			return `${response.status} ${response.headers.get('steadfetch-error') ?? (response.headers.get('cache-status')?.includes('hit') ? 'copy' : text)}`;
		};

		try {
			const first = await ask({});
			await waitFor(async () => (await api.cache.list()).length === 1, 'the copy stored');
			up = false;
			expect([first, await ask({ integrity: right }), await ask({ method: 'HEAD', integrity: right }), await ask({})])
				.toEqual(['200 body', expected, expected.replace(' down', ' '), '200 copy']);
		} finally {
			api.close();
		}
	});
});

describe('fetchHandler: a page\'s request with `integrity` is not stored as a copy either (TSDoc of fetchHandler: "such a request gets no stale copy, nor is its answer stored")', () => {
	it('a GET with integrity answered 200 leaves no copy, where a plain GET after it stores one', async () => {
		const name = `h17-${Math.random()}`;
		const api = createClient({ name, store: () => memoryStore(name), retry: 0, breaker: false,
			fetch: async () => new Response('body', { headers: { 'cache-control': 'max-age=0' } }) } as Options);
		const handle = fetchHandler(api, { match: () => true });
		try {
			for (const [path, init] of [['/checked', { integrity: right }], ['/plain', {}]] as const) {
				const page = event(`https://api.example${path}`, init);
				handle(page);
				expect(await (await page.answered.response!).text()).toBe('body');
			}

			await waitFor(async () => (await api.cache.list()).length > 0, 'the plain GET\'s copy stored');
			expect((await api.cache.list()).map((copy) => new URL(copy.url).pathname)).toEqual(['/plain']);
		} finally {
			api.close();
		}
	});
});

describe('fetchHandler: a page\'s multipart body reaches the origin as the page sent it, its boundary aside (TSDoc of fetchHandler: "Run one request of a page through the client: the same method, headers, body")', () => {
	/** The body with its boundary (from its Content-Type) written as `BOUNDARY`. */
	const unbounded = (type: string | null, body: string): string => body.replaceAll(/boundary=("?)([^";]+)\1/i.exec(type ?? '')?.[2] ?? '\u0000', 'BOUNDARY');
	const part = (headers: string, value: string) => `--XyZ\r\n${headers}\r\n\r\n${value}\r\n`;
	const made = new FormData();
	made.append('title', 'a "quoted"\r\nline');
	made.append('photo', new File(['bytes'], 'p.jpg', { type: 'image/jpeg' }));
	const latin1 = new Uint8Array([...new TextEncoder().encode(part('Content-Disposition: form-data; name="city"', 'X')).slice(0, -3), 0xe9, 0x0d, 0x0a, ...new TextEncoder().encode('--XyZ--\r\n')]);

	it.each([
		['a field part with its own Content-Type (a JSON part, as a Spring `@RequestPart` reads it)', `${part('Content-Disposition: form-data; name="meta"\r\nContent-Type: application/json', '{"a":1}')}${part('Content-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain', 'hi')}--XyZ--\r\n`],
		['a part with a header FormData does not keep (Content-Transfer-Encoding)', `${part('Content-Disposition: form-data; name="note"\r\nContent-Transfer-Encoding: 8bit', 'n')}--XyZ--\r\n`],
		['a field whose bytes are not UTF-8 (a Latin-1 form)', latin1],
		['a browser\'s own FormData', made],
	] as Array<[string, BodyInit]>)('%s', async (_, body) => {
		const page = new Request('https://api.example/upload', { method: 'POST', body, ...body instanceof FormData ? {} : { headers: { 'content-type': 'multipart/form-data; boundary=XyZ' } } });
		const sent = new TextDecoder('latin1').decode(await page.clone().arrayBuffer());
		const received: string[] = [];
		const name = `h17-${Math.random()}`;
		const api = createClient({ name, store: () => memoryStore(name), retry: 0, breaker: false, staleCache: false,
			fetch: async (input: Parameters<typeof fetch>[0]) => {
				received.push(unbounded((input as Request).headers.get('content-type'), new TextDecoder('latin1').decode(await (input as Request).arrayBuffer())));
				return new Response('ok');
			} } as Options);
		try {
			const handle = fetchHandler(api, { match: () => true });
			const answered = { response: undefined as Promise<Response> | undefined };
			handle({ request: page, respondWith: (response) => {
				answered.response = Promise.resolve(response);
			} });
			expect((await answered.response!).status).toBe(200);
			expect(received).toEqual([unbounded(page.headers.get('content-type'), sent)]);
		} finally {
			api.close();
		}
	});
});
