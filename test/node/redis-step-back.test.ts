/**
 * `steadfetch/redis` against a real Redis (redis-server on a free loopback port) whose clock (TIME, the fleet's) steps
 * back, by less than a write's travel time (500 ms), by more than the breaker's `maxOpenMs` (61 s, 30 min), and (the
 * throttle) by a day. Redis's clock
 * cannot be stepped in a test: the scripts' clock inputs are moved instead (each reply's time `d` earlier, each write's
 * deadline and read time `d` later, as Redis compares them with its own TIME). Regression tests, fortieth hunt: they
 * passed on the unchanged source. The fleet's open period stays within the options (at most `maxOpenMs`, never
 * negative, never ending later than `maxOpenMs` after the stepped clock), and the throttle's window counts no negative
 * and no more than what was reported. (A breaker's state stepped back past `maxFleetOpenMs`, an hour, reads as none:
 * closed and reported as not ours, `storage:error` decode, as a state dated that far ahead is; left as it is.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coordinator } from '../../src/entries/redis.js';
import { reads, writes } from '../../src/redis/scripts.js';
import type { SyncAnswer } from '../../src/breaker/sync.js';
import type { ThrottleAnswer } from '../../src/coordinator/throttle.js';
import { startRedis, type RunningRedis } from '../helpers/redis-server.js';

let redis: RunningRedis;

beforeAll(async () => {
	redis = await startRedis();
}, 30_000);

afterAll(async () => {
	await redis?.stop();
});

/** Over the real Redis, its clock `step.ms` behind as the scripts see it. */
const steppedBack = (step: { ms: number }) => coordinator(async (script, keys, args) => {
	const moved = script === writes ? args.map((arg, index) => index === 3 || index === 5 ? String(Number(arg) + step.ms) : arg) : args;
	const reply = await redis.client.eval(script, keys.length, ...keys, ...moved) as unknown[];
	// The clock in a read's reply (first), or in a write's "decide again" reply (second).
	const at = script === reads ? 0 : reply[0] === 0 ? 1 : -1;
	return at < 0 ? reply : reply.map((item, index) => index === at ? Number(item) - step.ms : item);
});

const policy = { consecutiveFailures: 2, openMs: 10_000, maxOpenMs: 60_000, probeTimeoutMs: 5_000 };

describe('coordinator(evaluate): Redis\'s clock steps back after the fleet opened', () => {
	for (const [what, ms] of [['500 ms (less than a write\'s travel time)', 500], ['61 s (past maxOpenMs)', 61_000], ['30 min', 1_800_000]] as const) {
		it(`${what}: the open period stays within maxOpenMs of the clock as it reads now, no probe granted early`, async () => {
			await redis.client.flushall();
			const step = { ms: 0 };
			const shared = steppedBack(step);
			const scope = `https://step-${ms}.example`;
			await shared.sync(scope, { policy, outcomes: [1], jitter: 0.5 });
			const opened = (await shared.sync(scope, { policy, outcomes: [1], jitter: 0.5 }) as SyncAnswer).record;
			expect([opened.state, opened.reopensAt - opened.openedAt]).toEqual(['open', 10_000]);
			step.ms = ms;
			const before = Date.now() - ms;
			const answer = await shared.sync(scope, { policy, outcomes: [], probe: true }) as SyncAnswer;
			const { record } = answer;
			expect(answer.granted).toBeUndefined();
			expect(record.state).toBe('open');
			expect(record.reopensAt - record.openedAt).toBeGreaterThanOrEqual(0);
			expect(record.reopensAt - record.openedAt).toBeLessThanOrEqual(policy.maxOpenMs);
			// Within the fleet's period as it was (a step inside maxOpenMs: the state's own times), else started again at the stepped clock.
			expect(record.reopensAt).toBeLessThanOrEqual(Math.max(opened.reopensAt, Date.now() - ms + policy.openMs));
			expect(record.reopensAt).toBeGreaterThanOrEqual(Math.min(opened.reopensAt, before));
		});
	}
});

describe('coordinator(evaluate): Redis\'s clock steps back while the throttle counts', () => {
	for (const [what, ms] of [['500 ms', 500], ['a day', 86_400_000]] as const) {
		it(`${what}: the fleet's window counts no negative and no more than was reported`, async () => {
			await redis.client.flushall();
			const step = { ms: 0 };
			const shared = steppedBack(step);
			const scope = `https://throttle-${ms}.example`;
			const report = async (requests: number, accepts: number) => ((await shared.sync(scope, { throttle: { windowMs: 60_000, requests, accepts } })) as ThrottleAnswer).throttle;
			expect(await report(10, 4)).toEqual({ requests: 10, accepts: 4 });
			step.ms = ms;
			const counts = await report(5, 5);
			expect(counts.requests).toBeGreaterThanOrEqual(5);
			expect(counts.requests).toBeLessThanOrEqual(15);
			expect(counts.accepts).toBeGreaterThanOrEqual(5);
			expect(counts.accepts).toBeLessThanOrEqual(counts.requests);
		});
	}
});
