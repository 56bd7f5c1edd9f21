/**
 * The fleet coordinators, thirty-fourth round: an isolate's breaker after one coordinator answer dated ahead within the
 * hour a coordinator's clock may lead by (a garbled reply), and what a fleet's stores make of hostile values.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { createClient } from '../../src/entries/core.js';
import { sharedCoordinator, type SharedBreaker } from '../../src/breaker/shared.js';
import type { SyncAnswer, SyncMessage } from '../../src/breaker/sync.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { coordinator as kvCoordinator } from '../../src/deno/index.js';
import type { ThrottleAnswer } from '../../src/coordinator/throttle.js';
import { contextOf, fleetOutcome, memoryCoordinator, memoryKv, setup } from './breaker-kit.js';
import { coordinator as redisCoordinator } from '../../src/redis/index.js';
import { reads, writes } from '../../src/redis/scripts.js';
import { waitFor } from '../helpers/wait-for.js';

const origin = 'https://fleet.example';

describe('shared breaker: one answer dated 30 minutes ahead (a garbled reply), then the coordinator\'s own', () => {
	/** Two isolates of one fleet: `a` syncs through a coordinator whose first answer is dated 30 minutes ahead, `b` straight. */
	const fleet = (state: 'closed' | 'open') => {
		const clock = new ManualClock();
		const real = memoryCoordinator(clock);
		const shifted = { lie: true };
		const liar = sharedCoordinator(async (scope, message) => {
			const answer = await real.sync(scope, message) as SyncAnswer;
			if (!shifted.lie) {
				return answer;
			}

			shifted.lie = false;
			const at = clock.now() + 1_800_000;
			return { record: state === 'open' ? { ...answer.record, state, openedAt: clock.now(), reopensAt: clock.now() + 5_000, opens: 1, at } : { ...answer.record, at } };
		});
		const origins = { down: false, sent: 0 };
		const fetch = async (): Promise<Response> => {
			origins.sent++;
			return new Response(origins.down ? 'down' : 'ok', { status: origins.down ? 503 : 200 });
		};
		const make = (shared: SharedBreaker) => createClient({ clock, random: () => 0.5, retry: 0, fetch, breaker: breaker({ shared, consecutiveFailures: 2, openMs: 5_000, sharedCacheMs: 100, share: false }) });
		const [a, b] = [make(liar), make(real)];
		/** `count` calls of `a`, `step` ms apart. */
		const calls = async (count: number, step = 200): Promise<string[]> => {
			const seen: string[] = [];
			for (let call = 0; call < count; call++) {
				clock.advance(step);
				seen.push(await fleetOutcome(a.get(`${origin}/x`)));
			}

			return seen;
		};
		return { clock, real, origins, a, b, calls };
	};

	it('a closed state: the fleet\'s opening made afterwards is taken (its calls fail fast), and so is its closing', async () => {
		const { clock, real, origins, a, b, calls } = fleet('closed');
		expect(await calls(1)).toEqual(['200']);
		clock.advance(3_000);
		origins.down = true;
		for (let failure = 0; failure < 2; failure++) {
			clock.advance(200);
			expect(await fleetOutcome(b.get(`${origin}/x`))).toBe('503');
		}

		await vi.waitFor(() => expect(real.states.get(origin)?.record.state).toBe('open'));
		const sent = origins.sent;
		// Before: ['503', '503', 'OPEN', 'OPEN'] (the fleet's opening older than the answer's date: its own failures opened it).
		expect(await calls(4)).toEqual(['OPEN', 'OPEN', 'OPEN', 'OPEN']);
		expect(origins.sent).toBe(sent);
		clock.advance(5_000);
		origins.down = false;
		expect(await fleetOutcome(b.get(`${origin}/x`))).toBe('200'); // the fleet's probe: it closes the scope
		await vi.waitFor(() => expect(real.states.get(origin)?.record.state).toBe('closed'));
		expect([await calls(4), a.breaker(`${origin}/x`).state]).toEqual([['200', '200', '200', '200'], 'closed']);
		a.close();
		b.close();
	});

	it('an open state: once it ends, the fleet\'s closed state (closed all along) is taken and the isolate\'s calls go out', async () => {
		const { calls, a, b } = fleet('open');
		expect(await calls(1)).toEqual(['OPEN']); // the first answer: nothing to tell it from the fleet's
		// Before: ['OPEN' x 6] (and for 30 minutes: the fleet, closed all along, grants no probe; its state older than the answer's).
		expect(await calls(6, 3_000)).toEqual(['200', '200', '200', '200', '200', '200']);
		a.close();
		b.close();
	});
});

describe('coordinator(kv): the throttle counts of processes whose wall clocks differ (Deno KV has no clock: each process tallies on its own)', () => {
	afterEach(() => {
		vi.restoreAllMocks();
	});

	/** Processes over one KV: `report(aheadMs, requests)` syncs a report from a process whose clock is `aheadMs` ahead; its answer's requests. */
	const processes = () => {
		const shared = kvCoordinator(memoryKv() as never);
		const clock = { now: 1_700_000_000_000, ahead: 0 };
		vi.spyOn(Date, 'now').mockImplementation(() => clock.now + clock.ahead);
		const report = async (aheadMs: number, requests: number): Promise<number> => {
			clock.ahead = aheadMs;
			const answer = await shared.sync('https://fleet.example', { throttle: { windowMs: 120_000, requests, accepts: 0 } }) as ThrottleAnswer;
			return answer.throttle.requests;
		};
		return { clock, report };
	};

	it('a process a minute ahead (a window of 120 s): each one\'s answer sums what both reported', async () => {
		const { report } = processes();
		// Before: [10, 20, 20, 40] — the process behind counted none of the buckets the one ahead numbered (its future).
		expect([await report(0, 10), await report(60_000, 10), await report(0, 10), await report(60_000, 10)]).toEqual([10, 20, 30, 40]);
	});

	it('what they reported ages out: a process that reports again two windows later finds its own report only', async () => {
		const { clock, report } = processes();
		expect([await report(0, 10), await report(90_000, 10), await report(0, 10)]).toEqual([10, 20, 30]);
		clock.now += 240_000;
		expect([await report(0, 1), await report(90_000, 1)]).toEqual([1, 2]);
	});
});

describe('shared breaker: a probe\'s sync given up (past answerMs) whose answer then comes and is no answer', () => {
	for (const [name, garbled] of [['null', null], ['an object whose granted throws', { get granted(): never { throw new Error('garbled'); } }]] as const) {
		it(`${name}: nothing is thrown where nobody catches it (no unhandled rejection)`, async () => {
			const unhandled: unknown[] = [];
			const note = (reason: unknown): number => unhandled.push(reason);
			process.on('unhandledRejection', note);
			const hung: Array<(answer: unknown) => void> = [];
			let real: ReturnType<typeof memoryCoordinator> | undefined;
			const shared = sharedCoordinator(async (scope, message) => (message as SyncMessage).probe
				? new Promise<never>((resolve) => hung.push(resolve as never))
				: real!.sync(scope, message));
			const { api, clock, server, call } = setup({ breaker: breaker({ shared, consecutiveFailures: 1, openMs: 1_000, share: false }) });
			real = memoryCoordinator(clock);
			try {
				server.answer(503);
				expect(await call()).toBe('503');
				await waitFor(() => real!.states.get('https://api.test')?.record.state === 'open', 'the fleet open');
				clock.advance(1_500);
				server.up();
				const probing = call(); // its probe's grant is asked for: the coordinator does not answer
				await waitFor(() => hung.length === 1, 'the probe asked for');
				expect(await probing).toBe('200'); // given up after answerMs: the local breaker let it through
				hung[0]!(garbled);
				await new Promise((resolve) => setTimeout(resolve, 10));
				// Before: [TypeError: Cannot destructure property 'granted' of 'null'] (and 'garbled' for the getter).
				expect(unhandled).toEqual([]);
			} finally {
				process.off('unhandledRejection', note);
				api.close();
			}
		}, 15_000);
	}
});

describe('coordinator(evaluate): a reply whose clock (Redis\'s TIME, the fleet\'s) is before 1970', () => {
	it('is no reply of the scripts: the process counts alone (storage:error), it does not take the fleet\'s window as empty', async () => {
		const clock = new ManualClock();
		const key = { v: 0, s: '' };
		// The scripts' rules in memory (as fleet-hunt33's), on a clock of -5 000 (a garbled reply).
		const evaluate = async (script: string, _keys: string[], args: string[]): Promise<unknown> => {
			if (script === reads || Number(args[0]) !== key.v) {
				return script === reads ? [-5_000, key.v, key.s] : [0, -5_000, key.v, key.s];
			}

			expect(script).toBe(writes);
			Object.assign(key, { v: key.v + 1, s: args[1] });
			return [1];
		};
		const events: string[] = [];
		const fleet = redisCoordinator(evaluate).fleet(contextOf(clock, events), 120_000);
		const scope = 'https://api.test';
		for (let attempt = 0; attempt < 10; attempt++) {
			fleet.add(scope, false);
		}

		await fleet.sync(scope, undefined);
		await waitFor(() => events.length > 0 || fleet.counts(scope, clock.now()) !== undefined, 'the sync answered');
		// Before: [0, 0] and [] — the report tallied into a bucket numbered below 0 (slot -1 of ten), dropped: the fleet's
		// window answered empty, and taken.
		expect([fleet.counts(scope, clock.now()), events]).toEqual([undefined, ['storage:error throttle shared']]);
	});
});
