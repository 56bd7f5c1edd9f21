/**
 * An abort reaches the attempt after a garbage collection, on every path where a policy makes the
 * attempt's Request itself (a hedge, a shared request, a mirror, a redirect hop, a probe, the offline
 * read's background attempt).
 *
 * Node's fetch (undici) lets a Request made with a signal, or from another Request, follow that signal
 * only while something else holds the new Request. A custom `fetch` that waits on nothing but the
 * request's signal (an app's mock, a test's) holds it through that signal alone: once a GC ran, the
 * abort never arrived and the attempt hung for good (a clean-clone CI run: a hedge's losing attempt
 * never ended). These tests run a full GC while the attempt waits, then abort.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { breaker, classify, createClient as preset, type OutboxQueuedError } from '../../src/entries/index.js';
import { createClient } from '../../src/entries/core.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { failover } from '../../src/entries/failover.js';
import { hedge } from '../../src/entries/hedge.js';
import { waitFor } from '../helpers/wait-for.js';
import { collect, useCacheKit } from './cache-kit.js';
import { fakeWindow, startHarness, throwIfOffline, until } from './outbox-helpers.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

/** Full collections, with turns of the event loop between them (weak references are cleared across turns). */
const collectGarbage = async (): Promise<void> => {
	for (let round = 0; round < 3; round++) {
		gc();
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
};

/**
 * A `fetch` whose attempts to `hangs` wait for their signal and nothing else, as a mock does; `ended` lists the
 * paths whose attempt saw its abort. Other paths answer `answer(path)`.
 */
const waitingFetch = (hangs: (path: string, index: number) => boolean, answer: (path: string) => Response = () => new Response('ok')) => {
	const state = { sent: [] as string[], ended: [] as string[] };
	const fetch = (async (request: Request) => {
		const path = new URL(request.url).host + new URL(request.url).pathname;
		state.sent.push(path);
		if (!hangs(path, state.sent.length - 1)) {
			return answer(path);
		}

		await new Promise((resolve) => {
			request.signal.addEventListener('abort', resolve, { once: true });
		});
		state.ended.push(path);
		throw request.signal.reason;
	}) as typeof globalThis.fetch;
	return { state, fetch };
};

const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);

describe('hedge(): its attempts are aborted after a GC', () => {
	it('the losing attempt, when the hedge answered first', async () => {
		const { state, fetch } = waitingFetch((_, index) => index === 0);
		const api = createClient({ retry: 0, fetch, hedge: hedge({ delayMs: 50 }) });
		const call = api.get('https://api.test/a').text();
		await waitFor(() => state.sent.length === 1, 'the first attempt to go out');
		await collectGarbage();
		expect(await call).toBe('ok');
		await waitFor(() => state.ended.length === 1, 'the losing attempt to see its abort', 3_000); // before: never
		api.close();
	}, 15_000);

	it('an attempt the caller aborts (no hedge sent yet)', async () => {
		const { state, fetch } = waitingFetch(() => true);
		const api = createClient({ retry: 0, fetch, hedge: hedge({ delayMs: 60_000 }) });
		const controller = new AbortController();
		const call = code(api.get('https://api.test/b', { signal: controller.signal }).text());
		await waitFor(() => state.sent.length === 1, 'the attempt to go out');
		await collectGarbage();
		controller.abort();
		expect(await call).toBe('ABORTED');
		await waitFor(() => state.ended.length === 1, 'the attempt to see its abort', 3_000); // before: never
		api.close();
	}, 15_000);
});

/**
 * ky sends a retry as a clone of the attempt before: undici holds a clone's controller weakly, so after a GC the abort
 * of ky's own controller (its `timeout`, its `totalTimeout`) and the caller's never reached it (a clean-clone CI run: a
 * retry whose `fetch` ignored its signal held its bulkhead slot for good, and the next call timed out waiting for it).
 */
describe('ky\'s retries are aborted after a GC', () => {
	/** The first attempt to a path answers 503 at once; its retries wait for their signal. */
	const retried = () => waitingFetch((_, index) => index > 0, () => new Response('down', { status: 503 }));
	const retry = { limit: 1, delay: () => 0, jitter: false } as const;

	it('the caller aborts while the retry has not answered', async () => {
		const { state, fetch } = retried();
		const api = createClient({ retry, retryBudget: false, fetch });
		const controller = new AbortController();
		const call = code(api.get('https://api.test/r1', { signal: controller.signal }).text());
		await waitFor(() => state.sent.length === 2, 'the retry to go out');
		await collectGarbage();
		controller.abort();
		expect(await call).toBe('ABORTED');
		await waitFor(() => state.ended.length === 1, 'the retry to see its abort', 3_000); // before: never
		api.close();
	}, 15_000);

	it('ky\'s totalTimeout ends the call while the retry has not answered', async () => {
		const { state, fetch } = retried();
		const api = createClient({ retry, retryBudget: false, totalTimeout: 1_000, fetch });
		const call = code(api.get('https://api.test/r2').text());
		await waitFor(() => state.sent.length === 2, 'the retry to go out');
		await collectGarbage();
		expect(await call).toBe('TIMEOUT');
		await waitFor(() => state.ended.length === 1, 'the retry to see its abort', 3_000); // before: never
		api.close();
	}, 15_000);

	it('ky\'s timeout of the retry, and of the second retry ky made anew after it', async () => {
		const { state, fetch } = retried();
		const api = createClient({ retry: { ...retry, limit: 2 }, retryBudget: false, timeout: 800, totalTimeout: false, fetch });
		const call = code(api.get('https://api.test/r3').text());
		await waitFor(() => state.sent.length === 2, 'the first retry to go out');
		await collectGarbage();
		await waitFor(() => state.ended.length === 1, 'the first retry to see its abort', 3_000); // before: never
		await waitFor(() => state.sent.length === 3, 'the second retry to go out');
		await collectGarbage();
		expect(await call).toBe('TIMEOUT');
		await waitFor(() => state.ended.length === 2, 'the second retry to see its abort', 3_000);
		api.close();
	}, 15_000);

	it('bulkhead(): the slot of a retry whose fetch ignores its signal is free once ky\'s totalTimeout ended the call', async () => {
		// The retry never settles and never looks at its signal: only its abort tells the bulkhead the attempt is over.
		let sent = 0;
		const fetch = (async () => (++sent === 1 ? new Response('down', { status: 503 }) : new Promise<Response>(() => undefined))) as typeof globalThis.fetch;
		const api = createClient({ retry, retryBudget: false, totalTimeout: 1_000, bulkhead: bulkhead({ maxConcurrent: 1 }), fetch: async (request, init) => (new URL((request as Request).url).pathname === '/next' ? new Response('ok') : fetch(request, init)) });
		const call = code(api.get('https://api.test/r4').text());
		await waitFor(() => sent === 2, 'the retry to go out');
		await collectGarbage();
		expect(await call).toBe('TIMEOUT');
		expect(await code(api.get('https://api.test/next').text())).toBe('OK'); // before: TIMEOUT, the slot held for good
		api.close();
	}, 15_000);

	it('Node\'s own fetch: the caller\'s abort reaches the retry on the wire (a loopback server sees its connection closed)', async () => {
		let requests = 0;
		let closed = 0;
		const server = createServer((_request, response) => {
			if (++requests === 1) {
				response.writeHead(503).end('down');
				return;
			}

			response.on('close', () => closed++); // The retry is never answered: only the client's abort ends it.
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const { port } = server.address() as AddressInfo;
		const api = createClient({ retry, retryBudget: false });
		const controller = new AbortController();
		const call = code(api.get(`http://127.0.0.1:${port}/r6`, { signal: controller.signal }).text());
		await waitFor(() => requests === 2, 'the retry to reach the server');
		await collectGarbage();
		controller.abort();
		expect(await call).toBe('ABORTED'); // before: TIMEOUT, 10 s later (ky's timeout)
		await waitFor(() => closed === 1, 'the server to see the retry aborted', 3_000);
		api.close();
		server.closeAllConnections();
		await new Promise((resolve) => server.close(resolve));
	}, 20_000);

	it('dedupe(): a retry\'s shared request is aborted once its caller aborts', async () => {
		const { state, fetch } = retried();
		const api = createClient({ retry, retryBudget: false, fetch, dedupe: dedupe() });
		const controller = new AbortController();
		const call = code(api.get('https://api.test/r5', { signal: controller.signal }).text());
		await waitFor(() => state.sent.length === 2, 'the retry to go out');
		await collectGarbage();
		controller.abort();
		expect(await call).toBe('ABORTED');
		await waitFor(() => state.ended.length === 1, 'the shared retry to see its abort', 3_000); // before: never
		api.close();
	}, 15_000);
});

describe('dedupe(): a shared request is aborted after a GC once its every caller left', () => {
	it('its one caller aborts', async () => {
		const { state, fetch } = waitingFetch(() => true);
		const api = createClient({ retry: 0, fetch, dedupe: dedupe() });
		const controller = new AbortController();
		const call = code(api.get('https://api.test/c', { signal: controller.signal }).text());
		await waitFor(() => state.sent.length === 1, 'the shared request to go out');
		await collectGarbage();
		controller.abort();
		expect(await call).toBe('ABORTED');
		await waitFor(() => state.ended.length === 1, 'the shared request to see its abort', 3_000); // before: never
		api.close();
	}, 15_000);

	it('its two callers time out (ky\'s timeout), with hedge() below it', async () => {
		const { state, fetch } = waitingFetch(() => true);
		const api = createClient({ retry: 0, timeout: 300, fetch, dedupe: dedupe(), hedge: hedge({ delayMs: 60_000 }) });
		const calls = [code(api.get('https://api.test/d').text()), code(api.get('https://api.test/d').text())];
		await waitFor(() => state.sent.length === 1, 'the shared request to go out');
		await collectGarbage();
		expect(await Promise.all(calls)).toEqual(['TIMEOUT', 'TIMEOUT']);
		await waitFor(() => state.ended.length === 1, 'the shared request to see its abort', 3_000); // before: never
		api.close();
	}, 15_000);
});

describe('failover(): the mirror\'s attempt is aborted after a GC', () => {
	it('the caller aborts while the mirror has not answered', async () => {
		const { state, fetch } = waitingFetch((path) => path.startsWith('mirror.test'), () => new Response('down', { status: 503 }));
		const api = createClient({ retry: 0, retryBudget: false, fetch, failover: failover({ mirrors: { 'https://primary.test': ['https://mirror.test'] } }) });
		const controller = new AbortController();
		const call = code(api.get('https://primary.test/e', { signal: controller.signal }).text());
		await waitFor(() => state.sent.includes('mirror.test/e'), 'the mirror\'s attempt to go out');
		await collectGarbage();
		controller.abort();
		expect(await call).toBe('ABORTED');
		await waitFor(() => state.ended.includes('mirror.test/e'), 'the mirror\'s attempt to see its abort', 3_000); // before: never
		api.close();
	}, 15_000);
});

describe('deadlineHeader: a redirect hop is aborted after a GC', () => {
	it('the caller aborts while the second hop has not answered', async () => {
		const { state, fetch } = waitingFetch((path) => path === 'api.test/to', () => new Response(null, { status: 302, headers: { location: '/to' } }));
		const api = createClient({ baseUrl: 'https://api.test/', retry: 0, fetch, deadlineHeader: 'request-timeout-ms' });
		const here = api.withContext({ waitUntil: () => undefined }, { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '60000' } }) });
		const controller = new AbortController();
		const call = code(here.get('https://api.test/from', { signal: controller.signal }).text());
		await waitFor(() => state.sent.includes('api.test/to'), 'the second hop to go out');
		await collectGarbage();
		controller.abort();
		expect(await call).toBe('ABORTED');
		await waitFor(() => state.ended.includes('api.test/to'), 'the second hop to see its abort', 3_000); // before: never
		api.close();
	}, 15_000);
});

describe('deadlineHeader: a retry\'s redirect hop is aborted after a GC', () => {
	it('the caller aborts while the retry\'s second hop has not answered', async () => {
		let froms = 0;
		// `/from` answers 503 (ky retries), then 302 to `/to`, which waits for its signal.
		const { state, fetch } = waitingFetch((path) => path === 'api.test/to', () => (++froms === 1 ? new Response('down', { status: 503 }) : new Response(null, { status: 302, headers: { location: '/to' } })));
		const api = createClient({ baseUrl: 'https://api.test/', retry: { limit: 1, delay: () => 0, jitter: false }, retryBudget: false, fetch, deadlineHeader: 'request-timeout-ms' });
		const here = api.withContext({ waitUntil: () => undefined }, { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '60000' } }) });
		const controller = new AbortController();
		const call = code(here.get('https://api.test/from', { signal: controller.signal }).text());
		await waitFor(() => state.sent.includes('api.test/to'), 'the retry\'s second hop to go out');
		await collectGarbage();
		controller.abort();
		expect(await call).toBe('ABORTED');
		await waitFor(() => state.ended.includes('api.test/to'), 'the second hop to see its abort', 3_000);
		api.close();
	}, 15_000);
});

describe('breaker({ probe }): a probe is aborted at its timeout after a GC', () => {
	it('the probe that never answers sees its abort at its timeout (the client\'s `timeout`)', async () => {
		const { state, fetch } = waitingFetch((path) => path === 'api.test/health', () => new Response('down', { status: 503 }));
		const api = preset({ retry: 0, staleCache: false, fetch, timeout: 500, breaker: breaker({ consecutiveFailures: 1, openMs: 100, probe: '/health' }) });
		expect(await code(api.get('https://api.test/f').text())).toBe('HTTP_5XX');
		// Past the open period, a call lets the probe through (sent by the breaker itself, to `probe`).
		await new Promise((resolve) => setTimeout(resolve, 250));
		const during = code(api.get('https://api.test/f').text());
		await waitFor(() => state.sent.includes('api.test/health'), 'the probe to go out', 5_000);
		await collectGarbage();
		await waitFor(() => state.ended.includes('api.test/health'), 'the probe to see its abort', 3_000); // before: never
		await during;
		api.close();
	}, 15_000);
});

describe('staleCache(): the offline read\'s background attempt is aborted at its timeout after a GC', () => {
	const kit = useCacheKit();
	afterEach(() => vi.unstubAllGlobals());

	it('its timeout (the call\'s) reaches it', async () => {
		let offline = false;
		const hanging = waitingFetch(() => true);
		const api = kit.make({ timeout: 400, fetch: (async (input: Request, init?: RequestInit) => offline ? hanging.fetch(input, init) : globalThis.fetch(input, init)) as typeof globalThis.fetch });
		const stored = collect(api, 'cache:stored');
		expect(await api.get('gc/offline').json()).toMatchObject({ n: 1 });
		await waitFor(() => stored.length === 1, 'the copy to be stored');
		kit.clock.advance(1_000);
		offline = true;
		vi.stubGlobal('navigator', { onLine: false });
		expect((await api.get('gc/offline')).headers.get('cache-status')).toContain('detail=offline');
		await waitFor(() => hanging.state.sent.length === 1, 'the background attempt to go out');
		await collectGarbage();
		await waitFor(() => hanging.state.ended.length === 1, 'the background attempt to see its abort', 3_000); // before: never
		api.close();
	}, 15_000);
});

describe('outbox(): the call the outbox re-makes (its placeholders of a delivered entry put in place) is aborted after a GC', () => {
	it('the caller aborts while it has not been answered', async () => {
		const harness = await startHarness();
		const device = fakeWindow();
		try {
			// The device offline: its fetch fails as a browser's does (the POST is queued).
			const { state, fetch } = waitingFetch((path) => path.endsWith('/todos/100'), () => {
				throwIfOffline();
				return Response.json({ id: 100 }, { status: 201 });
			});
			const api = harness.make({ fetch });
			device.setOnline(false, false);
			const parent = await api.post('todos', { json: {} }).then(() => '', (error: unknown) => (error as OutboxQueuedError).entryId);
			const id = api.outbox.ref(parent, '/id');
			device.setOnline(true);
			await api.outbox.flush();
			await until(async () => (await api.outbox.size()) === 0);
			const controller = new AbortController();
			const call = code(api.put(`todos/${id}`, { json: { v: 1 }, signal: controller.signal }));
			await waitFor(() => state.sent.some((path) => path.endsWith('/todos/100')), 'the call to go out with the value in place');
			await collectGarbage();
			controller.abort();
			expect(await call).toBe('ABORTED');
			await waitFor(() => state.ended.length === 1, 'the call\'s attempt to see its abort', 3_000); // before: never
			api.close();
		} finally {
			device.restore();
			await harness.close();
		}
	}, 15_000);
});
