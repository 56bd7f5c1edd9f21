/** breaker({ shared }) (issue 17): isolates share one breaker through a coordinator; a failing coordinator degrades to local breaking. */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { CircuitOpenError, createClient } from '../../src/entries/core.js';
import { emptyState, sync, type ScopeState, type SyncAnswer, type SyncMessage } from '../../src/breaker/sync.js';
import { readRecord } from '../../src/breaker/circuit.js';
import { BreakerCoordinator } from '../../src/cloudflare/index.js';
import { sharedCoordinator, type SharedBreaker } from '../../src/breaker/shared.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { memoryCoordinator } from './breaker-kit.js';

let server: RunningServer;
let failing = true;
let requests: string[] = [];
beforeAll(async () => {
	server = await serve(async (request) => {
		const { pathname } = new URL(request.url);
		requests.push(pathname);
		// `/retry-after-<s>`: a 503 with that Retry-After (seconds).
		const retryAfter = /^\/retry-after-(\d+)$/.exec(pathname)?.[1];
		return new Response(failing ? 'down' : 'ok', { status: failing ? 503 : 200, ...(retryAfter && { headers: { 'retry-after': retryAfter } }) });
	});
});
afterAll(async () => server.close());
beforeEach(() => {
	requests = [];
	failing = true;
});

const isolates = (count: number, coordinator: SharedBreaker, clock: ManualClock, extra: Record<string, unknown> = {}) =>
	Array.from({ length: count }, () => {
		const api = createClient({ clock, random: () => 0.5, retry: 0, breaker: breaker({ shared: coordinator, consecutiveFailures: 3, openMs: 5_000, share: false, ...extra }) });
		const events: string[] = [];
		api.on('storage:error', (event) => events.push(`${event.part} ${event.operation}`));
		return { api, events };
	});

const outcome = async (api: ReturnType<typeof createClient>, path = '/x'): Promise<string> =>
	api.get(`${server.url}${path}`).then((response) => String(response.status), (error: unknown) => (error instanceof CircuitOpenError ? 'OPEN' : String((error as { response?: Response }).response?.status)));

describe('shared breaker', () => {
	it('failures spread over isolates open it for all: each fails fast once its adopted state is older than sharedCacheMs', async () => {
		const clock = new ManualClock();
		const coordinator = memoryCoordinator(clock);
		const [a, b, c] = isolates(3, coordinator, clock);
		// 1 + 1 + 1 failures: no isolate reached 3 on its own; the coordinator counts them together.
		expect([await outcome(a!.api), await outcome(b!.api), await outcome(c!.api)]).toEqual(['503', '503', '503']);
		expect(coordinator.states.get(server.url)?.record.state).toBe('open');
		// c sent the third failure and adopted the answer at once; a and b within sharedCacheMs.
		expect(await outcome(c!.api)).toBe('OPEN');
		clock.advance(1_000);
		expect([await outcome(a!.api), await outcome(b!.api)]).toEqual(['OPEN', 'OPEN']);
		expect(requests).toHaveLength(3);
	});

	it('exactly one probe in the world once the open period is over; its success closes the breaker everywhere', async () => {
		const clock = new ManualClock();
		const coordinator = memoryCoordinator(clock);
		const tabs = isolates(4, coordinator, clock);
		for (let index = 0; index < 3; index++) {
			await outcome(tabs[0]!.api);
		}

		clock.advance(5_000);
		failing = false;
		requests = [];
		const results = await Promise.all(tabs.map(async ({ api }) => outcome(api)));
		expect(results.filter((result) => result === '200')).toHaveLength(1); // the probe
		expect(results.filter((result) => result === 'OPEN')).toHaveLength(3);
		expect(requests).toHaveLength(1);
		await vi.waitFor(() => expect(coordinator.states.get(server.url)?.record.state).toBe('closed'));
		clock.advance(1_000);
		expect(await Promise.all(tabs.map(async ({ api }) => outcome(api)))).toEqual(['200', '200', '200', '200']);
	});

	it('the open period is the fleet\'s: an isolate whose own outcome opened it (its first failure, then its probe\'s) shows the coordinator\'s openedAt and reopensAt, also when the coordinator decided in the same ms or its clock is behind', async () => {
		// The Redis fleet test's two reopensAt: a process's probe failed at ms X and re-opened its local
		// breaker with its own jittered period (record at X); its report reached Redis within the same
		// ms, so the fleet's record had at X too, and a record not newer by `at` was not adopted: the
		// process kept its own reopensAt while the others showed the fleet's. A coordinator clock behind
		// the process's did the same; and the fleet's records of one ms (closed, then open) are ordered too.
		for (const skewMs of [0, -3]) {
			const clock = new ManualClock();
			// Messages without `jitter` (an older isolate's): the fleet's period is the nominal one, another than a's own.
			const coordinator = memoryCoordinator(clock, skewMs, true);
			const [a, b] = [0.9, 0.1].map((jitter) => createClient({ clock, random: () => jitter, retry: 0, breaker: breaker({ shared: coordinator, consecutiveFailures: 1, openMs: 5_000, share: false }) }));
			const fleet = (): object => {
				const { openedAt, reopensAt } = coordinator.states.get(server.url)!.record;
				return { state: 'open', openedAt, reopensAt };
			};

			await a!.breaker.reset(server.url); // the fleet's state: closed at this ms, and then opened at the same ms
			expect(await outcome(a!, '/a')).toBe('503'); // opens a's breaker (its own period: 5 800 ms) and the fleet's (5 000 ms)
			await vi.waitFor(() => expect(coordinator.states.get(server.url)?.record.state).toBe('open'));
			await vi.waitFor(() => expect(a!.breaker(server.url)).toMatchObject(fleet()));
			expect(await outcome(b!, '/b')).toBe('OPEN');
			expect(b!.breaker(server.url)).toMatchObject(fleet());
			// Due by the fleet's period (not by a's own, 800 ms later): a asks for the probe, gets it, it fails.
			clock.advance(5_000);
			requests = [];
			expect(await outcome(a!, '/a')).toBe('503');
			expect(requests).toEqual(['/a']);
			await vi.waitFor(() => expect(coordinator.states.get(server.url)?.record.opens).toBe(2));
			await vi.waitFor(() => expect(a!.breaker(server.url)).toMatchObject(fleet()));
			clock.advance(1_000);
			expect(await outcome(b!, '/b')).toBe('OPEN');
			expect(b!.breaker(server.url)).toMatchObject(fleet());
			a!.close();
			b!.close();
		}
	});

	it('the fleet\'s open period is jittered once, where it is decided: by the random the opening isolate sent (±20 % of openMs·2ⁿ), never beyond maxOpenMs, never shorter than a Retry-After that opened it', async () => {
		const period = (coordinator: ReturnType<typeof memoryCoordinator>): number => {
			const { state, openedAt, reopensAt } = coordinator.states.get(server.url)!.record;
			expect(state).toBe('open');
			return reopensAt - openedAt;
		};

		const opened = async (random: number, options: Record<string, unknown>, path = '/x') => {
			const clock = new ManualClock();
			const coordinator = memoryCoordinator(clock);
			const api = createClient({ clock, random: () => random, retry: 0, breaker: breaker({ shared: coordinator, consecutiveFailures: 1, openMs: 10_000, share: false, ...options }) });
			expect(await outcome(api, path)).toBe('503');
			await vi.waitFor(() => expect(coordinator.states.get(server.url)?.record.state).toBe('open'));
			return { api, clock, coordinator };
		};

		for (const random of [0, 0.25, 0.5, 0.9, 0.999]) {
			// Opened by consecutive failures: 10 000 ms × (0.8 + 0.4 × random), the isolate's own period too.
			const { api, clock, coordinator } = await opened(random, { maxOpenMs: 60_000 });
			expect(period(coordinator)).toBeCloseTo(10_000 * (0.8 + 0.4 * random), 6);
			await vi.waitFor(() => expect(api.breaker(server.url)).toMatchObject({ openedAt: clock.now(), reopensAt: coordinator.states.get(server.url)!.record.reopensAt }));
			// Its probe fails: the doubled period (20 000 ms), jittered by the value the probe's report sent.
			clock.advance(12_000);
			expect(await outcome(api)).toBe('503');
			await vi.waitFor(() => expect(coordinator.states.get(server.url)?.record.opens).toBe(2));
			expect(period(coordinator)).toBeCloseTo(20_000 * (0.8 + 0.4 * random), 6);
			api.close();
		}

		// Never beyond maxOpenMs: uniform within [8 000, 11 000] (not 10 000 × 1.1996 cut to 11 000 for every draw above 0.75).
		const capped = await opened(0.999, { maxOpenMs: 11_000 });
		expect(period(capped.coordinator)).toBeCloseTo(10_997, 6);
		capped.api.close();
		// Opened by a Retry-After of 12 s: exactly that (the jitter would make it 8 000 ms), never shorter.
		const told = await opened(0, { maxOpenMs: 60_000 }, '/retry-after-12');
		expect(period(told.coordinator)).toBe(12_000);
		told.api.close();
	});

	it('the coordinator bounds the jitter a message carries (clamped to [0, 1]; missing or not a number: 0.5) and uses it only when it opens the scope', () => {
		const policy = { consecutiveFailures: 1, openMs: 10_000, maxOpenMs: 60_000, probeTimeoutMs: 10_000 };
		const scope = 'https://jitter.example';
		const periodOf = (jitter: unknown): number => {
			const state = emptyState(scope);
			const { record } = sync(state, { policy, outcomes: [1], ...(jitter !== 'missing' && { jitter }) } as SyncMessage, 1_000);
			expect(state.record).toBe(record);
			return Math.round(record.reopensAt - record.openedAt);
		};

		expect([-3, 0, 0.3, 1, 7, Number.NEGATIVE_INFINITY, Number.NaN, '0.9', null, { valueOf: () => 0.9 }, 'missing'].map(periodOf))
			.toEqual([8_000, 8_000, 9_200, 12_000, 12_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000]);
		// A sync that does not open the scope changes nothing with its jitter: a success, then a report while open.
		const state = emptyState(scope);
		expect(sync(state, { policy, outcomes: [0], jitter: 0 }, 1_000).record).toEqual(emptyState(scope).record);
		const open = sync(state, { policy, outcomes: [1], jitter: 0.5 }, 2_000).record;
		expect(sync(state, { policy, outcomes: [1], jitter: 0 }, 3_000).record).toEqual(open);
		expect(open.reopensAt - open.openedAt).toBe(10_000);
	});

	it('the kill switch in one isolate holds in the others', async () => {
		const clock = new ManualClock();
		const coordinator = memoryCoordinator(clock);
		const [a, b] = isolates(2, coordinator, clock);
		failing = false;
		expect(await outcome(b!.api)).toBe('200');
		a!.api.breaker.isolate(server.url);
		await vi.waitFor(() => expect(coordinator.states.get(server.url)?.record.isolated).toBe(true));
		clock.advance(1_000);
		expect(await outcome(b!.api)).toBe('OPEN');
		a!.api.breaker.reset(server.url);
		await vi.waitFor(() => expect(coordinator.states.get(server.url)?.record.state).toBe('closed'));
		clock.advance(1_000);
		expect(await outcome(b!.api)).toBe('200');
	});

	it('a coordinator that throws or hangs: calls go on with the local breaker, storage:error once per episode (a hang: after 2 s without an answer), never a stall', async () => {
		const clock = new ManualClock();
		const broken = sharedCoordinator(async () => Promise.reject(new Error('Durable Object unreachable')));
		const hanging = sharedCoordinator(async () => new Promise(() => undefined));
		for (const coordinator of [broken, hanging]) {
			const [a] = isolates(1, coordinator, clock, { sharedTimeoutMs: 30 });
			const started = performance.now();
			expect([await outcome(a!.api), await outcome(a!.api), await outcome(a!.api)]).toEqual(['503', '503', '503']);
			expect(await outcome(a!.api)).toBe('OPEN'); // the local breaker opened on its own
			// A hang: the first call (no state adopted yet) waits for the answer, at most 2 s (API.md), then
			// the local breaker decides and, while the coordinator stays unreachable, calls do not wait.
			expect(performance.now() - started).toBeLessThan(coordinator === hanging ? 3_500 : 1_500);
			await vi.waitFor(() => expect(a!.events[0]).toBe('breaker shared'), { timeout: 3_000 });
			expect(new Set(a!.events).size).toBe(1);
			a!.api.close();
		}
	});

	it('a slow coordinator (answers after sharedTimeoutMs, within 2 s) never makes an isolate more permissive: once the open period it knew ends, one probe in the world, no storage:error', async () => {
		const clock = new ManualClock();
		const states = new Map<string, ScopeState>();
		const slow = sharedCoordinator(async (scope, message) => {
			const state = states.get(scope) ?? emptyState(scope);
			states.set(scope, state);
			const answer = structuredClone(sync(state, message as SyncMessage, clock.now()));
			await new Promise((resolve) => setTimeout(resolve, 300));
			return answer;
		});
		const tabs = isolates(4, slow, clock);
		for (let index = 0; index < 3; index++) {
			await outcome(tabs[0]!.api);
		}

		await vi.waitFor(() => expect(states.get(server.url)?.record.state).toBe('open'));
		// The others' first calls (no state adopted yet) wait for the coordinator's answer: open.
		await Promise.all(tabs.slice(1).map(async ({ api }) => outcome(api)));
		await vi.waitFor(() => expect(tabs.every(({ api }) => api.breaker(server.url).state === 'open')).toBe(true), { timeout: 3_000 });
		requests = [];
		clock.advance(5_000);
		failing = false;
		const results = await Promise.all(tabs.flatMap(({ api }) => [outcome(api), outcome(api), outcome(api)]));
		expect(requests).toHaveLength(1);
		expect(results.filter((result) => result === '200')).toHaveLength(1);
		expect(results.filter((result) => result === 'OPEN')).toHaveLength(11);
		expect(tabs.flatMap(({ events }) => events)).toEqual([]);
	});

	it('isolates that each counted one of the failures that opened the fleet\'s breaker (a slow coordinator): when it is due, one request across the fleet, not one per isolate', async () => {
		const clock = new ManualClock();
		const states = new Map<string, ScopeState>();
		const slow = sharedCoordinator(async (scope, message) => {
			const state = states.get(scope) ?? emptyState(scope);
			states.set(scope, state);
			const answer = structuredClone(sync(state, message as SyncMessage, clock.now()));
			await new Promise((resolve) => setTimeout(resolve, 300));
			return answer;
		});
		const tabs = isolates(4, slow, clock);
		for (const [index, { api }] of tabs.slice(0, 3).entries()) {
			expect(await outcome(api)).toBe('503');
			// Its failure's report answered: "closed" (with the fleet's count) for the first two, open for the third.
			await vi.waitFor(() => expect(states.get(server.url)?.consecutive).toBe(index + 1));
			await new Promise((resolve) => setTimeout(resolve, 350));
		}

		expect(states.get(server.url)?.record.state).toBe('open');
		expect(tabs.slice(0, 2).map(({ api }) => api.breaker(server.url).state)).toEqual(['closed', 'closed']);
		requests = [];
		clock.advance(5_000); // due, and every adopted state older than sharedCacheMs
		failing = false;
		const results = await Promise.all(tabs.flatMap(({ api }) => [outcome(api), outcome(api), outcome(api)]));
		expect(requests).toHaveLength(1); // before: one per isolate that knew "closed", and more
		expect(results.filter((result) => result === '200')).toHaveLength(1);
		expect(results.filter((result) => result === 'OPEN')).toHaveLength(11);
		expect(tabs.flatMap(({ events }) => events)).toEqual([]);
	});

	it('a call waits for a coordinator never past its own timeout: the attempt given up meanwhile is neither sent nor counted', async () => {
		const clock = new ManualClock();
		const hanging = sharedCoordinator(async () => new Promise(() => undefined));
		const api = createClient({ clock, random: () => 0.5, retry: 0, timeout: 200, breaker: breaker({ shared: hanging, consecutiveFailures: 1, share: false }) });
		const started = performance.now();
		await expect(api.get(`${server.url}/x`)).rejects.toMatchObject({ name: 'TimeoutError' });
		expect(performance.now() - started).toBeLessThan(1_500);
		await new Promise((resolve) => setTimeout(resolve, 2_300)); // past the coordinator's 2 s: the wait is over either way
		expect(requests).toEqual([]);
		expect(api.breaker(server.url)).toMatchObject({ state: 'closed', consecutiveFailures: 0 }); // before: open (the given-up attempt counted as a timeout)
		api.close();
	});

	it('a probe given up while its grant is asked for (its timeout shorter than the coordinator\'s answer) is neither sent nor counted: the fleet\'s probe slot is freed, its period not doubled', async () => {
		// The variant of the test above for the half-open probe: the call that may probe asks the
		// coordinator for the fleet's one probe and waits for the grant; ky's timeout ends the attempt meanwhile.
		const clock = new ManualClock();
		const states = new Map<string, ScopeState>();
		const asks: boolean[] = [];
		let slowMs = 300;
		const slow = sharedCoordinator(async (scope, message) => {
			const state = states.get(scope) ?? emptyState(scope);
			states.set(scope, state);
			const answer = structuredClone(sync(state, message as SyncMessage, clock.now()));
			if ((message as SyncMessage).probe) {
				asks.push(answer.granted !== undefined);
				await new Promise((resolve) => setTimeout(resolve, slowMs)); // the grant arrives after the attempt's 100 ms
			}

			return answer;
		});
		const api = createClient({ clock, random: () => 0.5, retry: 0, timeout: 100, breaker: breaker({ shared: slow, consecutiveFailures: 1, openMs: 5_000, share: false }) });
		expect(await outcome(api)).toBe('503');
		await vi.waitFor(() => expect(states.get(server.url)?.record.state).toBe('open'));
		clock.advance(5_000);
		failing = false;
		requests = [];
		await expect(api.get(`${server.url}/x`)).rejects.toMatchObject({ name: 'TimeoutError' });
		await vi.waitFor(() => expect(asks).toEqual([true]));
		await new Promise((resolve) => setTimeout(resolve, 500)); // past the grant's arrival: what the given-up probe did is done
		// Before: the grant came, the aborted attempt went on as the probe, failed, and re-opened the fleet's breaker (opens 2, 10 s).
		expect([requests, states.get(server.url)?.record.opens, states.get(server.url)?.probeAt]).toEqual([[], 1, 0]);
		// The slot is free: the next call is the fleet's probe (granted at once now), and its success closes the breaker.
		slowMs = 0;
		expect(await outcome(api)).toBe('200');
		await vi.waitFor(() => expect(states.get(server.url)?.record.state).toBe('closed'));
		api.close();
	});

	it('a probe the caller aborts in flight frees the fleet\'s probe slot at once (not held until probeTimeoutMs, then counted failed)', async () => {
		const clock = new ManualClock();
		const coordinator = memoryCoordinator(clock);
		let hang = false;
		const fetch = async (input: string | URL | Request): Promise<Response> => hang && input instanceof Request
			? new Promise((_, reject) => input.signal.addEventListener('abort', () => reject(input.signal.reason)))
			: new Response('down', { status: 503 });
		const api = createClient({ clock, random: () => 0.5, retry: 0, fetch, breaker: breaker({ shared: coordinator, consecutiveFailures: 1, openMs: 5_000, share: false }) });
		expect(await outcome(api)).toBe('503');
		await vi.waitFor(() => expect(coordinator.states.get(server.url)?.record.state).toBe('open'));
		clock.advance(5_000);
		hang = true;
		const controller = new AbortController();
		const probing = api.get(`${server.url}/x`, { signal: controller.signal }).catch((error: unknown) => error);
		await vi.waitFor(() => expect(coordinator.states.get(server.url)?.probeAt).toBeGreaterThan(0)); // granted, in flight
		controller.abort();
		expect(await probing).toMatchObject({ name: 'AbortError' });
		// Before: the grant stayed taken (probeAt), so no isolate probed until probeTimeoutMs, and then it counted as failed (opens 2).
		await vi.waitFor(() => expect(coordinator.states.get(server.url)).toMatchObject({ probeAt: 0, record: { state: 'open', opens: 1 } }));
		api.close();
	});

	it('a coordinator that answers garbage is not believed; bad options are RangeErrors', async () => {
		const clock = new ManualClock();
		const liar = sharedCoordinator(async (scope) => ({ record: { v: 2, scope, state: 'open', openedAt: 0, reopensAt: Number.MAX_SAFE_INTEGER, opens: 0, at: clock.now() } }));
		const [a] = isolates(1, liar, clock, { maxOpenMs: 60_000 });
		failing = false;
		// An open period far past maxOpenMs is bounded: it ends 60 s after it began.
		expect(await outcome(a!.api)).toBe('OPEN');
		const garbage = sharedCoordinator(async () => ({ record: 'nope' }) as never);
		const [b] = isolates(1, garbage, clock);
		expect(await outcome(b!.api)).toBe('200');
		expect(b!.events).toEqual(['breaker shared']);
		expect(() => breaker({ shared: {} as never })).toThrow(/breaker\.shared/);
		// Checked by the coordinator's side, when the client is made.
		expect(() => createClient({ breaker: breaker({ shared: liar, sharedCacheMs: 5_000 }) })).toThrow(/sharedCacheMs/);
		expect(() => createClient({ breaker: breaker({ shared: liar, sharedTimeoutMs: 0 }) })).toThrow(/sharedTimeoutMs/);
	});
});

describe('a coordinator\'s stored state that lies (a Durable Object\'s storage, a Deno KV: written by another program, garbled, or by a clock far ahead)', () => {
	const scope = 'https://stored.example';
	const policy = { consecutiveFailures: 3, openMs: 1_000, maxOpenMs: 60_000, probeTimeoutMs: 10_000 };
	/** The real `BreakerCoordinator` over a storage in memory that holds `stored` as its state; `send` is one sync. */
	const objectHolding = (stored: unknown): ((message: SyncMessage) => Promise<SyncAnswer>) => {
		const storage = new Map<string, unknown>([['state', stored]]);
		const object = new BreakerCoordinator({ storage: { get: async (key) => structuredClone(storage.get(key)), put: async (key, value) => void storage.set(key, structuredClone(value)) } });
		return async (message) => (await object.fetch(new Request('https://coordinator/sync', { method: 'POST', body: JSON.stringify({ scope, message }) }))).json() as Promise<SyncAnswer>;
	};

	it('is bounded before use as Redis\'s numbers are: an open period at most an hour, failures in a row a whole count, a record of another shape as none', async () => {
		const now = Date.now();
		const record = { v: 2, scope, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: now - 1_000 };
		// Open for 30 years from two hours ago: its hour is over, so the probe is granted (before: refused until then).
		const held = objectHolding({ v: 1, record: { ...record, state: 'open', openedAt: now - 7_200_000, reopensAt: now + 1e12, opens: 1 }, consecutive: 0, probeAt: 0 });
		expect(await held({ policy, outcomes: [], probe: true })).toMatchObject({ granted: expect.any(Number) as number });
		// Failures in a row that are no count (NaN, negative, a fraction): the fleet's third failure still opens it (before: never, or after 53).
		for (const consecutive of [Number.NaN, -50, 2.5, '2']) {
			const send = objectHolding({ v: 1, record, consecutive, probeAt: 0 });
			expect((await send({ policy, outcomes: [1, 1, 1] })).record.state, String(consecutive)).toBe('open');
		}

		// A record without its open count (not one of ours): answered as a closed scope every isolate reads (before: an open
		// record without `opens` on the third failure, which no isolate believes: storage:error on every sync, the fleet never one breaker).
		const shapeless = objectHolding({ v: 1, record: { ...record, opens: undefined }, consecutive: 0, probeAt: 0 });
		const opened = await shapeless({ policy, outcomes: [1, 1, 1] });
		expect(readRecord(opened.record, Date.now(), 60_000)).toMatchObject({ state: 'open', opens: 1 });
	});
});

describe('a request to the BreakerCoordinator over its 64 KiB', () => {
	const storage = new Map<string, unknown>();
	const object = new BreakerCoordinator({ storage: { get: async (key) => structuredClone(storage.get(key)), put: async (key, value) => void storage.set(key, structuredClone(value)) } });
	const send = (body: BodyInit) => object.fetch(new Request('https://coordinator/sync', { method: 'POST', body, duplex: 'half' } as RequestInit));

	it('is refused as soon as its bytes pass 65,536 (a body that never ends too), not read whole, and counted in bytes, not characters', async () => {
		let pulled = 0;
		// 80 KiB, then a body that never ends (its next chunk never comes).
		const endless = new ReadableStream<Uint8Array>({
			pull: async (controller) => {
				if (pulled++ < 80) {
					controller.enqueue(new Uint8Array(1024).fill(32));
					return;
				}

				await new Promise(() => undefined);
			},
		});
		let status: number | undefined;
		void send(endless).then((response) => { status = response.status; });
		// Before: pending for ever (request.text() waited for the end of the body).
		await vi.waitFor(() => expect(status).toBe(400), { timeout: 2_000, interval: 5 });
		expect(pulled).toBeLessThanOrEqual(66);
		// 22,000 three-byte characters: 66,000 bytes in 22,000 characters (before: 200, a sync taken).
		const message = JSON.stringify({ scope: 'https://big.example', message: { pad: '\u20ac'.repeat(22_000), outcomes: [] } });
		expect((await send(message)).status).toBe(400);
		// A sync within 64 KiB is answered.
		expect((await send(JSON.stringify({ scope: 'https://big.example', message: { outcomes: [] } }))).status).toBe(200);
	});
});

describe('the Durable Object coordinator when its storage.put fails (eleventh round)', () => {
	const scope = 'https://unstored.example';
	const policy = { consecutiveFailures: 2, openMs: 1_000, maxOpenMs: 60_000, probeTimeoutMs: 10_000 };
	/** The real `BreakerCoordinator` over a storage in memory whose `put` throws while `failing.put`. */
	const flakyObject = () => {
		const storage = new Map<string, unknown>();
		const failing = { put: false };
		const object = new BreakerCoordinator({
			storage: {
				get: async (key) => structuredClone(storage.get(key)),
				put: async (key, value) => {
					if (failing.put) {
						throw new Error('storage unavailable');
					}

					storage.set(key, structuredClone(value));
				},
			},
		});
		const send = async (message: object): Promise<Response> => object.fetch(new Request('https://coordinator/sync', { method: 'POST', body: JSON.stringify({ scope, message }) }));
		return { storage, failing, send };
	};

	it('a sync whose write fails changes nothing: its failure is not counted, its probe not granted, its throttle counts not kept', async () => {
		const { storage, failing, send } = flakyObject();
		expect((await (await send({ policy, outcomes: [1] })).json() as SyncAnswer).record.state).toBe('closed');
		// The second failure in a row would open the scope, but it is not stored: the isolate sees a failed sync.
		failing.put = true;
		await expect(send({ policy, outcomes: [1] })).rejects.toThrow('storage unavailable');
		failing.put = false;
		// The object answers what its storage holds: one failure in a row (before: open, from the failure it never stored).
		const answer = await (await send({ policy, outcomes: [] })).json() as SyncAnswer;
		expect(answer.record).toMatchObject({ state: 'closed', failures: 1 });
		expect(storage.get('state')).toMatchObject({ consecutive: 1 });

		// The throttle's counts: a report whose write fails is not in the next answer.
		const throttle = { windowMs: 120_000, requests: 5, accepts: 1 };
		failing.put = true;
		await expect(send({ throttle })).rejects.toThrow('storage unavailable');
		failing.put = false;
		expect(await (await send({ throttle: { ...throttle, requests: 0, accepts: 0 } })).json()).toEqual({ throttle: { requests: 0, accepts: 0 } });

		// A probe grant whose write fails is not held: the next isolate asking is granted it (before: refused, the slot held
		// for probeTimeoutMs by a grant no isolate received).
		const now = Date.now();
		const other = flakyObject();
		other.storage.set('state', { v: 1, record: { v: 2, scope, state: 'open', openedAt: now - 5_000, reopensAt: now - 1_000, opens: 1, at: now - 5_000 }, consecutive: 0, probeAt: 0 });
		other.failing.put = true;
		await expect(other.send({ policy, outcomes: [], probe: true })).rejects.toThrow('storage unavailable');
		other.failing.put = false;
		expect(await (await other.send({ policy, outcomes: [], probe: true })).json()).toMatchObject({ granted: expect.any(Number) as number });
	});
});
