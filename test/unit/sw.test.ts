/** steadfetch/sw (issue 17): a service worker's fetch handler over a client, with fake FetchEvents against a loopback API. */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { refusedUrl, serve, type RunningServer } from '../helpers/node-server.js';
import { createHandler, createState } from '../helpers/server-handler.js';

const state = createState();
let server: RunningServer;
let dead: string;
beforeAll(async () => {
	server = await serve(createHandler(state));
	dead = await refusedUrl();
});
afterAll(async () => server.close());
afterEach(() => {
	vi.unstubAllGlobals();
});

/** Run as a service worker served from `origin` (its `self.location`). */
const workerAt = (origin: string) => vi.stubGlobal('location', new URL(`${origin}/sw.js`));

/** A FetchEvent as a service worker gets it: `respondWith` records the answer. */
const event = (input: string, init?: RequestInit) => {
	const answered: { response?: Promise<Response> } = {};
	return {
		request: new Request(input, init),
		respondWith(response: Response | Promise<Response>) {
			answered.response = Promise.resolve(response);
		},
		answered,
	};
};

const make = () => createClient({ name: `sw-${Math.random()}`, store: () => memoryStore(`sw-${Math.random()}`), retry: 0, breaker: false, outbox: outbox({ baseBackoffMs: 1 }) });

describe('fetchHandler', () => {
	it('answers what it matches through the client (the server\'s status as is); leaves the rest alone', async () => {
		workerAt(server.url);
		const api = make();
		const handle = fetchHandler(api, { match: new URLPattern({ pathname: '/json' }) });
		const read = event(`${server.url}/json?id=sw-1`);
		expect(handle(read)).toBe(true);
		const response = await read.answered.response!;
		expect([response.status, (await response.json() as { n: number }).n]).toEqual([200, 1]);
		const other = event(`${server.url}/echo?id=sw-2`);
		expect(handle(other)).toBe(false);
		expect(other.answered.response).toBeUndefined();
		const byFunction = fetchHandler(api, { match: (request) => request.url.includes('/status/') });
		const missing = event(`${server.url}/status/404?id=sw-3`);
		expect(byFunction(missing)).toBe(true);
		expect((await missing.answered.response!).status).toBe(404);
		const down = event(`${server.url}/status/503?id=sw-4`);
		byFunction(down);
		const answer = await down.answered.response!;
		expect([answer.status, await answer.json()]).toEqual([503, { status: 503, n: 1 }]); // the server's own answer, no stale copy to give
		const throwing = fetchHandler(api, { match: () => {
			throw new Error('broken predicate');
		} });
		expect(throwing(event(`${server.url}/json`))).toBe(false);
		api.close();
	});

	it('a write its client delivered is answered with Steadfetch-Delivered: <the client\'s name> (a 204 with no body too); a read, a 4xx and a queued write without it', async () => {
		// The origin answers with the status its path names (a 204 without a body).
		const origin = await serve((request) => {
			const status = Number(new URL(request.url).pathname.slice(1)) || 200;
			return new Response(status === 204 ? null : '{}', { status, headers: { 'content-type': 'application/json' } });
		});
		workerAt(origin.url);
		const api = createClient({ name: 'sw name/ü', store: () => memoryStore(`sw-${Math.random()}`), retry: 0, breaker: false, outbox: outbox({ baseBackoffMs: 1 }) });
		const delivered: string[] = [];
		api.on('write:delivered', ({ method }) => delivered.push(method));
		const handle = fetchHandler(api, { match: () => true });
		const answers: Array<[number, string | null]> = [];
		try {
			for (const [url, init] of [[`${origin.url}/204`, { method: 'DELETE' }], [`${origin.url}/201`, { method: 'POST', body: '{}' }], [`${origin.url}/200`, {}], [`${origin.url}/404`, { method: 'PUT', body: '{}' }], [`${dead}/x`, { method: 'POST', body: '{}' }]] as const) {
				const write = event(url, init);
				handle(write);
				const response = await write.answered.response!;
				answers.push([response.status, response.headers.get('steadfetch-delivered')]);
			}

			expect(answers).toEqual([[204, 'sw%20name%2F%C3%BC'], [201, 'sw%20name%2F%C3%BC'], [200, null], [404, null], [202, null]]);
			expect(delivered).toEqual(['DELETE', 'POST']);
			await api.clear(); // The queued write, never delivered.
		} finally {
			api.close();
			await origin.close();
		}
	});

	it('a write the origin refuses is queued (202 with the entry id) and delivered once, with the page\'s bytes', async () => {
		const api = make();
		const handle = fetchHandler(api, { match: () => true });
		const write = event(`${server.url}/mutate?id=sw-write&fail=503&times=1`, { method: 'POST', body: '{"order":7}', headers: { 'content-type': 'application/json' } });
		expect(handle(write)).toBe(true);
		const queued = await write.answered.response!;
		expect(queued.status).toBe(202);
		const { entryId } = await queued.json() as { entryId: string };
		expect(queued.headers.get('steadfetch-outbox-entry')).toBe(entryId);
		expect((await api.outbox.flush()).sent).toBe(1);
		expect(state.applied.get('sw-write')).toEqual([expect.objectContaining({ method: 'POST', body: '{"order":7}' })]);
		api.close();
	});

	it('a read the network cannot answer: stale when there is a copy, else 503 with Steadfetch-Error', async () => {
		const api = make();
		const handle = fetchHandler(api, { match: () => true });
		const first = event(`${server.url}/json?id=sw-stale`);
		handle(first);
		expect((await first.answered.response!).status).toBe(200);
		await new Promise((resolve) => setTimeout(resolve, 20)); // the copy is written behind
		const failing = createClient({ name: 'sw-fail', store: () => memoryStore('sw-fail'), retry: 0, breaker: false, fetch: async () => Promise.reject(new TypeError('fetch failed')) });
		const none = event(`${dead}/json`);
		fetchHandler(failing, { match: () => true })(none);
		const failed = await none.answered.response!;
		expect([failed.status, failed.headers.get('steadfetch-error'), (await failed.json() as { error: string }).error]).toEqual([503, 'NETWORK', 'NETWORK']);
		failing.close();
		api.close();
	});

	it('a URLPattern without a hostname takes the worker\'s own origin only; one with a hostname, or a function, decides alone', async () => {
		workerAt(server.url);
		const api = make();
		const third = 'https://third-party.test';
		const own = fetchHandler(api, { match: new URLPattern({ pathname: '/api/*' }) });
		expect(own(event(`${third}/api/data`))).toBe(false); // another origin, same path: left to the network
		expect(own(event(`${third}/api/write`, { method: 'POST', body: '{}' }))).toBe(false);
		const mine = event(`${server.url}/api/data?id=sw-own`);
		expect(own(mine)).toBe(true);
		expect((await mine.answered.response!).status).toBe(404); // through the client: the test API has no /api route
		const named = fetchHandler(api, { match: new URLPattern({ hostname: 'third-party.test', pathname: '/api/*' }) });
		expect(named(event(`${third}/api/data`))).toBe(true);
		expect(fetchHandler(api, { match: (request) => request.url.startsWith(third) })(event(`${third}/api/data`))).toBe(true);
		vi.unstubAllGlobals(); // Outside a worker (no location): a hostless pattern takes nothing.
		expect(fetchHandler(api, { match: new URLPattern({ pathname: '/json' }) })(event(`${server.url}/json`))).toBe(false);
		api.close();
	});

	it('a pattern that names only a port sets no hostname: it takes only the worker\'s own origin, never another port; naming the hostname takes the other origin', async () => {
		workerAt(server.url);
		const api = make();
		const { port } = new URL(dead); // another origin: the same host on another port
		const portOnly = fetchHandler(api, { match: new URLPattern({ pathname: '/api/*', port }) });
		expect(portOnly(event(`${dead}/api/data`))).toBe(false); // the own-origin rule holds: left to the network
		expect(portOnly(event(`${server.url}/api/data`))).toBe(false); // the own origin, but not that port
		const ownPort = fetchHandler(api, { match: new URLPattern({ pathname: '/api/*', port: new URL(server.url).port }) });
		const mine = event(`${server.url}/api/data?id=sw-port`);
		expect(ownPort(mine)).toBe(true);
		expect((await mine.answered.response!).status).toBe(404);
		const named = fetchHandler(api, { match: new URLPattern({ hostname: '127.0.0.1', port, pathname: '/api/*' }) });
		const other = event(`${dead}/api/data`);
		expect(named(other)).toBe(true);
		expect((await other.answered.response!).headers.get('steadfetch-error')).toBe('NETWORK'); // taken, and refused there
		api.close();
	});

	it('a request whose cache is no-store is passed through untouched, whatever the match says', async () => {
		const api = make();
		const handle = fetchHandler(api, { match: () => true });
		const noStore = event(`${server.url}/json?id=sw-no-store`, { cache: 'no-store' });
		expect(handle(noStore)).toBe(false);
		expect(noStore.answered.response).toBeUndefined();
		const noCache = event(`${server.url}/json?id=sw-no-store`, { cache: 'no-cache' });
		expect(handle(noCache)).toBe(true);
		expect((await noCache.answered.response!).status).toBe(200);
		api.close();
	});

	it('bad options: a RangeError at creation', () => {
		const api = make();
		expect(() => fetchHandler({} as never, { match: () => true })).toThrow(/client/);
		expect(() => fetchHandler(api, {} as never)).toThrow(/fetchHandler\.match/);
		expect(() => fetchHandler(api, { match: 'api/*' as never })).toThrow(RangeError);
		api.close();
	});
});
