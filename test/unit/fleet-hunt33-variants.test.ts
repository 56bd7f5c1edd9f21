/**
 * The fleet coordinators, thirty-third round: what a coordinator over a shared store makes of a value under its key that
 * is not its own, whatever the throttle's window (`steadfetch/redis` over an `evaluate` of the test's own that runs the
 * two scripts' rules in memory: the key's version, its numbers, the write's compare-and-set).
 */
import { describe, expect, it } from 'vitest';
import { coordinator } from '../../src/redis/index.js';
import { reads, writes } from '../../src/redis/scripts.js';
import type { PolicyContext } from '../../src/core/policy.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';

/** One Redis key in memory, answered as the scripts answer (src/redis/scripts.ts), on `now` (Redis's clock). */
const memoryRedis = (now: () => number) => {
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

/** A context for the isolate's side of a fleet, its `storage:error`s as `<part> <operation>`. */
const contextOf = (clock: ManualClock, events: string[]): PolicyContext => ({
	clock,
	name: 'steadfetch',
	subrequest: () => true,
	emit: (type: string, fields: { part?: string; operation?: string }) => events.push(`${type} ${fields.part} ${fields.operation}`),
}) as unknown as PolicyContext;

describe('coordinator(evaluate): throttle counts under a key that are not a state of steadfetch', () => {
	// A window the coordinator bounds (to [1 ms, 1 day]): the stored state is of the bounded window, not of the one sent.
	for (const windowMs of [120_000, 172_800_000, 0.5]) {
		it(`are reported (storage:error, decode) and written over, for a throttle whose windowMs is ${windowMs}`, async () => {
			const clock = new ManualClock();
			const { key, evaluate } = memoryRedis(() => clock.now());
			const events: string[] = [];
			const fleet = coordinator(evaluate).fleet(contextOf(clock, events), windowMs);
			const scope = 'https://api.test';
			fleet.add(scope, true);
			await fleet.sync(scope, undefined);
			await waitFor(() => key.v === 1, 'the first report written');
			const stored = JSON.parse(key.s) as number[];
			// A garbled write: a bucket's requests negative (what `isThrottleState` refuses), the window as stored.
			key.s = JSON.stringify([stored[0], ...stored.slice(1, 11), -5, ...stored.slice(12)]);
			clock.advance(5_000);
			fleet.add(scope, true);
			await fleet.sync(scope, undefined);
			await waitFor(() => key.v === 2, 'the second report written');
			// Before, at 172 800 000 and 0.5: [] (the garbled counts dropped silently, as another window's would be).
			expect(events).toEqual(['storage:error throttle decode']);
			expect(JSON.parse(key.s)).not.toContain(-5);
		});
	}
});
