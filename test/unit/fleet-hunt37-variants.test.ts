/**
 * The fleet coordinators, thirty-seventh round: Redis's clock (TIME, the fleet's) far ahead of every process's for a
 * sync (a replica whose clock is years ahead, a garbled reply), then right again.
 */
import { describe, expect, it } from 'vitest';
import type { SyncAnswer, SyncMessage } from '../../src/breaker/sync.js';
import { coordinator as redisCoordinator } from '../../src/redis/index.js';
import { memoryRedis } from '../helpers/fleet-stores.js';

const scope = 'https://fleet.example';
const policy = { consecutiveFailures: 1, openMs: 30_000, maxOpenMs: 300_000, probeTimeoutMs: 10_000 };
/** 2100-01-01, Redis's clock for one sync. */
const year2100 = 4_102_444_800_000;

describe('coordinator(evaluate): Redis\'s clock in the year 2100 for one sync (the processes\' clocks now)', () => {
	const setupRedis = () => {
		// Redis's clock is the process's (the test's real one) moved on by `ahead`, or `at` when set.
		const clock: { ahead: number; at?: number | undefined } = { ahead: 0 };
		const { key, evaluate } = memoryRedis(() => clock.at ?? Date.now() + clock.ahead);
		const shared = redisCoordinator(evaluate);
		const sync = async (message: Partial<SyncMessage>): Promise<SyncAnswer> => shared.sync(scope, { policy, outcomes: [], jitter: 0.5, ...message }) as Promise<SyncAnswer>;
		/** [open, openedAt, reopensAt, opens, …, probeAt, probeMs], as src/redis/index.ts stores them. */
		const stored = (): number[] => JSON.parse(key.s) as number[];
		return { clock, sync, stored };
	};

	it('the probe asked then is not granted by that clock: the sync fails (the process decides alone), the fleet\'s state stays as it was', async () => {
		const { clock, sync, stored } = setupRedis();
		await sync({ outcomes: [1] });
		clock.ahead = 31_000; // the 30 s period over
		const before = stored();
		clock.at = year2100;
		const asked = await sync({ probe: true }).then(({ granted }) => `granted ${granted}`, () => 'failed');
		// Before: 'granted 4102444800000', the fleet's probe slot held by a grant dated 2100: Redis's clock right again, that
		// probe counted failed at the next sync (granted ahead of now), and its success not counted (['open', 2] below).
		expect([asked, stored()]).toEqual(['failed', before]);
		clock.at = undefined;
		const { granted } = await sync({ probe: true });
		const { record } = await sync({ probed: { at: granted!, failed: false } });
		expect([record.state, stored()[3]]).toEqual(['closed', 0]);
	});
});
