/**
 * The fleet coordinators, thirtieth round: the isolate's side of `adaptiveThrottle({ shared })` (`linkFleet`,
 * src/coordinator/fleet.ts), over a coordinator of the test's own, on an injected clock.
 */
import { describe, expect, it } from 'vitest';
import { sharedCoordinator } from '../../src/breaker/shared.js';
import type { ThrottleAnswer } from '../../src/coordinator/throttle.js';
import { emptyState, sync, type ScopeState, type SyncMessage } from '../../src/breaker/sync.js';
import { createClient } from '../../src/entries/index.js';
import { breaker } from '../../src/entries/breaker.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { contextOf, FakeOrigin, flush, origin } from './breaker-kit.js';

describe('linkFleet: the fleet\'s window as an isolate sees it', () => {
	it('an answer that counted this isolate\'s report is never summed with that report again, not even for a microtask', async () => {
		const clock = new ManualClock();
		const scope = 'https://api.test';
		const answers: Array<(answer: ThrottleAnswer) => void> = [];
		const fleet = sharedCoordinator(async () => new Promise((resolve) => answers.push(resolve))).fleet(contextOf(clock), 10_000);
		// A first answer: the fleet's window is known (empty).
		const first = fleet.sync(scope, undefined);
		answers.shift()!({ throttle: { requests: 0, accepts: 0 } });
		await first;
		expect(fleet.counts(scope, clock.now())).toEqual([0, 0]);
		// Three attempts of this isolate, reported with the next sync (due a second later: `syncMs` of a 10 s window).
		for (let index = 0; index < 3; index++) {
			fleet.add(scope, true);
		}

		clock.advance(1_000);
		expect(fleet.sync(scope, undefined)).toBeUndefined(); // a fresh answer: nothing to wait for
		expect(fleet.counts(scope, clock.now())).toEqual([3, 3]); // in flight: counted here once
		// The coordinator answers the fleet's window, this report included; the throttle decides on every microtask meanwhile.
		answers.shift()!({ throttle: { requests: 3, accepts: 3 } });
		const seen = new Set<string>();
		for (let tick = 0; tick < 30; tick++) {
			seen.add(JSON.stringify(fleet.counts(scope, clock.now())));
			await Promise.resolve();
		}

		// Before: ['[3,3]', '[6,6]']: for a microtask the answer's window plus the report it already counted.
		expect([...seen]).toEqual(['[3,3]']);
	});
});

describe('a custom scope longer than a shared record holds (8 192 characters)', () => {
	it('is the isolate\'s own: its calls go on, decided locally, with no sync its coordinator cannot answer and no storage:error', async () => {
		const clock = new ManualClock();
		const states = new Map<string, ScopeState>();
		const syncs: number[] = [];
		// A coordinator as the Durable Object decides, its state per scope in memory; and the throttle's counts.
		const shared = sharedCoordinator(async (scope, message) => {
			syncs.push(scope.length);
			if ('throttle' in message) {
				return { throttle: { requests: 0, accepts: 0 } };
			}

			const state = states.get(scope) ?? emptyState(scope, clock.now());
			states.set(scope, state);
			return sync(state, message as SyncMessage, clock.now());
		});
		const server = new FakeOrigin();
		const outcomes: string[] = [];
		for (const length of [8192, 8193, 20_000]) {
			const api = createClient({ clock, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: breaker({ shared, share: false, scope: (url) => `${url}#`.padEnd(length, 'x') }), adaptiveThrottle: adaptiveThrottle({ shared }) });
			const errors: string[] = [];
			api.on('storage:error', ({ part, operation }) => errors.push(`${part} ${operation}`));
			const before = server.requests.length;
			syncs.length = 0;
			const outcome = await api.get(`${origin}/x`).then((response) => String(response.status), (error: unknown) => String(error));
			await flush();
			outcomes.push(`${length}: ${outcome} ${server.requests.length - before} syncs ${syncs.length} ${errors.join(',') || 'none'}`);
			api.close();
		}

		// Before: '8193: 200 1 syncs 2 breaker shared' (each sync failed as an answer that is no breaker answer: the
		// coordinator's record cannot hold the scope), and so for 20 000.
		expect(outcomes).toEqual(['8192: 200 1 syncs 2 none', '8193: 200 1 syncs 0 none', '20000: 200 1 syncs 0 none']);
	});
});
