/**
 * The thirty-fourth round on the service worker (`fetchHandler`), a defect hunt: answers the worker makes again from
 * the server's (a delivered write's, the server's failing answer) with what the server sent on its status line.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { fetchEvent } from '../helpers/fetch-event.js';

/**
 * A loopback origin that writes its status line as the test names it (`/<status>/<reason phrase, percent-encoded>`, its
 * bytes as UTF-8): what fetch passes on as the server sent it, which `new Response()` may refuse.
 */
let server: Server;
let origin: string;
beforeAll(async () => {
	server = createServer((socket: Socket) => {
		socket.once('data', (data) => {
			const [, status, phrase] = String(data).split(' ')[1]!.split('/');
			socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 ${status} `), Buffer.from(decodeURIComponent(phrase!)), Buffer.from('\r\ncontent-type: text/plain\r\ncontent-length: 4\r\nconnection: close\r\n\r\nbody')]));
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

/** What the page gets for `init` to `/<status>/<phrase>` through a worker's client (no retries, no breaker). */
const through = async (status: number, phrase: string, init?: RequestInit): Promise<string> => {
	const api = createClient({ name: 'h34-sw-phrase', store: memoryStore, retry: 0, breaker: false, staleCache: false });
	try {
		const event = fetchEvent(`${origin}/${status}/${encodeURIComponent(phrase)}`, init);
		fetchHandler(api, { match: () => true })(event);
		return await event.answered.response!.then(async (response) => `${response.status} ${await response.text()} ${response.headers.get('steadfetch-delivered')}`, (error: Error) => `network error: ${error.message}`);
	} finally {
		api.close();
	}
};

describe('fetchHandler: a reason phrase `new Response()` refuses, from the server', () => {
	// A control character (fetch keeps it; a Response made in the worker takes tab, space, visible ASCII and bytes past 127
	// only), and text past Latin-1 (Node's fetch decodes the phrase as UTF-8).
	for (const phrase of ['Bad\u0001Thing', 'Dienst\u007fweg', 'サービス停止']) {
		it(`a delivered write answered 201 ${JSON.stringify(phrase)}: the page gets the 201, its bytes and Steadfetch-Delivered`, async () => {
			// Before: 'network error: Invalid statusText' (and a ByteString error for the third).
			expect(await through(201, phrase, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).toBe('201 body h34-sw-phrase');
		});

		it(`the server's failing 503 ${JSON.stringify(phrase)}: the page gets that 503 and its bytes, never a network error`, async () => {
			expect(await through(503, phrase)).toBe('503 body null');
		});
	}

	it('its neighbour: a reason phrase of Latin-1 stays as the server sent it', async () => {
		const api = createClient({ name: 'h34-sw-latin', store: memoryStore, retry: 0, breaker: false, staleCache: false });
		const event = fetchEvent(`${origin}/503/${encodeURIComponent('Indisponible ç')}`);
		fetchHandler(api, { match: () => true })(event);
		const response = await event.answered.response!;
		expect([response.status, response.statusText]).toEqual([503, 'Indisponible ç']);
		api.close();
	});
});

describe('fetchHandler: a status `new Response()` refuses, from the server (600–999: fetch passes it on)', () => {
	it('the server\'s failing 600: the page gets that answer as fetched, never a network error', async () => {
		// Before: 'network error: init["status"] must be in the range of 200 to 599, inclusive.'
		expect(await through(600, 'Weird')).toBe('600 body null');
		expect(await through(999, 'Odd')).toBe('999 body null');
	});
});

describe('fetchHandler: an app\'s error code no URI encoding takes (a lone surrogate)', () => {
	it('the page gets the 503 with the code in Steadfetch-Error (the surrogate as U+FFFD), never a network error', async () => {
		const api = createClient({ name: 'h34-sw-code', store: memoryStore, retry: 0, breaker: false, staleCache: false, fetch: (async () => new Response('{}')) as typeof fetch, hooks: { afterResponse: [() => {
			throw Object.assign(new Error('bad'), { code: 'E\uD800X', transient: false });
		}] } });
		const event = fetchEvent('https://app.example/api/todos');
		fetchHandler(api, { match: () => true })(event);
		const answer = await event.answered.response!.then((response) => [response.status, response.headers.get('steadfetch-error'), response.headers.get('steadfetch-retriable')], (error: Error) => `network error: ${error.message}`);
		api.close();
		// Before: 'network error: URI malformed'.
		expect(answer).toEqual([503, encodeURIComponent('E\uFFFDX'), 'false']);
	});
});
