/**
 * The fleet coordinators, thirty-fifth round: Deno KV processes whose wall clocks differ (the KV has none) and a
 * scope's open period, and what a fleet's stores make of hostile values.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { coordinator as kvCoordinator } from '../../src/deno/index.js';
import type { SyncAnswer, SyncMessage } from '../../src/breaker/sync.js';
import { kvProcesses } from '../helpers/fleet-stores.js';
import { memoryKv } from './breaker-kit.js';

const scope = 'https://fleet.example';
const policy = { consecutiveFailures: 1, openMs: 30_000, maxOpenMs: 300_000, probeTimeoutMs: 10_000 };

describe('coordinator(kv): a breaker\'s open period over processes whose wall clocks differ', () => {
	afterEach(() => {
		vi.restoreAllMocks();
	});

	it('a process 20 s behind syncs a second after the opening: the period the KV holds is the one that opened', async () => {
		const { clock, sync, stored } = kvProcesses(scope, policy);
		expect((await sync(0, { outcomes: [1] })).record.state).toBe('open');
		const opened = stored().record;
		clock.now += 1_000;
		await sync(-20_000, {});
		// Before: openedAt and reopensAt 19 s earlier (the behind process's now): the fleet's period shortened by its lag.
		expect([stored().record.openedAt, stored().record.reopensAt]).toEqual([opened.openedAt, opened.reopensAt]);
	});

	it('a process on the opener\'s clock 15 s into a 30 s period is refused the probe, after a process 20 s behind synced', async () => {
		const { clock, sync } = kvProcesses(scope, policy);
		await sync(0, { outcomes: [1] });
		clock.now += 1_000;
		await sync(-20_000, {});
		clock.now += 14_000;
		// Before: granted (the period ended 11 s after it opened, by the opener's clock).
		expect((await sync(0, { probe: true })).granted).toBeUndefined();
		clock.now += 15_001;
		expect((await sync(0, { probe: true })).granted).toBe(clock.now);
	});

	it('a process 1 s ahead is granted the probe; one on the opener\'s clock syncs 100 ms later: the probe\'s success closes the scope', async () => {
		const { clock, sync, stored } = kvProcesses(scope, policy);
		await sync(0, { outcomes: [1] });
		clock.now += 30_000;
		const granted = (await sync(1_000, { probe: true })).granted!;
		clock.now += 100;
		await sync(0, {});
		clock.now += 100;
		// Before: 'open', opens 2 (the probe, dated ahead of the syncing process's clock, counted as failed: re-opened, doubled).
		const { record } = await sync(1_000, { probed: { at: granted, failed: false } });
		expect([record.state, stored().record.opens]).toEqual(['closed', 0]);
	});
});

describe('coordinator(kv): an open state the KV holds dated 50 minutes ahead (another program\'s write, a clock far ahead)', () => {
	afterEach(() => {
		vi.restoreAllMocks();
	});

	it('its 30 s period ends 30 s after it was read: it is not moved on at each sync until the date comes near (maxOpenMs 5 minutes)', async () => {
		const kv = memoryKv();
		const shared = kvCoordinator(kv as never);
		const clock = { now: 1_700_000_000_000 };
		vi.spyOn(Date, 'now').mockImplementation(() => clock.now);
		const sync = async (message: Partial<SyncMessage>): Promise<SyncAnswer> => shared.sync(scope, { policy, outcomes: [], jitter: 0.5, ...message }) as Promise<SyncAnswer>;
		await sync({});
		const at = clock.now + 3_000_000;
		[...kv.entries.values()][0]!.value = { v: 1, record: { v: 2, scope, state: 'open', openedAt: clock.now, reopensAt: clock.now + 30_000, opens: 1, at }, consecutive: 1, probeAt: 0 };
		const granted: boolean[] = [];
		for (let step = 0; step < 4; step++) {
			granted.push((await sync({ probe: true })).granted !== undefined);
			clock.now += 15_000;
		}

		// Before: [false, false, false, false] (and so for 45 minutes: each sync started the period again at its own now).
		expect(granted).toEqual([false, false, true, false]);
	});
});
