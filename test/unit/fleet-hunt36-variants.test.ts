/**
 * The fleet coordinators, thirty-sixth round: Deno KV processes whose wall clocks differ (the KV has none) and a
 * scope's opening after a close; Redis's clock stepping back (a failover), and a Durable Object's (started again on
 * another host), under a scope's breaker state.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SyncAnswer, SyncMessage } from '../../src/breaker/sync.js';
import { BreakerCoordinator } from '../../src/cloudflare/index.js';
import { coordinator as redisCoordinator } from '../../src/redis/index.js';
import { kvProcesses, memoryRedis } from '../helpers/fleet-stores.js';

const scope = 'https://fleet.example';
const policy = { consecutiveFailures: 1, openMs: 30_000, maxOpenMs: 300_000, probeTimeoutMs: 10_000 };

describe('coordinator(kv): an opening after a close, by a process whose clock runs behind', () => {
	afterEach(() => {
		vi.restoreAllMocks();
	});

	it('the probe\'s success closed the scope; a process 20 s behind then opens it: its period starts no earlier than the close', async () => {
		const { clock, sync, stored } = kvProcesses(scope, policy);
		await sync(0, { outcomes: [1] });
		clock.now += 30_000;
		const granted = (await sync(0, { probe: true })).granted!;
		clock.now += 100;
		expect((await sync(0, { probed: { at: granted, failed: false } })).record.state).toBe('closed');
		const closedAt = clock.now;
		clock.now += 1_000;
		const { record } = await sync(-20_000, { outcomes: [1] });
		// Before: -19 000 (opened at the behind process's now, before the close): ended 19 s early for the processes on the closer's clock.
		expect([record.state, stored().record.openedAt - closedAt]).toEqual(['open', 0]);
	});
});

describe('coordinator(evaluate): Redis\'s clock stepping back (a failover to a replica whose clock runs 20 s behind)', () => {
	const setupRedis = () => {
		const clock = { now: 1_700_000_000_000, behind: 0 };
		const { key, evaluate } = memoryRedis(() => clock.now - clock.behind);
		const shared = redisCoordinator(evaluate);
		const sync = async (message: Partial<SyncMessage>): Promise<SyncAnswer> => shared.sync(scope, { policy, outcomes: [], jitter: 0.5, ...message }) as Promise<SyncAnswer>;
		/** [open, openedAt, reopensAt, opens, …], as src/redis/index.ts stores them. */
		const stored = (): number[] => JSON.parse(key.s) as number[];
		return { clock, sync, stored };
	};

	it('a probe granted before the failover succeeds: its success closes the scope (not counted failed, re-opened, doubled)', async () => {
		const { clock, sync, stored } = setupRedis();
		await sync({ outcomes: [1] });
		clock.now += 30_000;
		const granted = (await sync({ probe: true })).granted!;
		clock.now += 100;
		clock.behind = 20_000;
		const { record } = await sync({ probed: { at: granted, failed: false } });
		// Before: ['open', 2] (the probe, dated ahead of Redis's clock now, counted as failed: re-opened, doubled).
		expect([record.state, stored()[3]]).toEqual(['closed', 0]);
	});

	it('a sync 1 s after the failover leaves the fleet\'s open period where it was', async () => {
		const { clock, sync, stored } = setupRedis();
		await sync({ outcomes: [1] });
		const [, openedAt, reopensAt] = stored();
		clock.now += 1_000;
		clock.behind = 20_000;
		await sync({});
		// Before: both 19 s earlier (read at the replica's now: the period moved to start then).
		expect(stored().slice(1, 3)).toEqual([openedAt, reopensAt]);
	});
});

describe('BreakerCoordinator: the object started again on a host whose clock runs 20 s behind', () => {
	afterEach(() => {
		vi.restoreAllMocks();
	});

	it('a probe granted before succeeds: its success closes the scope (not counted failed, re-opened, doubled)', async () => {
		const clock = { now: 1_700_000_000_000 };
		vi.spyOn(Date, 'now').mockImplementation(() => clock.now);
		const storage = new Map<string, unknown>();
		const started = () => new BreakerCoordinator({ storage: { get: async (key: string) => structuredClone(storage.get(key)), put: async (key: string, value: unknown) => void storage.set(key, structuredClone(value)) } });
		let object = started();
		const sync = async (message: Partial<SyncMessage>): Promise<SyncAnswer> => (await object.fetch(new Request('https://steadfetch.coordinator/sync', { method: 'POST', body: JSON.stringify({ scope, message: { policy, outcomes: [], jitter: 0.5, ...message } }) }))).json() as Promise<SyncAnswer>;
		await sync({ outcomes: [1] });
		clock.now += 30_000;
		const granted = (await sync({ probe: true })).granted!;
		clock.now += 100 - 20_000;
		object = started();
		const { record } = await sync({ probed: { at: granted, failed: false } });
		// Before: ['open', 2] (the probe, dated ahead of the new host's clock, counted as failed: re-opened, doubled).
		expect([record.state, record.opens]).toEqual(['closed', 0]);
	});
});
