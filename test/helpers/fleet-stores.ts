/** The fleet coordinators' stores in memory (the fleet tests of Redis and Deno KV): one Redis key, processes over one KV. */
import { expect, vi } from 'vitest';
import type { ScopeState, SyncAnswer, SyncMessage } from '../../src/breaker/sync.js';
import { coordinator as kvCoordinator } from '../../src/deno/index.js';
import { reads, writes } from '../../src/redis/scripts.js';
import { memoryKv } from '../unit/breaker-kit.js';

/** One Redis key in memory, answered as the scripts answer (src/redis/scripts.ts), on `now` (Redis's clock). */
export const memoryRedis = (now: () => number) => {
	const key = { v: 0, s: '' };
	const evaluate = async (script: string, _keys: string[], args: string[]): Promise<unknown> => {
		if (script === reads) {
			return [now(), key.v, key.s];
		}

		expect(script).toBe(writes);
		if (Number(args[0]) !== key.v) {
			return [0, now(), key.v, key.s];
		}

		Object.assign(key, { v: key.v + 1, s: args[1] });
		return [1];
	};

	return { key, evaluate };
};

/**
 * Processes over one KV, breaker state of `scope` under `policy`: `sync(aheadMs, message)` syncs from a process whose
 * clock is `aheadMs` ahead (negative: behind) of `clock.now`; `stored()` is the state the KV holds. `Date.now` is spied
 * on: the file restores it (`vi.restoreAllMocks()` after each test).
 */
export const kvProcesses = (scope: string, policy: SyncMessage['policy']) => {
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
