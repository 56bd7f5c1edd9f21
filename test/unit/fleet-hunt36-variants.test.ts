/**
 * The fleet coordinators, thirty-sixth round: Deno KV processes whose wall clocks differ (the KV has none) and a
 * scope's opening after a close.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { coordinator as kvCoordinator } from '../../src/deno/index.js';
import type { ScopeState, SyncAnswer, SyncMessage } from '../../src/breaker/sync.js';
import { memoryKv } from './breaker-kit.js';

const scope = 'https://fleet.example';
const policy = { consecutiveFailures: 1, openMs: 30_000, maxOpenMs: 300_000, probeTimeoutMs: 10_000 };

describe('coordinator(kv): an opening after a close, by a process whose clock runs behind', () => {
	afterEach(() => {
		vi.restoreAllMocks();
	});

	/** Processes over one KV: `sync(aheadMs, message)` syncs from a process whose clock is `aheadMs` ahead (negative: behind). */
	const processes = () => {
		const kv = memoryKv();
		const shared = kvCoordinator(kv as never);
		const clock = { now: 1_700_000_000_000, ahead: 0 };
		vi.spyOn(Date, 'now').mockImplementation(() => clock.now + clock.ahead);
		const sync = async (aheadMs: number, message: Partial<SyncMessage>): Promise<SyncAnswer> => {
			clock.ahead = aheadMs;
			return shared.sync(scope, { policy, outcomes: [], jitter: 0.5, ...message }) as Promise<SyncAnswer>;
		};
		const stored = (): ScopeState => [...kv.entries.values()][0]!.value as ScopeState;
		return { clock, sync, stored };
	};

	it('the probe\'s success closed the scope; a process 20 s behind then opens it: its period starts no earlier than the close', async () => {
		const { clock, sync, stored } = processes();
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
