/**
 * Defect hunt, thirty-fifth round (area: the service worker's recovery: the worker's breaker and a page's breaker of
 * its name, which share a channel and the probe's Web Locks). API.md "Recovery without waiting", README "Service worker:
 * the whole app's traffic". Two contexts in one realm: the worker's client, made in a service worker's global (no
 * `document`, `ServiceWorkerGlobalScope` exposed), and a page's, made in a fake window, whose `fetch` is the worker's
 * `fetchHandler` (as a page's requests reach its worker); one store, one clock.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { fetchHandler, type FetchEventLike } from '../../src/entries/sw.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeOrigin, origin } from './breaker-kit.js';
import { fakeWindow, type FakeWindow } from './outbox-helpers.js';

const opened: Array<{ close(): void }> = [];
let win: FakeWindow | undefined;
afterEach(() => {
	for (const client of opened.splice(0)) {
		client.close();
	}

	win?.restore();
	win = undefined;
});

let names = 0;

/** A worker's client over a FakeOrigin (down), and a page's client whose requests the worker's handler runs. */
const workerAndPage = (pageBreaker: object | false = {}, workerBreaker: object = {}) => {
	const clock = new ManualClock(1_700_000_000_000);
	const name = `h35-sw-${names++}`;
	const store = memoryStore(name);
	const server = new FakeOrigin();
	server.down();
	const breaker = { share: true, consecutiveFailures: 1, openMs: 30_000 };
	// A service worker's global: its interface is exposed there only (and no `document`).
	const g = globalThis as { ServiceWorkerGlobalScope?: unknown };
	g.ServiceWorkerGlobalScope = class {};
	const worker = createClient({ clock, random: () => 0.5, name, store: () => store, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: { ...breaker, ...workerBreaker } });
	delete g.ServiceWorkerGlobalScope;
	opened.push(worker);
	const handle = fetchHandler(worker, { match: () => true });
	const answers: string[] = [];
	win = fakeWindow();
	const viaWorker = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
		let answer: Promise<Response> | undefined;
		const event: FetchEventLike = { request: new Request(input, init), respondWith: (response) => {
			answer = Promise.resolve(response);
		} };
		handle(event);
		const response = await answer!;
		answers.push(`${response.status} ${response.headers.get('steadfetch-error')}`);
		return response;
	};

	const page = createClient({ clock, random: () => 0.5, name, store: () => store, fetch: viaWorker as typeof fetch, retry: 0, staleCache: false, breaker: pageBreaker && { ...breaker, ...pageBreaker } });
	opened.push(page);
	const call = async (): Promise<string> => page.get(`${origin}/x`).then((response) => String(response.status), (error: { code?: unknown; name: string }) => (typeof error.code === 'string' ? error.code : error.name));
	return { clock, server, worker, page, call, answers, name, win: win! };
};

describe('the worker\'s breaker, opened by network failures, and a page that comes back (visible) with the origin back', () => {
	it('turns half-open when the page\'s breaker does: the page\'s probe reaches the origin through the worker', async () => {
		const { clock, server, worker, page, call, answers, win } = workerAndPage();
		expect(await call()).toBe('HTTPError');
		await vi.waitFor(() => expect([worker.breaker(origin).state, page.breaker(origin).state]).toEqual(['open', 'open']));
		clock.advance(5_000);
		server.up();
		win.document.dispatchEvent(new Event('visibilitychange'));
		expect(page.breaker(origin).state).toBe('half-open');
		// Before the fix: 'open' (the worker waited out its 30 s; the page's probe got its CIRCUIT_OPEN 503).
		await vi.waitFor(() => expect(worker.breaker(origin).state).toBe('half-open'));
		expect(await call()).toBe('200');
		expect([worker.breaker(origin).state, page.breaker(origin).state, server.requests.length, answers]).toEqual(['closed', 'closed', 2, ['503 NETWORK', '200 null']]);
	});
});

describe('the worker\'s breaker and a page\'s breaker of its name, the open period over', () => {
	it('the page\'s probe through the worker reaches the origin (the worker takes no second probe lock of its own)', async () => {
		const { clock, server, worker, page, call, answers } = workerAndPage();
		expect(await call()).toBe('HTTPError');
		await vi.waitFor(() => expect([worker.breaker(origin).state, page.breaker(origin).state]).toEqual(['open', 'open']));
		clock.advance(40_000);
		server.up();
		// Before the fix: ['HTTPError', 'HTTPError'], both half-open for good, the page's probes the worker's '503 CIRCUIT_OPEN'.
		const results = [await call(), await call()];
		expect([results, worker.breaker(origin).state, page.breaker(origin).state, server.requests.length, answers]).toEqual([['200', '200'], 'closed', 'closed', 3, ['503 NETWORK', '200 null', '200 null']]);
	});
});

describe('a page\'s recovery trigger told to the worker, with `breaker.probe` in the page', () => {
	it('a probe that outran the message (the worker\'s CIRCUIT_OPEN) frees the page\'s slot and lock: its next call closes both', async () => {
		const { clock, server, worker, page, call, win } = workerAndPage({ probe: '/health' });
		expect(await call()).toBe('HTTPError');
		await vi.waitFor(() => expect([worker.breaker(origin).state, page.breaker(origin).state]).toEqual(['open', 'open']));
		clock.advance(5_000);
		server.up();
		win.document.dispatchEvent(new Event('visibilitychange'));
		await vi.waitFor(() => expect([worker.breaker(origin).state, page.breaker(origin).state]).not.toContain('open'));
		expect(await call()).toBe('200');
		expect([worker.breaker(origin).state, page.breaker(origin).state, server.requests.at(-1)?.url]).toEqual(['closed', 'closed', `${origin}/x`]);
	});
});

/** A script of the origin (another tab, an older or hostile page) on the breaker channel of `name`. */
const other = (name: string): BroadcastChannel => {
	const channel = new BroadcastChannel(`steadfetch:${name}:breaker`);
	opened.push(channel);
	return channel;
};

describe('`{ recover }` messages on the breaker channel, as any script of the origin may post them', () => {
	it('a flood turns the worker half-open at most once a second per scope; wrong types and unknown scopes do nothing', async () => {
		const { clock, server, worker, call, answers, name } = workerAndPage(false);
		const errors: unknown[] = [];
		worker.on('storage:error', (event) => errors.push(event));
		expect(await call()).toBe('HTTPError');
		expect(worker.breaker(origin).state).toBe('open');
		const hostile = other(name);
		for (const recover of [1, null, {}, ['x'], 'https://elsewhere.test', `${origin}/`, 'x'.repeat(100_000)]) {
			hostile.postMessage({ recover });
		}

		// A message that is no breaker's (reported): handled after every one before it, from the same script.
		hostile.postMessage(42);
		await vi.waitFor(() => expect(errors).toHaveLength(1));
		expect(worker.breaker(origin).state).toBe('open');
		hostile.postMessage({ recover: origin });
		await vi.waitFor(() => expect(worker.breaker(origin).state).toBe('half-open'));
		// The early probe (a page's call) fails: re-opened; a flood in the same second lets no other through.
		expect(await call()).toBe('HTTPError');
		expect(worker.breaker(origin).state).toBe('open');
		for (let index = 0; index < 50; index++) {
			hostile.postMessage({ recover: origin });
		}

		hostile.postMessage(42);
		await vi.waitFor(() => expect(errors).toHaveLength(2));
		expect([worker.breaker(origin).state, server.requests.length]).toEqual(['open', 2]);
		clock.advance(1_000);
		hostile.postMessage({ recover: origin });
		await vi.waitFor(() => expect(worker.breaker(origin).state).toBe('half-open'));
		server.up();
		expect([await call(), worker.breaker(origin).state, answers]).toEqual(['200', 'closed', ['503 NETWORK', '503 NETWORK', '200 null']]);
	});

	it('a page takes none (it has triggers of its own), nor does the worker for a scope opened on HTTP answers', async () => {
		const { worker, page, call, server, name } = workerAndPage();
		server.answer(503);
		expect(await call()).toBe('HTTPError');
		await vi.waitFor(() => expect([worker.breaker(origin).state, page.breaker(origin).state]).toEqual(['open', 'open']));
		const errors: unknown[] = [];
		worker.on('storage:error', (event) => errors.push(event));
		page.on('storage:error', (event) => errors.push(event));
		const hostile = other(name);
		hostile.postMessage({ recover: origin });
		hostile.postMessage(42);
		await vi.waitFor(() => expect(errors).toHaveLength(2));
		expect([worker.breaker(origin).state, page.breaker(origin).state]).toEqual(['open', 'open']);
	});
});
