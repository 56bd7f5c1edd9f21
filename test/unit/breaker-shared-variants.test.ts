/** breaker({ shared }), fourth round's variants: what a fleet's probe holds, and for how long. */
import { describe, expect, it, vi } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { createClient } from '../../src/entries/core.js';
import { emptyState, sync, type ScopeState, type SyncMessage } from '../../src/breaker/sync.js';
import { sharedCoordinator, type SharedBreaker } from '../../src/breaker/shared.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { createClient as preset } from '../../src/entries/index.js';
import { fleetOutcome, memoryCoordinator, memoryKv } from './breaker-kit.js';

const origin = 'https://fleet.example';

describe('shared breaker: the fleet\'s probe', () => {
	it('a probe whose call has a per-call timeout longer than the client\'s holds the fleet\'s probe slot for its own timeout: its success closes the fleet\'s breaker', async () => {
		const clock = new ManualClock();
		const coordinator = memoryCoordinator(clock);
		let down = true;
		let release: (() => void) | undefined;
		const fetch = async (): Promise<Response> => {
			if (down) {
				return new Response('down', { status: 503 });
			}

			await new Promise<void>((resolve) => {
				release = resolve;
			});
			return new Response('ok');
		};

		const make = () => createClient({ clock, random: () => 0.5, retry: 0, timeout: 1_000, fetch, breaker: breaker({ shared: coordinator, consecutiveFailures: 1, openMs: 5_000, share: false }) });
		const [a, b] = [make(), make()];
		expect(await fleetOutcome(a.get(`${origin}/x`))).toBe('503');
		await vi.waitFor(() => expect(coordinator.states.get(origin)?.record.state).toBe('open'));
		clock.advance(5_000);
		down = false;
		// a's call, with a per-call timeout of 10 s, is the fleet's probe; the origin takes 2 s (the client's timeout is 1 s).
		const probing = fleetOutcome(a.get(`${origin}/x`, { timeout: 10_000 }));
		await vi.waitFor(() => expect(release).toBeDefined());
		clock.advance(2_000);
		// The probe is still in flight within its own timeout: b fails fast, the fleet's slot is not given to another.
		expect(await fleetOutcome(b.get(`${origin}/x`))).toBe('OPEN');
		release!();
		expect(await probing).toBe('200');
		// Before: the coordinator expired the grant after the client's 1 s (the probe counted failed: opens 2) and ignored its success.
		await vi.waitFor(() => expect(coordinator.states.get(origin)?.record).toMatchObject({ state: 'closed' }));
		a.close();
		b.close();
	});
});

describe('shared breaker: a sync the isolate gave up on (past the coordinator\'s 2 s)', () => {
	it('a probe grant that arrives after the isolate gave up is given back: the fleet\'s probe slot is freed, not held until probeTimeoutMs', { timeout: 15_000 }, async () => {
		const clock = new ManualClock();
		const states = new Map<string, ScopeState>();
		let slowMs = 0;
		const coordinator = sharedCoordinator(async (scope, message) => {
			const state = states.get(scope) ?? emptyState(scope);
			states.set(scope, state);
			const answer = structuredClone(sync(state, message as SyncMessage, clock.now()));
			if ((message as SyncMessage).probe) {
				await new Promise((resolve) => setTimeout(resolve, slowMs)); // decided at once, answered after the isolate's 2 s
			}

			return answer;
		});
		const fetch = async (): Promise<Response> => new Response('down', { status: 503 });
		const api = createClient({ clock, random: () => 0.5, retry: 0, timeout: 60_000, fetch, breaker: breaker({ shared: coordinator, consecutiveFailures: 1, openMs: 5_000, share: false }) });
		const errors: string[] = [];
		api.on('storage:error', (event) => errors.push(event.part));
		expect(await fleetOutcome(api.get(`${origin}/x`))).toBe('503');
		await vi.waitFor(() => expect(states.get(origin)?.record.state).toBe('open'));
		clock.advance(5_000);
		slowMs = 2_300;
		// The call asks for the fleet's probe; the grant is taken in the coordinator, its answer comes after 2 s:
		// the isolate gave up (storage:error, its local breaker decides).
		await fleetOutcome(api.get(`${origin}/x`));
		expect(errors).toEqual(['breaker']);
		const { probeAt } = states.get(origin)!;
		expect(probeAt).toBeGreaterThan(0);
		// Before: the grant held the fleet's slot until probeTimeoutMs (here the call's 60 s): no isolate could probe.
		await vi.waitFor(() => expect(states.get(origin)?.probeAt).toBe(0), { timeout: 5_000 });
		expect(states.get(origin)?.record.opens).toBe(1); // freed, not counted as a failed probe
		api.close();
	});
});

describe('Deno KV coordinator: a sync past the isolate\'s 2 s', () => {
	it('stops trying once the isolate gave its sync up: no write lands after 2 s (before: up to 16 tries)', { timeout: 15_000 }, async () => {
		const { coordinator } = await import('../../src/deno/index.js');
		let started = 0;
		const late: number[] = [];
		// A KV whose every read takes 300 ms and whose every commit meets another process's write (a busy scope).
		const kv = {
			get: async (key: readonly unknown[]) => {
				await new Promise((resolve) => setTimeout(resolve, 300));
				return { key, value: undefined, versionstamp: null };
			},
			set: async () => undefined,
			delete: async () => undefined,
			list: async function* () {},
			atomic() {
				const atomic = {
					check: () => atomic,
					set: () => atomic,
					commit: async () => {
						if (performance.now() - started > 2_000) {
							late.push(performance.now() - started);
						}

						return { ok: false };
					},
				};
				return atomic;
			},
		};
		const shared = coordinator(kv as never);
		started = performance.now();
		await expect(shared.sync('https://kv.example', { policy: { consecutiveFailures: 1, openMs: 1_000, maxOpenMs: 1_000, probeTimeoutMs: 1_000 }, outcomes: [1] })).rejects.toThrow();
		expect(late).toEqual([]);
	});
});

describe('shared breaker: clock skew between isolates (fifth round)', () => {
	it('an isolate whose clock runs 60 s ahead of the coordinator\'s adopts the fleet\'s closing: once another isolate\'s probe closed the scope, its calls go out again', async () => {
		const clock = new ManualClock();
		const coordinator = memoryCoordinator(clock);
		let down = true;
		const fetch = async (): Promise<Response> => new Response(down ? 'down' : 'ok', { status: down ? 503 : 200 });
		const make = (now: () => number) => createClient({ clock: { now }, random: () => 0.5, retry: 0, fetch, breaker: breaker({ shared: coordinator, consecutiveFailures: 1, openMs: 5_000, sharedCacheMs: 100, share: false }) });
		// a's clock is 60 s ahead of the coordinator's (and of b's): every record it decides alone is dated later.
		const [a, b] = [make(() => clock.now() + 60_000), make(() => clock.now())];
		expect(await fleetOutcome(a.get(`${origin}/x`))).toBe('503');
		await vi.waitFor(() => expect(coordinator.states.get(origin)?.record.state).toBe('open'));
		clock.advance(5_000);
		down = false;
		expect(await fleetOutcome(b.get(`${origin}/x`))).toBe('200'); // b's call is the fleet's probe: it closes the scope
		await vi.waitFor(() => expect(coordinator.states.get(origin)?.record.state).toBe('closed'));
		clock.advance(1_000);
		// Before: a kept its own open record (dated 60 s later than the coordinator's closing) and failed fast until the coordinator's clock passed it.
		const seen: string[] = [];
		for (let call = 0; call < 3; call++) {
			clock.advance(200);
			seen.push(await fleetOutcome(a.get(`${origin}/x`)));
		}

		expect([seen, a.breaker(`${origin}/x`).state]).toEqual([['200', '200', '200'], 'closed']);
		a.close();
		b.close();
	});
});

describe('shared breaker: bad input (sixth round)', () => {
	it('a string as `shared` (a Redis URL, say) is a RangeError naming breaker.shared at creation, not a TypeError on every call', async () => {
		// Before: accepted (a string's `link` is String.prototype.link), then every call rejected TypeError: link?.fresh is not a function.
		for (const shared of ['redis://localhost:6379', '']) {
			expect(() => breaker({ shared: shared as never })).toThrow(RangeError);
			expect(() => breaker({ shared: shared as never })).toThrow(/breaker\.shared/);
			expect(() => preset({ breaker: { shared } } as never)).toThrow(/breaker\.shared/);
		}
	});
});

describe('shared breaker: the fleet\'s count of failures in a row (seventh round)', () => {
	it('an isolate that adopts the fleet\'s closed state after an unreachable episode keeps its own failures in a row: it does not count again from 0', async () => {
		const clock = new ManualClock();
		const states = new Map<string, ScopeState>();
		let reachable = false;
		const coordinator = sharedCoordinator(async (scope, message) => {
			if (!reachable) {
				throw new Error('not connected yet'); // ioredis before it is ready, without an offline queue
			}

			const state = states.get(scope) ?? emptyState(scope);
			states.set(scope, state);
			return structuredClone(sync(state, message as SyncMessage, clock.now()));
		});
		const fetch = async (): Promise<Response> => new Response('down', { status: 503 });
		const api = createClient({ clock, random: () => 0.5, retry: 0, fetch, breaker: breaker({ shared: coordinator, consecutiveFailures: 5, share: false }) });
		const errors: unknown[] = [];
		api.on('storage:error', (event) => errors.push(event.operation));
		expect(await fleetOutcome(api.get(`${origin}/x`))).toBe('503'); // its first sync fails: the isolate decides alone
		expect([errors, api.breaker(`${origin}/x`).consecutiveFailures]).toEqual([['shared'], 1]);
		reachable = true;
		clock.advance(10);
		expect(await fleetOutcome(api.get(`${origin}/x`))).toBe('503'); // its report reaches the fleet, which counts it
		await vi.waitFor(() => expect(states.get(origin)?.consecutive).toBe(1));
		await new Promise((resolve) => setTimeout(resolve, 0)); // the answer is taken within microtasks of the fleet's write: all run by now
		// Its own 2 failures in a row (the fleet heard 1: the first report failed). Before: 0, the fleet's closed state
		// adopted over the isolate's own and its count dropped: 5 more failures before it opened.
		expect(api.breaker(`${origin}/x`).consecutiveFailures).toBe(2);
		api.close();
	});
});

// Eleventh round: a coordinator that holds nothing of a scope answered it closed as of 0 (Deno KV, Durable Object; Redis: as of now).
describe('shared breaker: a coordinator that lost the scope\'s state (Deno KV key deleted, a Durable Object with empty storage)', () => {
	/** A Durable Object namespace in memory: one `BreakerCoordinator` per name, over a storage map (`lose()` drops objects and storage). */
	const memoryNamespace = async () => {
		const { BreakerCoordinator } = await import('../../src/cloudflare/index.js');
		const objects = new Map<string, InstanceType<typeof BreakerCoordinator>>();
		const stored = new Map<string, Map<string, unknown>>();
		return {
			stored,
			lose: () => {
				objects.clear();
				stored.clear();
			},
			idFromName: (name: string) => name,
			get: (id: never) => ({
				fetch: async (input: string, init?: RequestInit) => {
					const name = id as string;
					const storage = stored.get(name) ?? new Map<string, unknown>();
					stored.set(name, storage);
					const object = objects.get(name) ?? new BreakerCoordinator({ storage: { get: async (key: string) => structuredClone(storage.get(key)), put: async (key: string, value: unknown) => void storage.set(key, structuredClone(value)) } });
					objects.set(name, object);
					return object.fetch(new Request(input, init));
				},
			}),
		};
	};

	/** The isolate that opened the fleet's breaker, the state lost, the origin back: its calls go out again once its period is over. */
	const recovers = async (shared: SharedBreaker, openIn: () => boolean, lose: () => void) => {
		let status = 503;
		const fetch = async (): Promise<Response> => new Response('', { status });
		// Real time: the coordinators decide by their own clock.
		const api = createClient({ retry: 0, fetch, breaker: breaker({ shared, consecutiveFailures: 1, openMs: 100, sharedCacheMs: 20, share: false }) });
		expect(await fleetOutcome(api.get(`${origin}/x`))).toBe('503');
		await vi.waitFor(() => expect(openIn()).toBe(true));
		lose();
		status = 200;
		// Before: 'OPEN' for good (the answer, closed as of 0, was older than the open state the isolate adopted, and a
		// closed scope grants no probe); the other isolates sent to the origin meanwhile.
		await vi.waitFor(async () => expect(await fleetOutcome(api.get(`${origin}/x`))).toBe('200'), { timeout: 10_000, interval: 50 });
		expect(api.breaker(origin).state).toBe('closed');
		api.close();
	};

	it('Deno KV: the key deleted while the fleet\'s breaker was open: closed as of the moment it is read again, as Redis\'s', async () => {
		const { coordinator } = await import('../../src/deno/index.js');
		const kv = memoryKv();
		await recovers(coordinator(kv as never), () => [...kv.entries.values()].some(({ value }) => (value as ScopeState).record?.state === 'open'), () => kv.entries.clear());
	});

	it('Durable Object: an object whose storage holds nothing (a new one) answers the scope closed as of now', async () => {
		const { coordinatorWith } = await import('../../src/cloudflare/index.js');
		const namespace = await memoryNamespace();
		await recovers(coordinatorWith(namespace), () => [...namespace.stored.values()].some((storage) => (storage.get('state') as ScopeState | undefined)?.record.state === 'open'), namespace.lose);
	});
});
