/**
 * adaptiveThrottle() (issue 38): the SRE client-side throttle, exact on an injected clock and random
 * source, against a real loopback origin; what a refusal costs (nothing); the stale answer; the
 * counts shared by the tabs of one name (BroadcastChannel) and by isolates through a coordinator.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { sharedCoordinator } from '../../src/breaker/shared.js';
import { tallyThrottle, type ThrottleAnswer, type ThrottleMessage } from '../../src/coordinator/throttle.js';
import { breaker } from '../../src/entries/breaker.js';
import { staleCache } from '../../src/entries/cache.js';
import { classify, createClient, isSteadfetchError, memoryStore } from '../../src/entries/core.js';
import { unavailable } from '../../src/entries/cloudflare.js';
import { health } from '../../src/entries/health.js';
import { logger, type LogRecord } from '../../src/entries/logger.js';
import { hedge } from '../../src/entries/hedge.js';
import { adaptiveThrottle, ThrottledError, type AdaptiveThrottleOptions } from '../../src/entries/throttle.js';
import type { StorageErrorEvent } from '../../src/core/event-types.js';
import type { ThrottleRejectedEvent } from '../../src/throttle/events.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { waitFor } from '../helpers/wait-for.js';

/** The origin: `/s/<status>` answers that status; `/hang` answers when the client leaves; `/race` hangs its first request, answers the next at once. */
let server: RunningServer;
let hits = 0;
let arrived: (() => void) | undefined;
let races = 0;
/** Requests the origin saw the client leave (a hang that ended). */
let left = 0;
beforeAll(async () => {
	server = await serve(async (request) => {
		hits++;
		arrived?.();
		const { pathname } = new URL(request.url);
		if (pathname === '/hang' || (pathname === '/race' && races++ === 0)) {
			await new Promise((resolve) => request.signal.addEventListener('abort', resolve));
			left++;
		}

		const status = Number(/^\/s\/(\d+)$/.exec(pathname)?.[1] ?? 200);
		return new Response(status === 200 ? '{"ok":true}' : 'no', { status, headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60' } });
	});
});
afterAll(async () => server.close());
afterEach(() => {
	vi.unstubAllGlobals();
});

type Client = ReturnType<typeof createClient>;

/** A client whose throttle decides on the test's clock and draws `random()` from `draw.value`. */
const make = (options: AdaptiveThrottleOptions = {}, extra: Record<string, unknown> = {}) => {
	const clock = new ManualClock();
	const draw = { value: 0.999_999 };
	const api = createClient({ clock, random: () => draw.value, retry: 0, adaptiveThrottle: adaptiveThrottle(options), ...extra });
	const rejected: ThrottleRejectedEvent[] = [];
	const errors: StorageErrorEvent[] = [];
	api.on('throttle:rejected', (event) => rejected.push(event));
	api.on('storage:error', (event) => errors.push(event));
	const counts = () => (api.stats()[server.url]?.['throttle'] ?? {}) as { requests: number; accepts: number; rejectRatio: number; rejected: number };
	return { api, clock, draw, rejected, errors, counts };
};

/** A call's outcome: its status, or `classify()`'s code. */
const outcome = async (api: Client, path: string, options: Record<string, unknown> = {}): Promise<string> =>
	api.get(`${server.url}${path}`, options).then((response) => String(response.status), (error: unknown) => classify(error).code);

const send = async (api: Client, status: number, times: number, options: Record<string, unknown> = {}): Promise<void> => {
	for (let index = 0; index < times; index++) {
		await outcome(api, `/s/${status}`, options);
	}
};

describe('adaptiveThrottle: options', () => {
	it('bad options throw a RangeError naming the option and the value', () => {
		const bad: Array<[AdaptiveThrottleOptions, RegExp]> = [
			[{ k: 0.5 }, /`adaptiveThrottle\.k` must be a finite number of at least 1; got 0\.5/],
			[{ k: Number.NaN }, /adaptiveThrottle\.k/],
			[{ windowMs: 0 }, /`adaptiveThrottle\.windowMs` must be a positive finite number of ms; got 0/],
			[{ windowMs: Number.POSITIVE_INFINITY }, /adaptiveThrottle\.windowMs/],
			[{ minRequests: -1 }, /`adaptiveThrottle\.minRequests` must be a non-negative integer; got -1/],
			[{ minRequests: 1.5 }, /adaptiveThrottle\.minRequests/],
			[{ maxRejectRatio: 1.1 }, /`adaptiveThrottle\.maxRejectRatio` must be a number in \[0, 1\]; got 1\.1/],
			[{ maxRejectRatio: -0.1 }, /adaptiveThrottle\.maxRejectRatio/],
			[{ shared: {} as never }, /`adaptiveThrottle\.shared` must be a coordinator/],
		];
		for (const [options, message] of bad) {
			expect(() => adaptiveThrottle(options), JSON.stringify(options)).toThrow(RangeError);
			expect(() => adaptiveThrottle(options)).toThrow(message);
		}

		expect(() => createClient({ adaptiveThrottle: {} as never })).toThrow(/`adaptiveThrottle` must be a policy \(from `steadfetch\/throttle`\)/);
	});
});

describe('adaptiveThrottle: the formula, exactly', () => {
	// p = max(0, (requests − k·accepts) / (requests + 1)), capped at maxRejectRatio, 0 below minRequests.
	const table: Array<{ name: string; options: AdaptiveThrottleOptions; sends: Array<[number, number]>; requests: number; accepts: number; p: number }> = [
		{ name: 'below minRequests: nothing refused', options: {}, sends: [[503, 19]], requests: 19, accepts: 0, p: 0 },
		{ name: 'exactly minRequests, capped at maxRejectRatio', options: {}, sends: [[503, 20]], requests: 20, accepts: 0, p: 0.9 },
		{ name: 'exactly minRequests, uncapped', options: { maxRejectRatio: 1 }, sends: [[503, 20]], requests: 20, accepts: 0, p: 20 / 21 },
		{ name: 'k = 2: 10 accepted of 30', options: {}, sends: [[200, 10], [503, 20]], requests: 30, accepts: 10, p: 10 / 31 },
		{ name: 'k = 1.5, a 404 is an accept', options: { k: 1.5 }, sends: [[404, 10], [503, 10]], requests: 20, accepts: 10, p: 5 / 21 },
		{ name: 'every attempt accepted: 0', options: {}, sends: [[200, 25]], requests: 25, accepts: 25, p: 0 },
		{ name: '429, 408 and 500 are not accepts', options: { maxRejectRatio: 1 }, sends: [[429, 5], [408, 5], [500, 10]], requests: 20, accepts: 0, p: 20 / 21 },
		{ name: 'minRequests 0: one failure', options: { minRequests: 0, maxRejectRatio: 1 }, sends: [[503, 1]], requests: 1, accepts: 0, p: 1 / 2 },
		{ name: 'maxRejectRatio 0: never', options: { maxRejectRatio: 0 }, sends: [[503, 30]], requests: 30, accepts: 0, p: 0 },
	];
	for (const { name, options, sends, requests, accepts, p } of table) {
		it(name, async () => {
			const { api, counts } = make(options);
			for (const [status, times] of sends) {
				await send(api, status, times);
			}

			expect(counts()).toMatchObject({ requests, accepts, rejected: 0 });
			expect(counts().rejectRatio).toBe(p);
			api.close();
		});
	}

	it('refused when random() < p, not when random() = p; a refused attempt makes no I/O, is counted as a request, and says why', async () => {
		const { api, draw, rejected, counts } = make();
		await send(api, 200, 10);
		await send(api, 503, 20);
		const p = 10 / 31;
		const before = hits;
		draw.value = p;
		expect(await outcome(api, '/s/200')).toBe('200');
		expect(hits).toBe(before + 1);
		// 31 requests, 11 accepts now: p = (31 − 22) / 32.
		const next = 9 / 32;
		expect(counts().rejectRatio).toBe(next);
		draw.value = next - 1e-9;
		const error = await api.get(`${server.url}/s/200`).then(() => undefined, (caught: unknown) => caught);
		expect(error).toBeInstanceOf(ThrottledError);
		expect(error).toMatchObject({ code: 'THROTTLED', transient: true, scope: server.url, rejectRatio: next, name: 'ThrottledError' });
		expect(isSteadfetchError(error)).toBe(true);
		expect(classify(error)).toEqual({ code: 'THROTTLED', transient: true });
		expect(hits).toBe(before + 1);
		expect(rejected).toEqual([expect.objectContaining({ type: 'throttle:rejected', scope: server.url, method: 'GET', url: `${server.url}/s/200`, rejectRatio: next })]);
		// The refusal is a request without an accept: 32 requests, 11 accepts.
		expect(counts()).toMatchObject({ requests: 32, accepts: 11, rejected: 1, rejectRatio: (32 - 22) / 33 });
		api.close();
	});

	it('the window slides: counts older than windowMs (ten buckets of a tenth) are forgotten', async () => {
		const { api, clock, counts } = make({ windowMs: 10_000 });
		await send(api, 503, 20); // at t0, a multiple of the bucket length
		clock.advance(5_000);
		await send(api, 200, 5);
		expect(counts()).toMatchObject({ requests: 25, accepts: 5, rejectRatio: 15 / 26 });
		clock.advance(4_999); // the first bucket is 9 buckets old: still in the window
		expect(counts()).toMatchObject({ requests: 25, accepts: 5 });
		clock.advance(1); // 10 buckets old: gone
		expect(counts()).toMatchObject({ requests: 5, accepts: 5, rejectRatio: 0 });
		clock.advance(5_000);
		expect(counts()).toMatchObject({ requests: 0, accepts: 0, rejectRatio: 0 });
		api.close();
	});

	it('a network failure and a timeout are requests without an accept', async () => {
		const closed = await serve(() => new Response('never'));
		await closed.close(); // nothing listens there now: connections are refused
		const { api, counts } = make();
		expect(await api.get(`${closed.url}/x`).then(() => 'ok', (error: unknown) => classify(error).code)).toBe('NETWORK');
		expect(api.stats()[closed.url]?.['throttle']).toMatchObject({ requests: 1, accepts: 0 });
		expect(await outcome(api, '/hang', { timeout: 50 })).toBe('TIMEOUT');
		expect(counts()).toMatchObject({ requests: 1, accepts: 0 });
		api.close();
	});

	it('an attempt aborted by its caller counts as neither', async () => {
		const { api, counts } = make();
		await send(api, 200, 2);
		const controller = new AbortController();
		const reached = new Promise<void>((resolve) => {
			arrived = resolve;
		});
		const call = outcome(api, '/hang', { signal: controller.signal });
		await reached;
		arrived = undefined;
		controller.abort();
		expect(await call).toBe('ABORTED');
		expect(counts()).toMatchObject({ requests: 2, accepts: 2 });
		// An already aborted call is rejected at once, neither counted.
		expect(await outcome(api, '/s/200', { signal: AbortSignal.abort() })).toBe('ABORTED');
		expect(counts()).toMatchObject({ requests: 2, accepts: 2 });
		api.close();
	});

	it('a refusal of a policy below it (an open breaker) counts as neither: the origin said nothing', async () => {
		const { api, counts } = make({}, { breaker: breaker({ consecutiveFailures: 1, openMs: 60_000, share: false }) });
		expect(await outcome(api, '/s/503')).toBe('HTTP_5XX');
		const before = hits;
		for (let index = 0; index < 5; index++) {
			expect(await outcome(api, '/s/200')).toBe('CIRCUIT_OPEN');
		}

		expect(hits).toBe(before);
		expect(counts()).toMatchObject({ requests: 1, accepts: 0 });
		api.close();
	});

	it('a hedge that lost its race counts as neither; the winner is a request and an accept', async () => {
		const { api, counts } = make({}, { hedge: hedge({ delayMs: 30 }), retryBudget: false });
		races = 0;
		const before = { hits, left };
		expect(await outcome(api, '/race')).toBe('200');
		expect(hits).toBe(before.hits + 2); // the slow first attempt and its hedge both went out
		// The origin saw the loser leave: the client aborted it (Superseded) before that.
		await waitFor(() => left > before.left, 'the loser aborted');
		expect(counts()).toMatchObject({ requests: 1, accepts: 1 });
		api.close();
	});
});

describe('adaptiveThrottle: a refusal costs nothing else', () => {
	it('is never retried, even when the caller\'s shouldRetry says so: no retry sent, none paid', async () => {
		const shouldRetry = vi.fn(() => true);
		const { api, draw, rejected } = make({ minRequests: 1 }, { retry: { limit: 2, delay: () => 0, shouldRetry } });
		await send(api, 404, 1, { retry: 0 });
		await send(api, 503, 3, { retry: 0 }); // p = (4 − 2) / 5 = 0.4
		draw.value = 0; // every attempt refused from here
		const before = { hits, retries: api.stats()[server.url]!.retries };
		expect(await outcome(api, '/s/200')).toBe('THROTTLED');
		expect(rejected).toHaveLength(1);
		expect(hits).toBe(before.hits);
		expect(api.stats()[server.url]).toMatchObject({ retries: before.retries, retriesRefused: 0 });
		expect(shouldRetry).not.toHaveBeenCalled();
		api.close();
	});

	it('is not a failure nor a success for the breaker: its consecutive failures go on where they were', async () => {
		const { api, draw } = make({ minRequests: 1 }, { breaker: breaker({ consecutiveFailures: 3, share: false }) });
		await send(api, 503, 2);
		draw.value = 0;
		for (let index = 0; index < 5; index++) {
			expect(await outcome(api, '/s/503')).toBe('THROTTLED');
		}

		const stateOf = () => (api as unknown as { breaker(url: string): { state: string } }).breaker(server.url).state;
		expect(stateOf()).toBe('closed');
		draw.value = 0.999_999;
		expect(await outcome(api, '/s/503')).toBe('HTTP_5XX');
		expect(stateOf()).toBe('open');
		api.close();
	});

	it('is not counted by health: a call refused at once is no call; a refused retry leaves the failure its attempt met', async () => {
		const { api, draw } = make({ minRequests: 1 }, { health: health(), retry: { limit: 1, delay: () => 0 } });
		draw.value = 0;
		// 0 requests: p = 0, the first attempt goes (503); its retry meets p = 1/2 and is refused.
		expect(await outcome(api, '/s/503')).toBe('THROTTLED');
		expect(api.stats()[server.url]).toMatchObject({ errorRate: 1, topErrors: [{ code: 'HTTP_5XX', count: 1 }] });
		// Refused at its first attempt: nothing reached the network, nothing counted.
		expect(await outcome(api, '/s/200')).toBe('THROTTLED');
		expect(api.stats()[server.url]).toMatchObject({ errorRate: 1, topErrors: [{ code: 'HTTP_5XX', count: 1 }] });
		api.close();
	});

	it('is logged as an expected failure (a warning), and a Worker answers it 503 with Retry-After: 1 (unavailable)', async () => {
		const records: LogRecord[] = [];
		const sink = { info: (record: LogRecord) => records.push(record), warn: (record: LogRecord) => records.push(record), error: (record: LogRecord) => records.push(record) };
		const { api, draw } = make({ minRequests: 1 }, { logger: logger(sink) });
		await send(api, 503, 1);
		draw.value = 0;
		const error = await api.get(`${server.url}/s/200`).then(() => undefined, (caught: unknown) => caught);
		expect(records.at(-1)).toMatchObject({ event: 'call', level: 'warn', severity: 'expected', code: 'THROTTLED' });
		const answer = unavailable(error);
		expect([answer?.status, answer?.headers.get('retry-after')]).toEqual([503, '1']);
		api.close();
	});

	it('a read with a stored copy is answered stale: Cache-Status detail=throttled, cache:stale reason throttled', async () => {
		const { api, draw } = make({ minRequests: 1 }, { staleCache: staleCache(), store: memoryStore });
		const stored = new Promise((resolve) => api.on('cache:stored', resolve));
		expect(await outcome(api, '/s/200')).toBe('200');
		await stored;
		await send(api, 503, 3);
		const reasons: string[] = [];
		api.on('cache:stale', (event) => reasons.push(event.reason));
		draw.value = 0;
		const before = hits;
		const response = await api.get(`${server.url}/s/200`);
		expect(response.headers.get('cache-status')).toMatch(/^steadfetch; hit; ttl=\d+; detail=throttled$/);
		expect(await response.json()).toEqual({ ok: true });
		expect(reasons).toEqual(['throttled']);
		expect(hits).toBe(before);
		api.close();
	});
});

describe('adaptiveThrottle: the tabs of one name share their counts', () => {
	const channelOf = (name: string) => new BroadcastChannel(`steadfetch:${name}:throttle`);

	it('what one tab counts reaches the others within a second; together they throttle what neither would alone', async () => {
		vi.stubGlobal('WorkerGlobalScope', class {}); // a worker: a context with tabs to share with
		const name = `tabs-${Date.now()}`;
		const a = make({}, { name });
		const b = make({}, { name });
		await send(b.api, 503, 5); // b knows the scope, 5 < 20 alone
		await send(a.api, 503, 15); // a alone: 15 < 20
		expect(a.counts().rejectRatio).toBe(0);
		// a's first count went at once, the rest within a second: b sees a's 15 and its own 5.
		await waitFor(() => b.counts().requests === 20, 'a\'s counts at b');
		expect(b.counts()).toMatchObject({ requests: 20, accepts: 0, rejectRatio: 0.9 });
		b.draw.value = 0.5;
		expect(await outcome(b.api, '/s/200')).toBe('THROTTLED');
		await waitFor(() => a.counts().requests === 21, 'b\'s counts at a');
		a.api.close();
		b.api.close();
	});

	it('at most one message per scope a second; malformed ones (a scope over 8,192 characters too) are ignored and reported', async () => {
		vi.stubGlobal('WorkerGlobalScope', class {});
		const name = `tabs-batch-${Date.now()}`;
		const seen: Array<{ at: number; data: { scope: string; requests: number; accepts: number } }> = [];
		const listener = channelOf(name);
		listener.onmessage = (event: MessageEvent) => seen.push({ at: performance.now(), data: event.data });
		const a = make({}, { name });
		await send(a.api, 200, 10);
		await send(a.api, 503, 20);
		await waitFor(() => seen.reduce((sum, { data }) => sum + data.requests, 0) === 30, 'every count told');
		expect(seen.reduce((sum, { data }) => sum + data.accepts, 0)).toBe(10);
		for (let index = 1; index < seen.length; index++) {
			expect(seen[index]!.at - seen[index - 1]!.at).toBeGreaterThanOrEqual(950);
		}

		expect(seen.length).toBeLessThanOrEqual(3);
		const malformed = [null, 'x', { scope: server.url, requests: -1, accepts: 0 }, { scope: server.url, requests: 100_001, accepts: 0 }, { scope: server.url, requests: 5, accepts: 6 }, { scope: server.url, requests: 1.5, accepts: 0 }, { scope: 7, requests: 1, accepts: 0 }, { scope: 'h'.repeat(8193), requests: 1, accepts: 0 }];
		for (const data of malformed) {
			listener.postMessage(data);
		}

		listener.postMessage({ scope: server.url, requests: 2, accepts: 1 });
		await waitFor(() => a.counts().requests === 32, 'the good message');
		expect(a.counts().accepts).toBe(11);
		expect(a.errors.map(({ part, operation }) => `${part} ${operation}`)).toEqual(Array(malformed.length).fill('throttle channel'));
		// A scope name of more than 8,192 characters (bounded as the breaker's and the rate limiter's): no state made for it.
		expect(Object.keys(a.api.stats()).filter((scope) => scope.length > 8192)).toEqual([]);
		listener.close();
		a.api.close();
	});

	it('a tab learns a scope from the others before its first call to it, up to 64 scopes it does not know', async () => {
		vi.stubGlobal('WorkerGlobalScope', class {});
		const other = await serve(() => new Response('fine'));
		const third = await serve(() => new Response('fine'));
		const name = `tabs-learn-${Date.now()}`;
		const listener = channelOf(name);
		const a = make({}, { name });
		a.draw.value = 0.5;
		listener.postMessage({ scope: other.url, requests: 30, accepts: 0 });
		for (let index = 0; index < 64; index++) {
			listener.postMessage({ scope: `https://flood-${index}.example`, requests: 1, accepts: 0 });
		}

		listener.postMessage({ scope: third.url, requests: 30, accepts: 0 });
		listener.postMessage('the end'); // malformed: its report says every message before it arrived (one sender's messages keep their order)
		await waitFor(() => a.errors.length === 1, 'delivery');
		const first = async (url: string) => a.api.get(url).then((response) => String(response.status), (error: unknown) => classify(error).code);
		// The other tab's 30 failures at `other`: a's first call there is refused (p = 0.9), with no I/O.
		expect(await first(`${other.url}/x`)).toBe('THROTTLED');
		// `third` came after 64 unknown scopes had been added: not learnt, its first call goes.
		expect(await first(`${third.url}/x`)).toBe('200');
		listener.close();
		a.api.close();
		await Promise.all([other.close(), third.close()]);
	});
});

describe('adaptiveThrottle({ shared }): isolates share their counts through a coordinator', () => {
	/** A coordinator in memory over tallyThrottle (what the Durable Object and Deno KV run), on the test's clock. */
	const memoryCoordinator = (clock: ManualClock, answer?: (message: ThrottleMessage) => Promise<unknown>) => {
		const states = new Map<string, unknown>();
		const messages: ThrottleMessage[] = [];
		const coordinator = sharedCoordinator(async (scope, message) => {
			messages.push(message as ThrottleMessage);
			if (answer) {
				return answer(message as ThrottleMessage) as Promise<ThrottleAnswer>;
			}

			const [state, counts] = tallyThrottle(scope, states.get(scope), (message as ThrottleMessage).throttle, clock.now());
			states.set(scope, structuredClone(state));
			return structuredClone(counts);
		});
		return { coordinator, messages };
	};

	it('three isolates, each sending below minRequests alone, throttle together', async () => {
		const clock = new ManualClock();
		const { coordinator, messages } = memoryCoordinator(clock);
		const isolates = [0, 1, 2].map(() => {
			const isolate = make({ shared: coordinator });
			isolate.clock.set(clock.now());
			return isolate;
		});
		for (let round = 0; round < 8; round++) {
			for (const isolate of isolates) {
				await send(isolate.api, 503, 1);
			}

			clock.advance(1_000);
			for (const isolate of isolates) {
				isolate.clock.set(clock.now());
			}
		}

		// Each isolate counted 8 alone; the coordinator saw what each reported (at most a sync a second each).
		expect(messages.length).toBeLessThanOrEqual(8 * 3);
		// The ninth call reports the first one's 8 (the others reported 7 each), and reads the window back.
		await send(isolates[0]!.api, 503, 1);
		await waitFor(() => isolates[0]!.counts().requests === 8 + 7 + 7 + 1, 'the fleet\'s window');
		expect(isolates[0]!.counts()).toMatchObject({ accepts: 0, rejectRatio: 0.9 });
		isolates[0]!.draw.value = 0.5;
		expect(await outcome(isolates[0]!.api, '/s/200')).toBe('THROTTLED');
		// The same traffic without a coordinator: nobody refuses anything.
		const alone = make();
		await send(alone.api, 503, 9);
		alone.draw.value = 0;
		expect(await outcome(alone.api, '/s/200')).toBe('200');
		for (const isolate of [...isolates, alone]) {
			isolate.api.close();
		}
	});

	it('isolates that each send a call only every 5 s (the fleet\'s last answer older than two syncs at each call) still throttle together', async () => {
		const clock = new ManualClock();
		const { coordinator } = memoryCoordinator(clock);
		const isolates = [0, 1, 2].map(() => make({ shared: coordinator }));
		const tick = (): void => {
			for (const isolate of isolates) {
				isolate.clock.set(clock.now());
			}
		};

		tick();
		for (let round = 0; round < 8; round++) {
			for (const isolate of isolates) {
				await send(isolate.api, 503, 1);
			}

			clock.advance(5_000);
			tick();
		}

		// The fleet's window (40 s of a 120 s window) holds 24 attempts, none accepted: p = 0.9; each isolate alone has 8, under minRequests.
		isolates[0]!.draw.value = 0.5;
		// Before: every call decided from the isolate's own 8 (the answer its previous call's sync brought was 5 s old), and went out.
		expect(await outcome(isolates[0]!.api, '/s/200')).toBe('THROTTLED');
		for (const isolate of isolates) {
			isolate.api.close();
		}
	});

	it('a failing coordinator: storage:error once, the isolate decides from its own counts; it rejoins when it answers again', async () => {
		let failing = true;
		const clock = new ManualClock();
		const { coordinator } = memoryCoordinator(clock, async (message) => {
			if (failing) {
				throw new Error('coordinator down');
			}

			return { throttle: { requests: message.throttle.requests + 100, accepts: 0 } };
		});
		const isolate = make({ shared: coordinator });
		isolate.clock.set(clock.now());
		for (let index = 0; index < 5; index++) {
			await send(isolate.api, 503, 1);
			isolate.clock.advance(1_000);
		}

		expect(isolate.errors.map(({ part, operation }) => `${part} ${operation}`)).toEqual(['throttle shared']);
		expect(isolate.counts()).toMatchObject({ requests: 5, rejectRatio: 0 });
		failing = false;
		await send(isolate.api, 503, 1);
		await waitFor(() => isolate.counts().requests > 100, 'the fleet again');
		expect(isolate.counts().rejectRatio).toBe(0.9);
		isolate.api.close();
	});

	it('a garbled or hostile answer is bounded: not counts, storage:error, own counts decide', async () => {
		const answers: unknown[] = [
			{ throttle: { requests: 1e12, accepts: 0 } },
			{ throttle: { requests: 5, accepts: 9 } },
			{ throttle: { requests: 'many', accepts: 0 } },
			{ throttle: { requests: -3, accepts: 0 } },
			{ throttle: { requests: 2.5, accepts: 0 } },
			{ record: {} },
			null,
		];
		for (const garbled of answers) {
			const clock = new ManualClock();
			const { coordinator } = memoryCoordinator(clock, async () => garbled);
			const isolate = make({ shared: coordinator });
			isolate.clock.set(clock.now());
			await send(isolate.api, 503, 3);
			await waitFor(() => isolate.errors.length > 0, 'the report');
			expect(isolate.errors.map(({ part, operation }) => `${part} ${operation}`), JSON.stringify(garbled)).toEqual(['throttle shared']);
			expect(isolate.counts()).toMatchObject({ requests: 3, accepts: 0, rejectRatio: 0 });
			isolate.api.close();
		}
	});

	it('an attempt given up while the first call waits for the fleet (its timeout shorter than the wait) is neither sent nor counted, by the throttle or the breaker below it', async () => {
		const clock = new ManualClock();
		const { coordinator } = memoryCoordinator(clock, async () => new Promise(() => undefined));
		const isolate = make({ shared: coordinator }, { timeout: 40, breaker: breaker({ consecutiveFailures: 1, share: false }) });
		hits = 0;
		expect(await outcome(isolate.api, '/s/200')).toBe('TIMEOUT');
		await new Promise((resolve) => setTimeout(resolve, 150)); // past the first call's 100 ms wait for the fleet
		// Before: the given-up attempt went on at 100 ms, aborted, and counted as a failure: the breaker open, a request of the throttle.
		expect([hits, (isolate.api as unknown as { breaker(url: string): { state: string } }).breaker(server.url).state, isolate.counts().requests]).toEqual([0, 'closed', 0]);
		isolate.api.close();
	});

	it('a coordinator that never answers: the first call waits at most 100 ms, none after it; storage:error after 2 000 ms', async () => {
		const clock = new ManualClock();
		const { coordinator, messages } = memoryCoordinator(clock, async () => new Promise(() => undefined));
		const isolate = make({ shared: coordinator });
		const started = performance.now();
		expect(await outcome(isolate.api, '/s/200')).toBe('200');
		const first = performance.now() - started;
		expect(first).toBeGreaterThanOrEqual(95);
		expect(first).toBeLessThan(1_000);
		expect(messages).toHaveLength(1);
		isolate.clock.advance(1_000); // a sync is due again, but one is under way: nothing more is sent, nobody waits
		const again = performance.now();
		expect(await outcome(isolate.api, '/s/200')).toBe('200');
		expect(performance.now() - again).toBeLessThan(95);
		expect(messages).toHaveLength(1);
		await waitFor(() => isolate.errors.length > 0, 'the coordinator given up');
		expect(isolate.errors[0]).toMatchObject({ part: 'throttle', operation: 'shared', key: server.url });
		expect(String((isolate.errors[0]!.error as Error).message)).toMatch(/did not answer within 2000 ms/);
		isolate.api.close();
	});
});

describe('tallyThrottle: the coordinator\'s side', () => {
	const scope = 'https://api.example.com';
	const t0 = 1_700_000_000_000;

	it('adds each report to the current bucket and answers the window\'s sums, the report included', () => {
		let [state, answer] = tallyThrottle(scope, undefined, { windowMs: 10_000, requests: 5, accepts: 2 }, t0);
		expect(answer).toEqual({ throttle: { requests: 5, accepts: 2 } });
		[state, answer] = tallyThrottle(scope, state, { windowMs: 10_000, requests: 3, accepts: 3 }, t0 + 9_999);
		expect(answer).toEqual({ throttle: { requests: 8, accepts: 5 } });
		[state, answer] = tallyThrottle(scope, state, { windowMs: 10_000, requests: 0, accepts: 0 }, t0 + 10_000);
		expect(answer).toEqual({ throttle: { requests: 3, accepts: 3 } });
		// A report of another window, or a state of another scope or shape, starts afresh.
		expect(tallyThrottle(scope, state, { windowMs: 20_000, requests: 1, accepts: 0 }, t0 + 10_000)[1]).toEqual({ throttle: { requests: 1, accepts: 0 } });
		expect(tallyThrottle('https://other.example', state, { windowMs: 10_000, requests: 1, accepts: 0 }, t0 + 10_000)[1]).toEqual({ throttle: { requests: 1, accepts: 0 } });
		expect(tallyThrottle(scope, { v: 1, scope, windowMs: 10_000, at: 'x' }, { windowMs: 10_000, requests: 1, accepts: 0 }, t0)[1]).toEqual({ throttle: { requests: 1, accepts: 0 } });
	});

	it('a stored state whose counts lie (Redis and a Deno KV hold what any program wrote) is none: the answer is counts, the report\'s', () => {
		const bucket = Math.floor(t0 / 1_000);
		const at = Array.from({ length: 10 }, (_, slot) => bucket - slot);
		const zeros = Array<number>(10).fill(0);
		for (const [requests, accepts] of [[-5, 0], [2.5, 0], [1e300, 0], [3, 9], [1_000_001, 0]]) {
			const stored = { v: 1, scope, windowMs: 10_000, at, requests: Array<number>(10).fill(requests!), accepts: [...zeros.slice(1), accepts] };
			expect(tallyThrottle(scope, stored, { windowMs: 10_000, requests: 1, accepts: 0 }, t0)[1], `${requests} ${accepts}`).toEqual({ throttle: { requests: 1, accepts: 0 } });
		}

		// Counts as a report leaves them are kept: a bucket of the window full (1 000 000), another half accepted.
		const kept = { v: 1, scope, windowMs: 10_000, at, requests: [0, 1_000_000, 4, ...zeros.slice(3)], accepts: [0, 0, 2, ...zeros.slice(3)] };
		expect(tallyThrottle(scope, kept, { windowMs: 10_000, requests: 1, accepts: 1 }, t0)[1]).toEqual({ throttle: { requests: 1_000_005, accepts: 3 } });
	});

	it('bounds what a report can do: at most 1 000 000 a report and a bucket, accepts never over requests, garbage as nothing', () => {
		const [state, answer] = tallyThrottle(scope, undefined, { windowMs: 10_000, requests: 1e15, accepts: 1e15 }, t0);
		expect(answer).toEqual({ throttle: { requests: 1_000_000, accepts: 1_000_000 } });
		expect(tallyThrottle(scope, state, { windowMs: 10_000, requests: 5, accepts: 0 }, t0)[1]).toEqual({ throttle: { requests: 1_000_000, accepts: 1_000_000 } });
		expect(tallyThrottle(scope, undefined, { windowMs: 10_000, requests: 3, accepts: 7 }, t0)[1]).toEqual({ throttle: { requests: 3, accepts: 3 } });
		for (const report of [undefined, {}, { windowMs: 'x', requests: 'y', accepts: Number.NaN }, { windowMs: -5, requests: -5, accepts: -1 }] as never[]) {
			expect(tallyThrottle(scope, undefined, report, t0)[1], JSON.stringify(report)).toEqual({ throttle: { requests: 0, accepts: 0 } });
		}
	});
});
