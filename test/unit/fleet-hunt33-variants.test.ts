/**
 * The fleet coordinators, thirty-third round: what a coordinator over a shared store makes of a value under its key that
 * is not its own, whatever the throttle's window (`steadfetch/redis` over an `evaluate` of the test's own that runs the
 * two scripts' rules in memory: the key's version, its numbers, the write's compare-and-set).
 */
import { describe, expect, it } from 'vitest';
import { coordinator } from '../../src/redis/index.js';
import { breaker } from '../../src/entries/breaker.js';
import type { PolicyContext } from '../../src/core/policy.js';
import { memoryRedis } from '../helpers/fleet-stores.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { setup } from './breaker-kit.js';

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

describe('coordinator(evaluate): throttle counts whose bucket numbers are not whole', () => {
	it('a bucket numbered 1.5 (what no report leaves: a bucket is a whole number of tenths of the window, or -1) is reported and written over', async () => {
		const clock = new ManualClock();
		const { key, evaluate } = memoryRedis(() => clock.now());
		const events: string[] = [];
		const fleet = coordinator(evaluate).fleet(contextOf(clock, events), 120_000);
		const scope = 'https://api.test';
		fleet.add(scope, true);
		await fleet.sync(scope, undefined);
		await waitFor(() => key.v === 1, 'the first report written');
		const stored = JSON.parse(key.s) as number[];
		key.s = JSON.stringify(stored.map((number, index) => (index >= 1 && index <= 10 && number === -1 ? 1.5 : number)));
		clock.advance(5_000);
		fleet.add(scope, true);
		await fleet.sync(scope, undefined);
		await waitFor(() => key.v === 2, 'the second report written');
		// Before: [] (taken as a state of steadfetch).
		expect(events).toEqual(['storage:error throttle decode']);
		expect((JSON.parse(key.s) as number[]).every(Number.isInteger)).toBe(true);
	});
});

describe('coordinator(evaluate): throttle counts of a window no throttle sends', () => {
	for (const garbled of [0, -5, 1e300]) {
		it(`a stored windowMs of ${garbled} (the coordinator bounds every window to [1 ms, 1 day]) is reported and written over`, async () => {
			const clock = new ManualClock();
			const { key, evaluate } = memoryRedis(() => clock.now());
			const events: string[] = [];
			const fleet = coordinator(evaluate).fleet(contextOf(clock, events), 120_000);
			const scope = 'https://api.test';
			fleet.add(scope, true);
			await fleet.sync(scope, undefined);
			await waitFor(() => key.v === 1, 'the first report written');
			key.s = JSON.stringify([garbled, ...(JSON.parse(key.s) as number[]).slice(1)]);
			clock.advance(5_000);
			fleet.add(scope, true);
			await fleet.sync(scope, undefined);
			await waitFor(() => key.v === 2, 'the second report written');
			// Before: [] (read as another window's counts: started afresh, silently).
			expect(events).toEqual(['storage:error throttle decode']);
			expect((JSON.parse(key.s) as number[])[0]).toBe(120_000);
		});
	}
});

describe('coordinator(evaluate): a breaker state under a key whose flags are not 0 or 1', () => {
	// [open, openedAt, reopensAt, opens, at, isolated, unanswered, consecutive, probeAt, probeMs], as src/redis/index.ts stores it.
	const flags = { 'open 2': [2, 0, 0], 'open -1': [-1, 0, 0], 'isolated 7': [1, 7, 0], 'unanswered 0.5': [1, 0, 0.5] };
	for (const [name, [open, isolated, unanswered]] of Object.entries(flags)) {
		it(`${name}: reported (storage:error, decode) and written over`, async () => {
			let now = 0;
			const { key, evaluate } = memoryRedis(() => now);
			const { api, clock, events, call } = setup({ breaker: breaker({ shared: coordinator(evaluate), share: false, sharedTimeoutMs: 1000 }) });
			now = clock.now();
			key.v = 3;
			key.s = JSON.stringify([open, now - 1000, now + 60_000, 1, now - 1000, isolated, unanswered, 5, 0, 0]);
			expect(await call()).toBeDefined();
			await waitFor(() => key.v === 4, 'the state written over');
			api.close();
			// Before: [] (read as a closed, or an open not isolated, state of the fleet: never reported).
			expect(events.filter(({ type }) => type === 'storage:error').map(({ operation }) => operation)).toEqual(['decode']);
			const [written, , , , , isolatedNow, unansweredNow] = JSON.parse(key.s) as number[];
			expect([written, isolatedNow, unansweredNow]).toEqual([0, 0, 0]); // none read: closed as of now, then this call's success
		});
	}
});
