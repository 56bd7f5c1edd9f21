/**
 * The fleet coordinators, thirty-first round: a coordinator that hangs (a sync that never settles: a Redis client
 * queueing commands while its connection is down, a stalled `fetch`), over a coordinator of the test's own, on an
 * injected clock and fake timers (`answerMs` is a timer).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sharedCoordinator } from '../../src/breaker/shared.js';
import type { ThrottleAnswer } from '../../src/coordinator/throttle.js';
import { createClient } from '../../src/entries/index.js';
import { breaker } from '../../src/entries/breaker.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { contextOf, FakeOrigin, origin } from './breaker-kit.js';

/** A coordinator whose syncs never settle until the test answers them: `sent` the clock's time of each (from `t0`). */
const hangingCoordinator = (clock: ManualClock) => {
	const t0 = clock.now();
	const sent: number[] = [];
	const answers: Array<(answer: unknown) => void> = [];
	const shared = sharedCoordinator(async () => {
		sent.push(clock.now() - t0);
		return new Promise((resolve) => answers.push(resolve as (answer: unknown) => void));
	});
	return { shared, sent, answers };
};

afterEach(() => {
	vi.useRealTimers();
});

describe('a coordinator that hangs is asked once, not at every due sync', () => {
	it('adaptiveThrottle({ shared }): one sync given up unanswered holds the scope\'s next one until it settles (at most 30 s)', async () => {
		vi.useFakeTimers();
		const clock = new ManualClock();
		const events: string[] = [];
		const { shared, sent } = hangingCoordinator(clock);
		const fleet = shared.fleet(contextOf(clock, events), 10_000);
		const waits: string[] = [];
		for (let second = 0; second < 60; second++) {
			fleet.add('https://api.test', true);
			const wait = fleet.sync('https://api.test', undefined);
			if (second > 0 && wait) {
				waits.push(`${second}`);
			}

			clock.advance(1000);
			await vi.advanceTimersByTimeAsync(1000);
		}

		// Before: [0, 2000, 4000, …, 58000]: 30 syncs left pending in a minute (one every answerMs), each in the
		// coordinator's queue or in memory until it settled.
		expect(sent).toEqual([0, 32_000]);
		expect(waits).toEqual([]); // no call waits for a sync while the coordinator is down
		expect(events).toEqual(['storage:error throttle shared']);
	});

	it('adaptiveThrottle({ shared }): once the hung sync settles, the next due one is sent and its answer taken', async () => {
		vi.useFakeTimers();
		const clock = new ManualClock();
		const { shared, sent, answers } = hangingCoordinator(clock);
		const fleet = shared.fleet(contextOf(clock), 10_000);
		const scope = 'https://api.test';
		for (let second = 0; second < 20; second++) {
			if (second === 10) {
				answers.shift()!({ throttle: { requests: 1, accepts: 1 } } satisfies ThrottleAnswer); // late: the coordinator is back
				await vi.advanceTimersByTimeAsync(0);
			}

			void fleet.sync(scope, undefined);
			await vi.advanceTimersByTimeAsync(0);
			if (second >= 10) {
				answers.shift()?.({ throttle: { requests: 7, accepts: 5 } } satisfies ThrottleAnswer);
			}

			await vi.advanceTimersByTimeAsync(0);
			clock.advance(1000);
			await vi.advanceTimersByTimeAsync(1000);
		}

		// Before: [0, 2000, 4000]: a sync every answerMs while the first hung.
		expect(sent.slice(0, 3)).toEqual([0, 10_000, 11_000]);
		expect(fleet.counts(scope, clock.now())).toEqual([7, 5]);
	});

	for (const status of [200, 503]) {
		it(`breaker({ shared }): calls once a second to a scope answering ${status} send no sync while the last one hangs, and wait for none`, async () => {
			vi.useFakeTimers();
			const clock = new ManualClock();
			const { shared, sent } = hangingCoordinator(clock);
			const server = new FakeOrigin();
			server.answer(status);
			const api = createClient({ clock, random: () => 0.5, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: breaker({ shared, share: false }) });
			const outcomes: Array<Promise<string>> = [];
			const waited: number[] = [];
			for (let second = 0; second < 60; second++) {
				let done = false;
				outcomes.push(api.get(`${origin}/x`, { throwHttpErrors: false }).then((response) => String(response.status), (error: unknown) => (error as Error).name).finally(() => {
					done = true;
				}));
				// Once the coordinator is known down (the first sync given up at 2 s), a call that does not ask ends with no timer run.
				await vi.advanceTimersByTimeAsync(0);
				if (second >= 3 && !done) {
					waited.push(second);
				}

				clock.advance(1000);
				await vi.advanceTimersByTimeAsync(1000);
			}

			await Promise.all(outcomes);
			api.close();
			// Before: a sync at every call (60; 68 with the failures' reports), each left pending. Now the calls of the first
			// 2 s (before the first was given up) each ask, then none until the last given up ages out (30 s).
			expect(sent).toEqual([0, 1000, 33_000]);
			// Only the call that asks again waits (sharedTimeoutMs, as any call that asks an unreachable coordinator).
			expect(waited).toEqual([33]);
		});
	}
});
