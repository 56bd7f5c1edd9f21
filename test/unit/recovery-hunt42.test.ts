/**
 * Defect hunt, forty-second round (recovery you can see): a probe that closed the fleet's breaker in one process is
 * `scope:back` in the other processes whose own attempts failed, as a probe another tab made is in a tab since the
 * forty-first hunt. The fleet's closing record carries the probe's status (`SyncMessage.probed.status`, kept by the
 * coordinator with the closed state: a Durable Object's or Deno KV's whole record, Redis's numbers), so an isolate
 * that adopts the closing tells `scope:back` with it (API.md: `scope:back` … with `status`; `refetchWhenBack` refetches
 * the queries that gave up). Before, the record carried none: the isolate turned `reachable`, with no `scope:back`.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SyncAnswer, SyncMessage } from '../../src/breaker/sync.js';
import { coordinator as redisCoordinator } from '../../src/redis/index.js';
import { memoryRedis, kvProcesses } from '../helpers/fleet-stores.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { memoryCoordinator, origin, setup } from './breaker-kit.js';

const made: Array<{ api: { close(): void } }> = [];
afterEach(() => {
	for (const { api } of made.splice(0)) {
		api.close();
	}

	vi.restoreAllMocks();
});

/**
 * Two processes of one fleet (a coordinator in memory, 2 failures in a row open it, 30 s): `b`'s attempts fail twice
 * on the network (the fleet opens; `b` is `unreachable`), `a` adopts the opening. What each tells of `scope:back`.
 */
const fleetOpenedByB = async () => {
	const clock = new ManualClock();
	const fleet = memoryCoordinator(clock);
	const [a, b] = [setup({ clock, breaker: { shared: fleet, consecutiveFailures: 2 } as never }), setup({ clock, breaker: { shared: fleet, consecutiveFailures: 2 } as never })];
	made.push(a, b);
	const [backA, backB]: number[][] = [[], []];
	a.api.on('scope:back', ({ status }) => backA.push(status));
	b.api.on('scope:back', ({ status }) => backB.push(status));
	b.server.down();
	expect([await b.call('/1'), await b.call('/2')]).toEqual(['NetworkError', 'NetworkError']);
	await waitFor(() => fleet.states.get(origin)?.record.state === 'open', 'the fleet\'s opening');
	expect(b.api.reachability(origin)).toBe('unreachable');
	clock.advance(2_000); // past sharedCacheMs: a's next call syncs
	expect(await a.call('/a')).toBe('CIRCUIT_OPEN');
	return { clock, fleet, a, b, backA, backB };
};

describe('breaker({ shared }): a probe that closed the fleet\'s breaker in another process is scope:back here', () => {
	for (const status of [200, 404]) {
		it(`process A's probe answered ${status}: B (whose attempts failed) tells scope:back ${status} when it adopts the closing, with no call`, async () => {
			const { clock, fleet, a, b, backA, backB } = await fleetOpenedByB();
			clock.advance(31_000); // the fleet's open period (30 s, no jitter) is over
			a.server.answer(status);
			expect(await a.call('/probe')).toBe(String(status));
			await waitFor(() => fleet.states.get(origin)?.record.state === 'closed', 'the fleet\'s closing');
			clock.advance(2_000);
			// B makes no call: its waitForHealthy syncs, adopts the fleet's closing.
			await b.api.waitForHealthy(origin, { timeoutMs: 10_000 });
			expect(b.api.breaker(origin).state).toBe('closed');
			// Before: { backB: [], … }: reachable, but no scope:back (the fleet's closed record carried no status).
			expect({ backA, backB, reach: b.api.reachability(origin) }).toEqual({ backA: [], backB: [status], reach: 'reachable' });
			expect(fleet.states.get(origin)?.record.status).toBe(status);
			// Told once: B's own next good answer is no second one.
			b.server.up();
			expect(await b.call('/b')).toBe('200');
			expect(backB).toEqual([status]);
		});
	}

	it('a probe answered 503 re-opens the fleet: no scope:back anywhere, and B stays unreachable', async () => {
		const { clock, fleet, a, b, backA, backB } = await fleetOpenedByB();
		clock.advance(31_000);
		a.server.answer(503);
		expect(await a.call('/probe')).toBe('503');
		await waitFor(() => (fleet.states.get(origin)?.record.opens ?? 0) > 1, 'the fleet re-opened');
		clock.advance(2_000);
		expect(await b.call('/b')).toBe('CIRCUIT_OPEN');
		expect({ backA, backB, reach: b.api.reachability(origin) }).toEqual({ backA: [], backB: [], reach: 'unreachable' });
	});
});

const scope = 'https://fleet.example';
const policy = { consecutiveFailures: 1, openMs: 30_000, maxOpenMs: 300_000, probeTimeoutMs: 10_000 };

describe('the coordinators keep the closing probe\'s status with the fleet\'s closed state (another process\'s sync answers it)', () => {
	const redis = () => {
		const clock = { ahead: 0 };
		const { key, evaluate } = memoryRedis(() => Date.now() + clock.ahead);
		const shared = redisCoordinator(evaluate);
		const sync = async (aheadMs: number, message: Partial<SyncMessage>): Promise<SyncAnswer> => {
			clock.ahead = aheadMs;
			return shared.sync(scope, { policy, outcomes: [], jitter: 0.5, ...message }) as Promise<SyncAnswer>;
		};
		return { sync, stored: () => JSON.parse(key.s) as number[] };
	};
	const kv = () => kvProcesses(scope, policy);

	for (const [name, make] of [['Redis', redis], ['Deno KV', kv]] as const) {
		it(`${name}: the probe's 200 closes the scope; the next process's sync answers the closed record with status 200; a later failure keeps it, a reset has none`, async () => {
			const { sync } = make();
			await sync(0, { outcomes: [1] });
			const { granted } = await sync(31_000, { probe: true });
			expect(typeof granted).toBe('number');
			const closing = await sync(31_000, { probed: { at: granted!, failed: false, status: 200 } });
			expect(closing.record).toMatchObject({ state: 'closed', status: 200 });
			// Another process's sync (no outcome of its own): the same closed state, with the probe's status.
			// Before: { state: 'closed' } without status: the adopting process had no scope:back to tell.
			expect((await sync(32_000, {})).record).toMatchObject({ state: 'closed', status: 200 });
			// A reset by hand is no answer: its closed state has no status.
			await sync(33_000, { outcomes: [1] });
			expect((await sync(34_000, { command: 'reset' })).record.status).toBeUndefined();
		});

		it(`${name}: a status that is no HTTP status (a garbled or hostile message) is kept as none`, async () => {
			const { sync } = make();
			await sync(0, { outcomes: [1] });
			const { granted } = await sync(31_000, { probe: true });
			const closing = await sync(31_000, { probed: { at: granted!, failed: false, status: 1e9 } });
			expect(closing.record.state).toBe('closed');
			expect(closing.record.status).toBeUndefined();
			expect((await sync(32_000, {})).record.status).toBeUndefined();
		});
	}

	it('Redis: a closed state stored with its status reads as closed, opens 0, in a process of the build before (the slot it uses)', async () => {
		const { sync, stored } = redis();
		await sync(0, { outcomes: [1] });
		const { granted } = await sync(31_000, { probe: true });
		await sync(31_000, { probed: { at: granted!, failed: false, status: 204 } });
		const numbers = stored();
		// Ten numbers, each flag 0 or 1, as every build reads them: a closed state's `opens` (always 0) holds the status.
		expect([numbers.length, numbers[0], numbers[5], numbers[6]]).toEqual([10, 0, 0, 0]);
		const next = await sync(32_000, { outcomes: [1] });
		expect(next.record).toMatchObject({ state: 'open', opens: 1 });
	});
});
