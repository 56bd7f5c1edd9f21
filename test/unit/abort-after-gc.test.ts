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
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { breaker, classify, createClient as preset, type OutboxQueuedError } from '../../src/entries/index.js';
import { createClient } from '../../src/entries/core.js';
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
