/**
 * steadfetch/tanstack-query, run with @tanstack/query-core against a loopback API that answers,
 * fails with 503, refuses connections and comes back. Time is injected: steadfetch's clock and
 * TanStack's `Date.now()` are one faked `Date`, and TanStack's timers (its retry delays) run when
 * the test moves that clock. Then its types in a React app: `tsc` on test/fixtures/tanstack-react
 * (React 19, @tanstack/react-query 5, the built package) in a strict, pnpm-like node_modules.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tanstack from '@tanstack/query-core';
import type { QueryObserverResult } from '@tanstack/query-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient, isStale, memoryStore, outbox, type Client, type ClientOptions, type OutboxPolicy } from '../../src/entries/index.js';
import { followReachability, mutationOptionsFor, queryOptionsFor, refetchWhenBack, shown, StaleAnswerError } from '../../src/entries/tanstack-query.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

interface User {
	id: string;
	name: string;
	version: number;
}

const start = 1_700_000_000_000;

/** TanStack's timers, run by hand when the test moves the (faked) clock; zero delays run at once. */
class ManualTimers implements tanstack.TimeoutProvider<number> {
	readonly #timers = new Map<number, { due: number; delay: number; callback: tanstack.TimeoutCallback }>();
	#next = 1;

	setTimeout = (callback: tanstack.TimeoutCallback, delay: number): number => {
		const id = this.#next++;
		if (delay <= 0) {
			globalThis.setTimeout(() => {
				if (this.#timers.delete(id)) {
					callback();
				}
			}, 0);
		}

		this.#timers.set(id, { due: Date.now() + delay, delay, callback });
		return id;
	};

	clearTimeout = (id: number | undefined): void => {
		this.#timers.delete(id ?? 0);
	};

	setInterval = (): number => {
		throw new Error('no intervals in these tests');
	};

	clearInterval = (): void => {};

	/** Forget every timer (between tests). */
	reset(): void {
		this.#timers.clear();
	}

	/** Delays of the timers still pending, shortest first. */
	pending(): number[] {
		return [...this.#timers.values()].map((timer) => timer.delay).sort((a, b) => a - b);
	}

	/** Move the clock and run the timers now due. */
	advance(ms: number): void {
		vi.setSystemTime(Date.now() + ms);
		const due = [...this.#timers.entries()].filter(([, timer]) => timer.due <= Date.now()).sort(([, a], [, b]) => a.due - b.due);
		for (const [id, timer] of due) {
			this.#timers.delete(id);
			timer.callback();
		}
	}
}

/** The loopback API: `GET /users/:id`, `POST /orders` (applied once per Idempotency-Key); up, failing with 503, or down. */
const startApi = async () => {
	let mode: 'up' | '503' | 'hang' = 'up';
	/** How long the API takes to answer a GET (ms, real time), as decided when the request comes. */
	let delayMs = 0;
	const hits: string[] = [];
	const applied = new Map<string, unknown>();
	const handler = async (request: Request): Promise<Response> => {
		const { pathname } = new URL(request.url);
		hits.push(`${request.method} ${pathname}`);
		if (mode === 'hang') {
			return new Promise<Response>((resolve) => {
				request.signal.addEventListener('abort', () => resolve(new Response(null, { status: 499 })));
			});
		}

		if (delayMs > 0) {
			await new Promise((resolve) => setTimeout(resolve, delayMs));
		}

		if (mode === '503') {
			return Response.json({ error: 'unavailable' }, { status: 503 });
		}

		if (request.method === 'POST' && pathname === '/orders') {
			const body = await request.json() as { item: number };
			if (body.item < 0) {
				return Response.json({ error: 'no such item' }, { status: 422 });
			}

			applied.set(request.headers.get('idempotency-key') ?? crypto.randomUUID(), body);
			return Response.json({ ordered: body.item }, { status: 201 });
		}

		if (pathname === '/empty') {
			// An answer without a body: `?status=` (204 to a DELETE, 205, a 200 with nothing in it).
			return new Response(null, { status: Number(new URL(request.url).searchParams.get('status') ?? 200) });
		}

		const id = pathname.split('/')[2] ?? '';
		// User `swr` may be answered from a copy for a minute while it is refreshed.
		const headers: HeadersInit = id === 'swr' ? { 'cache-control': 'max-age=0, stale-while-revalidate=60' } : {};
		return Response.json({ id, name: 'Ada', version: hits.filter((hit) => hit === `GET ${pathname}`).length }, { headers });
	};

	let running: RunningServer | undefined = await serve(handler);
	const { port } = new URL(running.url);
	return {
		url: running.url,
		hits,
		applied,
		/** GETs of a path that reached the server. */
		gets: (path: string) => hits.filter((hit) => hit === `GET /${path}`).length,
		failWith503() {
			mode = '503';
		},
		/** Take connections and never answer. */
		hang() {
			mode = 'hang';
		},
		/** Answer after `ms` (real time). */
		slow(ms: number) {
			delayMs = ms;
		},
		/** Refuse connections: nothing listens on the port. */
		async down() {
			await running?.close();
			running = undefined;
		},
		async up() {
			mode = 'up';
			delayMs = 0;
			running ??= await serve(handler, Number(port));
		},
		async close() {
			await running?.close();
		},
	};
};

let api: Awaited<ReturnType<typeof startApi>>;
const timers = new ManualTimers();
let queryClient: tanstack.QueryClient;
let clients: Client[] = [];
let names = 0;

const client = (options: ClientOptions = {}): Client => {
	const made = createClient({
		baseUrl: `${api.url}/`,
		store: memoryStore,
		name: `tanstack-${++names}`,
		clock: { now: () => Date.now() },
		random: () => 0.5, // the breaker's open periods exactly as long as API.md says (no ±20 %); ky's retries after half their delay
		breaker: { openMs: 5_000 }, // API.md's default
		...options,
	});
	clients.push(made);
	return made;
};

let unmount: Array<() => void> = [];

/** An observer with a listener for the whole test, as a mounted component has: without one, TanStack cancels the query's fetch. */
const mounted = <T>(observer: tanstack.QueryObserver<T>): tanstack.QueryObserver<T> => {
	unmount.push(observer.subscribe(() => {}));
	return observer;
};

/** Resolves with the observer's result once `predicate` holds (TanStack notifies after each state change). */
const until = async <T>(observer: tanstack.QueryObserver<T>, predicate: (result: QueryObserverResult<T>) => boolean): Promise<QueryObserverResult<T>> =>
	new Promise((resolve) => {
		const check = (result: QueryObserverResult<T>) => {
			if (predicate(result)) {
				unsubscribe();
				resolve(result);
			}
		};

		const unsubscribe = observer.subscribe(check);
		queueMicrotask(() => check(observer.getCurrentResult()));
	});

/** A copy is written behind the caller: wait for it before the origin fails. */
const stored = async (steadfetch: Client) => new Promise<void>((resolve) => {
	const off = steadfetch.on('cache:stored', () => {
		off();
		resolve();
	});
});

/** The parts of a query's state the app and TanStack act on. */
const state = <T>(result: QueryObserverResult<T>) => ({
	status: result.status,
	fetchStatus: result.fetchStatus,
	failureCount: result.failureCount,
	dataUpdatedAt: result.dataUpdatedAt - start,
	error: result.error instanceof StaleAnswerError ? `stale: ${result.error.reason}` : result.error?.name ?? null,
	failureReason: result.failureReason instanceof StaleAnswerError ? `stale: ${result.failureReason.reason}` : result.failureReason?.name ?? null,
	data: result.data,
});

describe('steadfetch/tanstack-query with @tanstack/query-core, through an outage of a loopback API', () => {
	beforeAll(() => {
		vi.useFakeTimers({ toFake: ['Date'], now: start });
		tanstack.timeoutManager.setTimeoutProvider(timers);
	});

	afterAll(() => {
		vi.useRealTimers();
	});

	beforeEach(async () => {
		vi.setSystemTime(start);
		api = await startApi();
		timers.reset();
		queryClient = new tanstack.QueryClient();
		queryClient.mount();
	});

	afterEach(async () => {
		for (const off of unmount) {
			off();
		}

		unmount = [];
		queryClient.unmount();
		queryClient.clear();
		for (const made of clients) {
			made.close();
		}

		clients = [];
		await api.close();
	});

	it('a stale answer is an error to TanStack (retried when the breaker allows, dataUpdatedAt kept), shown as data N s old; the first request that gets through replaces it', async () => {
		const steadfetch = client();
		const observer = mounted(new tanstack.QueryObserver<User>(queryClient, { queryKey: ['user', '1'], ...queryOptionsFor<User>(steadfetch, 'users/1') }));
		const copied = stored(steadfetch);
		const first = await until(observer, (result) => result.status === 'success');
		expect(state(first)).toMatchObject({ status: 'success', failureCount: 0, dataUpdatedAt: 0, data: { version: 1 } });
		await copied;

		// 503s from 10 s: steadfetch retries (3 attempts), then serves its copy. TanStack sees a failure,
		// keeps the data it had (and its time), and schedules its retry with its own backoff (1 s).
		api.failWith503();
		timers.advance(10_000);
		const failing = observer.refetch();
		let result = await until(observer, (next) => next.failureCount === 1);
		expect(state(result)).toMatchObject({ status: 'success', fetchStatus: 'fetching', failureCount: 1, dataUpdatedAt: 0, failureReason: 'stale: http-5xx', data: { version: 1 } });
		expect(shown(result)).toMatchObject({ data: { version: 1 }, ageMs: 10_000, reason: 'http-5xx', offline: false });
		expect(api.gets('users/1')).toBe(1 + 3);
		expect(timers.pending()).toContain(1_000);

		// The retry: two more 503s make five in a row, so the breaker opens (5 s) and steadfetch does not
		// send its last retry. TanStack's next retry waits exactly until the breaker lets one through.
		timers.advance(1_000);
		result = await until(observer, (next) => next.failureCount === 2);
		expect(state(result)).toMatchObject({ status: 'success', fetchStatus: 'fetching', failureCount: 2, failureReason: 'stale: circuit-open' });
		expect(steadfetch.breaker(api.url)).toMatchObject({ state: 'open', reopensAt: start + 16_000 });
		expect(api.gets('users/1')).toBe(4 + 2);
		expect(timers.pending()).toContain(5_000);

		// The probe at 16 s fails: TanStack gives up (error state, data and dataUpdatedAt kept), the app
		// shows the copy as 16 s old. TanStack's 3 tries cost the origin 6 requests (the breaker
		// refused the rest), not 3 × 3 = 9.
		timers.advance(5_000);
		result = await failing;
		expect(state(result)).toMatchObject({ status: 'error', fetchStatus: 'idle', failureCount: 3, dataUpdatedAt: 0, error: 'stale: circuit-open', data: { version: 1 } });
		expect(result.errorUpdatedAt - start).toBe(16_000);
		expect(result.isStale).toBe(true); // TanStack's own "stale" (an error invalidates): any trigger refetches
		expect(shown(result)).toMatchObject({ data: { version: 1 }, ageMs: 16_000, reason: 'circuit-open', offline: false });
		expect(api.gets('users/1')).toBe(7);

		// Down (connections refused) at 20 s. A refetch while the breaker is open (until 26 s) costs
		// nothing and waits for it; the probe at 26 s is refused, re-opening the breaker for 20 s.
		await api.down();
		timers.advance(4_000);
		const refused = observer.refetch();
		result = await until(observer, (next) => next.failureCount === 1);
		expect(state(result)).toMatchObject({ fetchStatus: 'fetching', failureReason: 'stale: circuit-open' });
		expect(timers.pending()).toContain(6_000);
		timers.advance(6_000);
		result = await until(observer, (next) => next.failureCount === 2);
		expect(steadfetch.breaker(api.url)).toMatchObject({ state: 'open', reopensAt: start + 46_000 });
		expect(timers.pending()).toContain(20_000);

		// The API is back at 30 s; the breaker lets the next request through at 46 s, when TanStack's
		// retry sends it: the fresh answer replaces the copy at once (success, new dataUpdatedAt).
		timers.advance(4_000);
		await api.up();
		expect(state(observer.getCurrentResult())).toMatchObject({ fetchStatus: 'fetching', failureCount: 2 });
		timers.advance(16_000);
		result = await refused;
		expect(state(result)).toMatchObject({ status: 'success', fetchStatus: 'idle', failureCount: 0, dataUpdatedAt: 46_000, error: null, failureReason: null, data: { version: 8 } });
		expect(shown(result)).toMatchObject({ data: { version: 8 }, ageMs: 0, reason: undefined, offline: false });
		expect(steadfetch.breaker(api.url).state).toBe('closed');
	});

	it('after a stale answer, the next refetch (here: window focus, within staleTime) goes to the origin at once and replaces it', async () => {
		const steadfetch = client({ breaker: false, retry: 0 });
		const observer = mounted(new tanstack.QueryObserver<User>(queryClient, { queryKey: ['user', '2'], staleTime: 60_000, ...queryOptionsFor<User>(steadfetch, 'users/2') }));
		const copied = stored(steadfetch);
		await until(observer, (result) => result.status === 'success');
		await copied;

		api.failWith503();
		timers.advance(5_000);
		const failing = observer.refetch();
		await until(observer, (next) => next.failureCount === 1);
		timers.advance(1_000);
		await until(observer, (next) => next.failureCount === 2);
		timers.advance(2_000);
		expect(state(await failing)).toMatchObject({ status: 'error', failureCount: 3, dataUpdatedAt: 0, error: 'stale: http-5xx' });
		expect(api.gets('users/2')).toBe(4);

		// Back at 10 s, well within staleTime (60 s) of the last fresh answer: a focus refetches at once,
		// because the failure invalidated the query. (Returned as a success, the copy would have reset
		// dataUpdatedAt and held the old data "fresh" for another 60 s: the next test.)
		await api.up();
		timers.advance(2_000);
		queryClient.getQueryCache().onFocus(); // what a window focus runs; it starts the refetches it decides on at once
		expect(queryClient.getQueryState(['user', '2'])?.fetchStatus).toBe('fetching');
		const fresh = await until(observer, (next) => next.status === 'success' && next.fetchStatus === 'idle');
		expect(state(fresh)).toMatchObject({ failureCount: 0, dataUpdatedAt: 10_000, data: { version: 5 } });
		expect(api.gets('users/2')).toBe(5);
	});

	it('why not return the copy as data: TanStack would count it as fresh, reset dataUpdatedAt, and not refetch on focus after recovery', async () => {
		const steadfetch = client({ breaker: false, retry: 0 });
		const naive = async ({ signal }: { signal: AbortSignal }) => {
			const response = await steadfetch.get('users/3', { signal });
			return { user: await response.json<User>(), stale: isStale(response) };
		};

		const { retry, retryDelay } = queryOptionsFor(steadfetch, 'users/3');
		const observer = mounted(new tanstack.QueryObserver<{ user: User; stale: boolean }>(queryClient, { queryKey: ['user', '3'], staleTime: 60_000, queryFn: naive, retry, retryDelay }));
		const copied = stored(steadfetch);
		await until(observer, (result) => result.status === 'success');
		await copied;
		api.failWith503();
		timers.advance(5_000);
		const result = await observer.refetch();
		expect(state(result)).toMatchObject({ status: 'success', failureCount: 0, dataUpdatedAt: 5_000, data: { stale: true } });

		await api.up();
		timers.advance(5_000);
		queryClient.getQueryCache().onFocus();
		expect(queryClient.getQueryState(['user', '3'])?.fetchStatus).toBe('idle');
		expect(observer.getCurrentResult()).toMatchObject({ data: { stale: true } });
		expect(api.gets('users/3')).toBe(2);
	});

	it('refetchWhenBack: when one request gets through, the queries that gave up on a stale answer refetch at once', async () => {
		const steadfetch = client({ retry: 0, breaker: { consecutiveFailures: 2, openMs: 5_000 } });
		const off = refetchWhenBack(steadfetch, queryClient);
		const options = (id: string) => ({ queryKey: ['user', id], ...queryOptionsFor<User>(steadfetch, `users/${id}`), retry: false });
		const a = mounted(new tanstack.QueryObserver<User>(queryClient, options('a')));
		const b = mounted(new tanstack.QueryObserver<User>(queryClient, options('b')));
		const copied = Promise.all([stored(steadfetch), stored(steadfetch)]);
		await Promise.all([until(a, (result) => result.status === 'success'), until(b, (result) => result.status === 'success')]);
		await copied;

		api.failWith503();
		timers.advance(1_000);
		await Promise.all([a.refetch(), b.refetch()]);
		expect(steadfetch.breaker(api.url)).toMatchObject({ state: 'open', reopensAt: start + 6_000 });
		expect(state(b.getCurrentResult())).toMatchObject({ status: 'error', error: 'stale: http-5xx' });

		await api.up();
		timers.advance(5_000);
		expect(state(await a.refetch())).toMatchObject({ status: 'success', dataUpdatedAt: 6_000 });
		const fresh = await until(b, (result) => result.status === 'success' && result.fetchStatus === 'idle');
		expect(state(fresh)).toMatchObject({ dataUpdatedAt: 6_000, error: null, data: { id: 'b', version: 3 } });
		off();
	});

	it('a write that cannot be delivered is queued: TanStack shows success with `queued`, not an error; replayed once when the API is back', async () => {
		const steadfetch = client({ outbox: outbox(), retry: 0 });
		const accepted = client({ outbox: outbox({ queuedResponse: 'accepted' }), retry: 0 });
		const order = (through: Client) => new tanstack.MutationObserver(queryClient, mutationOptionsFor<{ ordered: number }, { item: number }>(async (variables) => through.post('orders', { json: variables })));

		const sent = await order(steadfetch).mutate({ item: 1 });
		expect(sent).toEqual({ queued: false, data: { ordered: 1 } });

		await api.down();
		for (const through of [steadfetch, accepted] as Array<Client<{ outbox: OutboxPolicy }>>) {
			const observer = order(through);
			const queued = await observer.mutate({ item: 2 });
			expect(queued).toEqual({ queued: true, entryId: expect.any(String) });
			expect(observer.getCurrentResult()).toMatchObject({ status: 'success', failureCount: 0, error: null });
			expect(await through.outbox.size()).toBe(1);
		}

		await api.up();
		for (const through of [steadfetch, accepted] as Array<Client<{ outbox: OutboxPolicy }>>) {
			await through.outbox.flush();
			expect(await through.outbox.size()).toBe(0);
		}

		// A write the server refuses (4xx) is not queued: TanStack shows the error.
		const rejected = order(steadfetch);
		await expect(rejected.mutate({ item: -1 })).rejects.toMatchObject({ name: 'HTTPError' });
		expect(rejected.getCurrentResult()).toMatchObject({ status: 'error', failureCount: 1 });
		expect([...api.applied.values()]).toEqual([{ item: 1 }, { item: 2 }, { item: 2 }]);
	});

	it('refetchWhenBack: a query that gave up on network failures (retry: 0, the breaker never opened) refetches as soon as an attempt to its scope gets an answer that is not transient; a 503 is not one', async () => {
		const steadfetch = client({ retry: 0, staleCache: false });
		const off = refetchWhenBack(steadfetch, queryClient);
		const observer = mounted(new tanstack.QueryObserver<User>(queryClient, { queryKey: ['user', 'net'], ...queryOptionsFor<User>(steadfetch, 'users/net'), retry: false }));
		await api.down();
		expect(state(await until(observer, (result) => result.status === 'error'))).toMatchObject({ error: 'NetworkError', fetchStatus: 'idle' });
		expect(steadfetch.breaker(api.url).state).toBe('closed');

		await api.up();
		api.failWith503();
		await steadfetch.get('users/other', { throwHttpErrors: false }); // an answer, but a transient one
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(observer.getCurrentResult().fetchStatus).toBe('idle');
		expect(api.gets('users/net')).toBe(0);

		await api.up(); // answers again
		await steadfetch.get('users/other'); // any call of the app's: before, nothing refetched the query
		const fresh = await until(observer, (result) => result.status === 'success' && result.fetchStatus === 'idle');
		expect(state(fresh)).toMatchObject({ error: null, data: { id: 'net' } });
		off();
	});

	it('refetchWhenBack: a query that gave up on a CircuitOpenError (no copy) refetches when the breaker closes', async () => {
		const steadfetch = client({ retry: 0, staleCache: false, breaker: { consecutiveFailures: 1, openMs: 5_000 } });
		const off = refetchWhenBack(steadfetch, queryClient);
		const options = (id: string) => ({ queryKey: ['user', id], ...queryOptionsFor<User>(steadfetch, `users/${id}`), retry: false });
		await api.down();
		const a = mounted(new tanstack.QueryObserver<User>(queryClient, options('a')));
		expect(state(await until(a, (result) => result.status === 'error'))).toMatchObject({ error: 'NetworkError' });
		const b = mounted(new tanstack.QueryObserver<User>(queryClient, options('b')));
		expect(state(await until(b, (result) => result.status === 'error'))).toMatchObject({ error: 'CircuitOpenError' });

		await api.up();
		timers.advance(5_000);
		expect(state(await a.refetch())).toMatchObject({ status: 'success' }); // the probe
		const fresh = await until(b, (result) => result.status === 'success' && result.fetchStatus === 'idle');
		expect(state(fresh)).toMatchObject({ data: { id: 'b' } });
		off();
	});

	it('refetchWhenBack: only the queries of the scope that answers (the scope of the URL given to queryOptionsFor)', async () => {
		const steadfetch = client({ retry: 0, staleCache: false, breaker: false });
		const off = refetchWhenBack(steadfetch, queryClient);
		const other = api.url.replace('127.0.0.1', 'localhost'); // the same API under another origin: another scope
		const here = mounted(new tanstack.QueryObserver<User>(queryClient, { queryKey: ['here'], ...queryOptionsFor<User>(steadfetch, 'users/here'), retry: false }));
		const there = mounted(new tanstack.QueryObserver<User>(queryClient, { queryKey: ['there'], ...queryOptionsFor<User>(steadfetch, `${other}/users/there`), retry: false }));
		await api.down();
		await Promise.all([until(here, (result) => result.status === 'error'), until(there, (result) => result.status === 'error')]);
		await api.up();
		await steadfetch.get('users/x'); // 127.0.0.1 answers
		await until(here, (result) => result.status === 'success');
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(state(there.getCurrentResult())).toMatchObject({ status: 'error', fetchStatus: 'idle' });
		await steadfetch.get(`${other}/users/x`); // then localhost does
		await until(there, (result) => result.status === 'success');
		off();
	});

	it('shown: `reason` is the stale copy\'s detail; `offline` is true only for `offline`', async () => {
		const steadfetch = client({ retry: 0, breaker: false });
		const observer = mounted(new tanstack.QueryObserver<User>(queryClient, { queryKey: ['user', 'off'], ...queryOptionsFor<User>(steadfetch, 'users/off'), retry: false }));
		const copied = stored(steadfetch);
		await until(observer, (result) => result.status === 'success');
		await copied;
		expect(shown(observer.getCurrentResult())).toMatchObject({ reason: undefined, offline: false });
		timers.advance(3_000);
		await api.down();
		vi.stubGlobal('navigator', { onLine: false });
		try {
			const result = await observer.refetch();
			expect(shown(result)).toMatchObject({ data: { id: 'off' }, ageMs: 3_000, reason: 'offline', offline: true });
		} finally {
			vi.unstubAllGlobals();
		}

		await api.up();
		api.failWith503();
		expect(shown(await observer.refetch())).toMatchObject({ reason: 'http-5xx', offline: false }); // before: offline true
	});

	it('followReachability: TanStack\'s onlineManager follows the scope (online unless unreachable or offline); the unsubscribe hands it back (the offline case: the Chromium test)', async () => {
		const steadfetch = client({ retry: 0, staleCache: false, breaker: false });
		const seen: boolean[] = [];
		const listening = tanstack.onlineManager.subscribe((online) => seen.push(online));
		try {
			const off = followReachability(steadfetch, tanstack.onlineManager, api.url);
			expect(tanstack.onlineManager.isOnline()).toBe(true); // unknown: online
			await api.down();
			await steadfetch.get('users/1').catch(() => undefined);
			expect(tanstack.onlineManager.isOnline()).toBe(true); // one failure changes nothing
			await steadfetch.get('users/1').catch(() => undefined);
			expect(tanstack.onlineManager.isOnline()).toBe(false); // unreachable
			await api.up();
			await steadfetch.get('users/1');
			expect(tanstack.onlineManager.isOnline()).toBe(true);

			off();
			await api.down();
			await steadfetch.get('users/1').catch(() => undefined);
			await steadfetch.get('users/1').catch(() => undefined);
			expect(steadfetch.reachability(api.url)).toBe('unreachable');
			expect(tanstack.onlineManager.isOnline()).toBe(true); // no longer followed
			expect(seen).toEqual([false, true]);
		} finally {
			listening();
			tanstack.onlineManager.setOnline(true);
		}
	});

	it('refetchWhenBack: a query answered `slow` (no failure: scope:back never fired) refetches once the slow attempt\'s answer came', async () => {
		const steadfetch = client({ retry: 0, breaker: false, staleCache: { networkTimeoutMs: 100 } });
		const off = refetchWhenBack(steadfetch, queryClient);
		const observer = mounted(new tanstack.QueryObserver<User>(queryClient, { queryKey: ['user', 'slow'], ...queryOptionsFor<User>(steadfetch, 'users/slow'), retry: false }));
		const copied = stored(steadfetch);
		await until(observer, (result) => result.status === 'success');
		await copied;
		api.slow(400); // this GET's answer comes after 400 ms: the copy answers it at 100 ms
		const stale = await observer.refetch();
		expect(state(stale)).toMatchObject({ status: 'error', fetchStatus: 'idle', error: 'stale: slow' });
		api.slow(0);
		const fresh = await until(observer, (result) => result.status === 'success' && result.fetchStatus === 'idle' && result.error === null);
		expect(fresh.data).toMatchObject({ id: 'slow', version: 3 }); // the slow GET's answer (2), then the refetch's (3)
		off();
	});

	it('refetchWhenBack: a query whose TanStack retry is pending (after a network failure) is fetched at once when its scope answers, not after the retry\'s delay', async () => {
		const steadfetch = client({ retry: 0, staleCache: false, breaker: false });
		const off = refetchWhenBack(steadfetch, queryClient);
		await api.down();
		const observer = mounted(new tanstack.QueryObserver<User>(queryClient, { queryKey: ['user', 'pending'], ...queryOptionsFor<User>(steadfetch, 'users/pending') }));
		const failed = await until(observer, (result) => result.failureCount === 1);
		expect(state(failed)).toMatchObject({ status: 'pending', fetchStatus: 'fetching', failureReason: 'NetworkError' });
		expect(timers.pending()).toEqual([1_000]); // TanStack's retry, in 1 s: the clock does not move
		await api.up();
		await steadfetch.get('users/other');
		const fresh = await until(observer, (result) => result.status === 'success' && result.fetchStatus === 'idle');
		expect(state(fresh)).toMatchObject({ error: null, data: { id: 'pending', version: 1 } });
		expect(api.gets('users/pending')).toBe(1);
		off();
	});

	it('refetchWhenBack: a query whose retry waits for the breaker\'s open period is fetched at once when the breaker closes (here by reset; from another tab: the Chromium test)', async () => {
		const steadfetch = client({ retry: 0, breaker: { consecutiveFailures: 2, openMs: 20_000 } });
		const off = refetchWhenBack(steadfetch, queryClient);
		const observer = mounted(new tanstack.QueryObserver<User>(queryClient, { queryKey: ['user', 'open'], ...queryOptionsFor<User>(steadfetch, 'users/open') }));
		const copied = stored(steadfetch);
		await until(observer, (result) => result.status === 'success');
		await copied;
		api.failWith503();
		await steadfetch.get('users/x', { throwHttpErrors: false });
		await steadfetch.get('users/x', { throwHttpErrors: false });
		expect(steadfetch.breaker(api.url).state).toBe('open');
		void observer.refetch();
		const waiting = await until(observer, (result) => result.failureCount === 1);
		expect(state(waiting)).toMatchObject({ fetchStatus: 'fetching', failureReason: 'stale: circuit-open' });
		expect(timers.pending()).toEqual([20_000]);
		await api.up();
		steadfetch.breaker.reset(api.url);
		const fresh = await until(observer, (result) => result.status === 'success' && result.fetchStatus === 'idle' && result.failureCount === 0);
		expect(state(fresh)).toMatchObject({ error: null, data: { id: 'open' } });
		off();
	});

	it('shown: while a query refetches, the stale copy keeps its reason and age (TanStack clears failureReason when a fetch starts)', async () => {
		const steadfetch = client({ retry: 0, breaker: false });
		const observer = mounted(new tanstack.QueryObserver<User>(queryClient, { queryKey: ['user', 'again'], ...queryOptionsFor<User>(steadfetch, 'users/again'), retry: false }));
		const copied = stored(steadfetch);
		await until(observer, (result) => result.status === 'success');
		await copied;
		timers.advance(19_000);
		api.failWith503();
		expect(shown(await observer.refetch())).toMatchObject({ data: { version: 1 }, ageMs: 19_000, reason: 'http-5xx' });
		api.hang();
		void observer.refetch();
		const during = await until(observer, (result) => result.fetchStatus === 'fetching');
		expect(during.failureReason).toBeNull();
		expect(shown(during)).toMatchObject({ data: { version: 1 }, ageMs: 19_000, reason: 'http-5xx' });
		await api.up();
	});

	it('shown: a first load answered by a copy another client stored keeps that copy, its reason and age while it refetches (TanStack then has no data and clears its error)', async () => {
		const store = memoryStore('tanstack-shared');
		const name = `tanstack-first-${++names}`;
		const earlier = client({ retry: 0, breaker: false, name, store: () => store });
		const copied = stored(earlier);
		await earlier.get('users/first');
		await copied;
		earlier.close();
		timers.advance(7_000);
		api.failWith503();
		const steadfetch = client({ retry: 0, breaker: false, name, store: () => store });
		const observer = mounted(new tanstack.QueryObserver<User>(queryClient, { queryKey: ['user', 'first'], ...queryOptionsFor<User>(steadfetch, 'users/first'), retry: false }));
		const stale = await until(observer, (result) => result.status === 'error');
		expect(shown(stale)).toMatchObject({ data: { id: 'first' }, ageMs: 7_000, reason: 'http-5xx' });
		api.hang();
		void observer.refetch();
		const during = await until(observer, (result) => result.fetchStatus === 'fetching');
		expect(state(during)).toMatchObject({ status: 'pending', error: null, failureReason: null, data: undefined });
		expect(shown(during)).toMatchObject({ data: { id: 'first' }, ageMs: 7_000, reason: 'http-5xx' });
		await api.up();
	});

	it('followReachability: unsubscribed while the scope is unreachable, onlineManager is back on navigator.onLine at once (Node has none: online)', async () => {
		const steadfetch = client({ retry: 0, staleCache: false, breaker: false });
		try {
			const off = followReachability(steadfetch, tanstack.onlineManager, api.url);
			await api.down();
			await steadfetch.get('users/1').catch(() => undefined);
			await steadfetch.get('users/1').catch(() => undefined);
			expect(tanstack.onlineManager.isOnline()).toBe(false);
			off();
			expect(tanstack.onlineManager.isOnline()).toBe(true);
		} finally {
			tanstack.onlineManager.setOnline(true);
		}
	});

	it('queryOptionsFor: a call that spent its totalTimeout against a hanging origin is not retried by TanStack (its error marked totalTimeoutSpent); a per-attempt timeout with time left is', async () => {
		api.hang();
		const spent = client({ retry: { limit: 1 }, staleCache: false, breaker: false, timeout: 150, totalTimeout: 250 });
		const first = mounted(new tanstack.QueryObserver<User>(queryClient, { queryKey: ['user', 'hang'], ...queryOptionsFor<User>(spent, 'users/hang') }));
		const began = performance.now();
		const failed = await until(first, (result) => result.status === 'error');
		expect(performance.now() - began).toBeLessThan(2_000);
		expect(state(failed)).toMatchObject({ fetchStatus: 'idle', failureCount: 1, error: 'TimeoutError' });
		expect((failed.error as { totalTimeoutSpent?: boolean }).totalTimeoutSpent).toBe(true);

		const left = client({ retry: 0, staleCache: false, breaker: false, timeout: 100, totalTimeout: 10_000 });
		const second = mounted(new tanstack.QueryObserver<User>(queryClient, { queryKey: ['user', 'hang-left'], ...queryOptionsFor<User>(left, 'users/hang') }));
		const retrying = await until(second, (result) => result.failureCount === 1);
		expect(state(retrying)).toMatchObject({ status: 'pending', fetchStatus: 'fetching', failureReason: 'TimeoutError' });
		expect((retrying.failureReason as { totalTimeoutSpent?: boolean }).totalTimeoutSpent).toBeUndefined();
		await api.up();
	});

	it('a write answered without a body (204 to a DELETE, 205, an empty 200, a HEAD) succeeds with data undefined; a query answered 204 has data null', async () => {
		const steadfetch = client({ retry: 0 });
		const sends: Array<() => Promise<Response>> = [
			async () => steadfetch.delete('empty?status=204'),
			async () => steadfetch.put('empty?status=205', { json: { a: 1 } }),
			async () => steadfetch.patch('empty', { json: { a: 1 } }),
			async () => steadfetch.head('users/1'),
		];
		for (const send of sends) {
			const observer = new tanstack.MutationObserver(queryClient, mutationOptionsFor<undefined, void>(send));
			expect(await observer.mutate()).toEqual({ queued: false, data: undefined });
			expect(observer.getCurrentResult()).toMatchObject({ status: 'success', error: null });
		}

		expect(api.hits).toEqual(['DELETE /empty', 'PUT /empty', 'PATCH /empty', 'HEAD /users/1']);
		const observer = mounted(new tanstack.QueryObserver<null>(queryClient, { queryKey: ['empty'], ...queryOptionsFor<null>(steadfetch, 'empty?status=204') }));
		expect(state(await until(observer, (result) => result.status !== 'pending'))).toMatchObject({ status: 'success', error: null, data: null });
		// A body that is not JSON stays an error: a 200 the app cannot read is not success.
		const garbled = new tanstack.MutationObserver(queryClient, mutationOptionsFor<unknown, void>(async () => new Response('<html>')));
		await expect(garbled.mutate()).rejects.toBeInstanceOf(SyntaxError);
	});
});

const root = join(import.meta.dirname, '../..');
const fixture = join(root, 'test/fixtures/tanstack-react');

/** `tsc -p project`: its exit status and what it printed. */
const tsc = (project: string) => {
	const run = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], { encoding: 'utf8' });
	return { status: run.status, output: run.stdout + run.stderr };
};

/**
 * The fixture in a directory of its own whose node_modules holds only what the app installs, as
 * pnpm lays it out: react-query, React and its types, and steadfetch (this package, built). Their own
 * dependencies (react-query's @tanstack/query-core) resolve from where they really are, not from the app.
 */
const strictApp = <T>(check: (dir: string) => T): T => {
	const dir = mkdtempSync(join(tmpdir(), 'steadfetch-react-'));
	const links = ['@tanstack/react-query', 'react', '@types/react', 'steadfetch'].map((name) => join(dir, 'node_modules', name));
	try {
		for (const file of readdirSync(fixture)) {
			cpSync(join(fixture, file), join(dir, file));
		}

		for (const link of links) {
			mkdirSync(dirname(link), { recursive: true });
			symlinkSync(link.endsWith('steadfetch') ? root : join(root, link.slice(dir.length + 1)), link);
		}

		return check(dir);
	} finally {
		for (const link of links) {
			rmSync(link, { force: true }); // the link, never what it points to
		}

		rmSync(dir, { recursive: true, force: true });
	}
};

describe('steadfetch/tanstack-query in a React app (tsc, built types)', () => {
	beforeAll(() => {
		if (!existsSync(join(root, 'dist/tanstack-query.d.ts'))) {
			throw new Error('dist/ is missing: run `npm run build` first');
		}
	});

	it('a React 19 app with @tanstack/react-query type-checks: useQuery infers the error type Error, shown(result) takes the result; under a strict (pnpm) node_modules', () => {
		expect(strictApp((dir) => tsc(join(dir, 'tsconfig.json')))).toEqual({ status: 0, output: '' });
	}, 60_000);

	it('the recipe\'s old shape does not: TS2345 on shown(result) (TanStack inferred TError = unknown), and under a strict node_modules TS2307 for @tanstack/query-core', () => {
		const hoisted = tsc(join(fixture, 'tsconfig.old-recipe.json'));
		expect(hoisted.status).not.toBe(0);
		expect(hoisted.output).toContain("error TS2345: Argument of type 'UseQueryResult<User, unknown>' is not assignable");
		const strict = strictApp((dir) => tsc(join(dir, 'tsconfig.old-recipe.json')));
		expect(strict.output).toContain("error TS2307: Cannot find module '@tanstack/query-core'");
	}, 60_000);

	it('no TanStack package in the built entry, its code or its types: nothing for an app to have besides its adapter', () => {
		const built = readdirSync(join(root, 'dist'), { recursive: true, encoding: 'utf8' }).filter((file) => /\.(?:c?js|d\.c?ts)$/.test(file));
		expect(built).toEqual(expect.arrayContaining(['tanstack-query.js', 'tanstack-query.cjs', 'tanstack-query.d.ts', 'tanstack-query.d.cts', 'browser/tanstack-query.js', 'edge/tanstack-query.js']));
		const importing = built.filter((file) => /['"]@tanstack\//.test(readFileSync(join(root, 'dist', file), 'utf8')));
		expect(importing).toEqual([]);
	});
});
