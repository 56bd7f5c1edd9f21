/** steadfetch/sw: what the page gets back for a server answer the client threw on (a transient status), byte for byte. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { fetchHandler, outboxSyncHandler } from '../../src/entries/sw.js';
import { createClient as createCore } from '../../src/entries/core.js';
import { auth } from '../../src/entries/auth.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { serve } from '../helpers/node-server.js';
import { fetchEvent as event } from '../helpers/fetch-event.js';

afterEach(() => {
	vi.unstubAllGlobals();
});

describe('fetchHandler: the server\'s answer to a failed call', () => {
	it('a 503 or 429 reaches the page with the server\'s bytes: JSON as sent (spacing kept), malformed JSON, text and binary', async () => {
		const bodies: Record<string, [string, Uint8Array<ArrayBuffer>]> = {
			spaced: ['application/json', new TextEncoder().encode('{ "error" : "down",\n  "retry": 1 }')],
			malformed: ['application/json', new TextEncoder().encode('Service Unavailable')],
			text: ['text/plain; charset=utf-8', new TextEncoder().encode('busy — try later')],
			binary: ['application/octet-stream', new Uint8Array([0, 255, 128, 10, 200, 1])],
		};
		const origin = await serve((request) => {
			const [, kind = '', status = '503'] = new URL(request.url).pathname.split('/');
			const [type, body] = bodies[kind]!;
			return new Response(body, { status: Number(status), headers: { 'content-type': type, 'x-kind': kind } });
		});
		vi.stubGlobal('location', new URL(`${origin.url}/sw.js`));
		const api = createClient({ name: `sw-${Math.random()}`, store: () => memoryStore(`sw-${Math.random()}`), retry: 0, breaker: false });
		const handle = fetchHandler(api, { match: () => true });
		try {
			for (const status of [503, 429]) {
				for (const [kind, [type, body]] of Object.entries(bodies)) {
					const read = event(`${origin.url}/${kind}/${status}`);
					expect(handle(read)).toBe(true);
					const response = await read.answered.response!;
					expect([kind, response.status, response.headers.get('content-type'), response.headers.get('x-kind')]).toEqual([kind, status, type, kind]);
					expect([kind, [...new Uint8Array(await response.arrayBuffer())]]).toEqual([kind, [...body]]);
				}
			}
		} finally {
			api.close();
			await origin.close();
		}
	});

	it('a call whose last attempt got no answer gives the page the server\'s last answer (a 503 before a dropped connection); a queued write still gets its 202', async () => {
		const origin = await serve(() => new Response('{ "busy": true }', { status: 503, headers: { 'content-type': 'application/json', 'retry-after': '0' } }));
		vi.stubGlobal('location', new URL(`${origin.url}/sw.js`));
		let attempts = 0;
		// The first attempt reaches the origin (503); the next one is refused before any answer.
		const transport = async (input: Request, init?: RequestInit): Promise<Response> => (++attempts === 1 ? globalThis.fetch(input, init) : Promise.reject(new TypeError('fetch failed')));
		const api = createClient({ name: `sw-${Math.random()}`, store: () => memoryStore(`sw-${Math.random()}`), retry: { limit: 1, delay: () => 0 }, breaker: false, staleCache: false, fetch: transport as typeof fetch });
		const handle = fetchHandler(api, { match: () => true });
		const queuingApi = createClient({ name: `sw-${Math.random()}`, store: () => memoryStore(`sw-${Math.random()}`), retry: 0, breaker: false, outbox: outbox({ baseBackoffMs: 60_000 }) });
		const queuing = Object.assign(fetchHandler(queuingApi, { match: () => true }), { api: queuingApi });
		try {
			const read = event(`${origin.url}/items`);
			handle(read);
			const response = await read.answered.response!;
			expect([attempts, response.status, response.headers.get('steadfetch-error'), await response.text()]).toEqual([2, 503, null, '{ "busy": true }']);
			// A write the origin answered 503 is queued: the page hears 202 with its entry, not the 503.
			const write = event(`${origin.url}/items`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
			queuing(write);
			const queued = await write.answered.response!;
			expect([queued.status, queued.headers.get('steadfetch-outbox-entry')]).toEqual([202, (await queuing.api.outbox.list())[0]?.id]);
		} finally {
			queuing.api.close();
			api.close();
			await origin.close();
		}
	});
	it('a 401 that auth could not cure (the refresh failed, or a 401 again after it) reaches the page as the server sent it, never a 503 (AUTH_FAILED is not transient)', async () => {
		let refreshed = 0;
		const origin = await serve((request) => new Response(`{ "login": "${request.headers.get('authorization')}" }`, { status: 401, headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' } }));
		vi.stubGlobal('location', new URL(`${origin.url}/sw.js`));
		const make = (refresh: () => unknown) => createClient({ name: `sw-${Math.random()}`, store: () => memoryStore(`sw-${Math.random()}`), retry: 0, auth: auth({ token: () => `t${refreshed}`, refresh }) });
		const failing = make(() => {
			throw new Error('refresh down');
		});
		const refreshing = make(() => {
			refreshed++;
		});
		try {
			for (const [api, sent] of [[failing, 't0'], [refreshing, 't1']] as const) {
				const read = event(`${origin.url}/me`);
				fetchHandler(api, { match: () => true })(read);
				const response = await read.answered.response!;
				expect([response.status, response.headers.get('www-authenticate'), response.headers.get('steadfetch-error'), await response.text()]).toEqual([401, 'Bearer', null, `{ "login": "Bearer ${sent}" }`]);
			}
		} finally {
			failing.close();
			refreshing.close();
			await origin.close();
		}
	});
	it('the event\'s waitUntil holds the client\'s background work (a copy written behind the answer), so the worker is not stopped before it ends', async () => {
		const origin = await serve(() => Response.json({ ok: true }, { headers: { 'cache-control': 'max-age=60' } }));
		vi.stubGlobal('location', new URL(`${origin.url}/sw.js`));
		const api = createClient({ name: `sw-${Math.random()}`, store: () => memoryStore(`sw-${Math.random()}`), retry: 0 });
		const stored: unknown[] = [];
		api.on('cache:stored', (stored_) => stored.push(stored_));
		try {
			const held: Array<Promise<unknown>> = [];
			const read = Object.assign(event(`${origin.url}/items`), { waitUntil: (promise: Promise<unknown>) => held.push(promise) });
			fetchHandler(api, { match: () => true })(read);
			expect((await read.answered.response!).status).toBe(200);
			expect(held.length).toBeGreaterThan(0);
			await Promise.all(held);
			expect(stored).toHaveLength(1);
		} finally {
			api.close();
			await origin.close();
		}
	});
	it('with dedupe(), two pages\' identical reads still share one request (each event\'s own waitUntil is no request context outside Workers)', async () => {
		let requests = 0;
		let release: () => void = () => undefined;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		const origin = await serve(async () => {
			requests++;
			await held;
			return Response.json({ ok: true });
		});
		vi.stubGlobal('location', new URL(`${origin.url}/sw.js`));
		const api = createClient({ name: `sw-${Math.random()}`, store: () => memoryStore(`sw-${Math.random()}`), retry: 0, dedupe: dedupe() });
		try {
			const handle = fetchHandler(api, { match: () => true });
			const reads = [0, 1].map(() => Object.assign(event(`${origin.url}/items`), { waitUntil: () => undefined }));
			for (const read of reads) {
				handle(read);
			}

			await vi.waitFor(() => expect(requests).toBe(1));
			release();
			expect(await Promise.all(reads.map(async (read) => (await read.answered.response!).status))).toEqual([200, 200]);
			expect(requests).toBe(1);
		} finally {
			api.close();
			await origin.close();
		}
	});
});

describe('fetchHandler: the page\'s request as it asked', () => {
	it('the page\'s cache mode (reload, no-cache, force-cache) reaches the client\'s fetch: a page that asked to bypass the HTTP cache is not answered from it', async () => {
		const modes: string[] = [];
		const api = createClient({ name: `sw-cache-${Math.random()}`, retry: 0, breaker: false, staleCache: false, fetch: (async (request: Request) => {
			modes.push(request.cache);
			return new Response('ok');
		}) as typeof fetch });
		try {
			const handle = fetchHandler(api, { match: () => true });
			for (const cache of ['reload', 'no-cache', 'force-cache', 'default'] as const) {
				const page = event('https://app.test/api/x', { cache });
				expect(handle(page)).toBe(true);
				expect((await page.answered.response!).status).toBe(200);
			}

			// Before: ['default', 'default', 'default', 'default'].
			expect(modes).toEqual(['reload', 'no-cache', 'force-cache', 'default']);
		} finally {
			api.close();
		}
	});
});

describe('outboxSyncHandler: its own tag, its own client', () => {
	it('drains only on its client\'s own tag: another client\'s sync (two APIs in one worker) is left alone', async () => {
		let down = true;
		const server = await serve(() => new Response('down', { status: down ? 503 : 200 }));
		const store = memoryStore(`sync-tag-${Math.random()}`);
		const api = createClient({ name: 'orders', retry: 0, breaker: false, staleCache: false, store: () => store, outbox: outbox({ baseBackoffMs: 1 }) });
		try {
			await api.post(`${server.url}/a`, { json: {} }).catch(() => undefined);
			expect(await api.outbox.size()).toBe(1);
			const waits: Array<Promise<unknown>> = [];
			const handle = outboxSyncHandler(api);
			// Before: the other client's tag drained this outbox, and its failure rejected the other client's sync.
			handle({ tag: 'steadfetch-outbox:billing', waitUntil: (promise) => waits.push(promise) });
			handle({ tag: 'steadfetch-outboxes', waitUntil: (promise) => waits.push(promise) });
			expect(waits).toHaveLength(0);
			down = false;
			handle({ tag: 'steadfetch-outbox:orders', waitUntil: (promise) => waits.push(promise) });
			await vi.waitFor(async () => {
				await waits.at(-1);
				expect(await api.outbox.size()).toBe(0);
			});
		} finally {
			api.close();
			await server.close();
		}
	});

	it('a client without an outbox is a TypeError naming outbox() at once, not a throw inside a sync event later', () => {
		const api = createCore({ retry: 0 });
		expect(() => outboxSyncHandler(api as never)).toThrow(TypeError);
		expect(() => outboxSyncHandler(api as never)).toThrow(/outbox\(\)/);
		expect(() => outboxSyncHandler(undefined as never)).toThrow(/outbox\(\)/);
		// The preset's client says so itself (its `outbox` is off).
		expect(() => outboxSyncHandler(createClient() as never)).toThrow(/outbox\(\)/);
		api.close();
	});
});

describe('fetchHandler: the message of its own 503/504 names no secret the worker\'s client added (README "Security and privacy")', () => {
	it.each([
		['a timeout (504): a sensitive query value a hook added', 'TIMEOUT', 504],
		['a network failure (503): the same', 'NETWORK', 503],
	])('%s', async (_, code, status) => {
		vi.stubGlobal('location', new URL('https://app.example/sw.js'));
		const api = createCore({
			name: `sw-secret-${Math.random()}`,
			retry: 0,
			timeout: 50,
			sensitiveParams: ['sig'],
			fetch: (async (request: Request) => {
				if (code === 'TIMEOUT') {
					return new Promise<Response>((_resolve, reject) => {
						request.signal.addEventListener('abort', () => reject(request.signal.reason));
					});
				}

				throw new TypeError('fetch failed');
			}) as typeof fetch,
			hooks: { beforeRequest: [({ request }) => {
				const url = new URL(request.url);
				url.searchParams.set('access_token', 'WORKER-SECRET-1');
				url.searchParams.set('sig', 'WORKER-SECRET-2');
				return new Request(url, request);
			}] },
		});
		const handle = fetchHandler(api, { match: () => true });
		const read = event('https://app.example/api/x?page=2');
		handle(read as never);
		const response = await read.answered.response!;
		const body = await response.text();
		expect([response.status, response.headers.get('steadfetch-error')]).toEqual([status, code]);
		expect(body).toContain('/api/x'); // still says which request
		expect(body).toContain('page=2');
		expect(body).not.toMatch(/WORKER-SECRET/); // before: "…?page=2&access_token=WORKER-SECRET-1&sig=WORKER-SECRET-2"
		api.close();
	});
});
