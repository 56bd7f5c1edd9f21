/** breaker({ shared }), eighteenth round: what an isolate takes of a coordinator's answer. */
import { describe, expect, it, vi } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { createClient } from '../../src/entries/core.js';
import { sharedCoordinator, type SharedBreaker } from '../../src/breaker/shared.js';
import type { SyncAnswer } from '../../src/breaker/sync.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { fleetOutcome, memoryCoordinator } from './breaker-kit.js';

const origin = 'https://fleet.example';

describe('shared breaker: an answer dated far ahead (a garbled reply, a coordinator\'s clock far ahead)', () => {
	/** Two isolates of one fleet: `a` syncs through a coordinator whose next answer (`lie`) is dated `aheadMs` ahead, `b` through the same one, straight. */
	const fleet = (aheadMs: number, state: 'closed' | 'open') => {
		const clock = new ManualClock();
		const real = memoryCoordinator(clock);
		const shifted = { lie: true };
		const liar = sharedCoordinator(async (scope, message) => {
			const answer = await real.sync(scope, message) as SyncAnswer;
			if (!shifted.lie) {
				return answer;
			}

			shifted.lie = false;
			const at = clock.now() + aheadMs;
			return { record: state === 'open' ? { ...answer.record, state, openedAt: clock.now(), reopensAt: clock.now() + 5_000, opens: 1, at } : { ...answer.record, at } };
		});
		const origins = { down: false, sent: 0 };
		const fetch = async (): Promise<Response> => {
			origins.sent++;
			return new Response(origins.down ? 'down' : 'ok', { status: origins.down ? 503 : 200 });
		};
		const make = (shared: SharedBreaker) => createClient({ clock, random: () => 0.5, retry: 0, fetch, breaker: breaker({ shared, consecutiveFailures: 2, openMs: 5_000, sharedCacheMs: 100, share: false }) });
		const [a, b] = [make(liar), make(real)];
		const errors: string[] = [];
		a.on('storage:error', (event) => errors.push(`${event.part} ${event.operation}`));
		/** `count` calls of `a`, `step` ms apart. */
		const calls = async (count: number, step = 200): Promise<string[]> => {
			const seen: string[] = [];
			for (let call = 0; call < count; call++) {
				clock.advance(step);
				seen.push(await fleetOutcome(a.get(`${origin}/x`)));
			}

			return seen;
		};
		return { clock, real, origins, a, b, errors, calls, shifted };
	};

	it('a closed state dated 30 years ahead: the isolate fails fast while the fleet\'s breaker is open, and its calls go out again once the fleet closed it', async () => {
		const { clock, real, origins, a, b, errors, calls } = fleet(1e12, 'closed');
		expect(await calls(1)).toEqual(['200']);
		origins.down = true;
		for (let failure = 0; failure < 2; failure++) {
			clock.advance(200);
			expect(await fleetOutcome(b.get(`${origin}/x`))).toBe('503');
		}

		await vi.waitFor(() => expect(real.states.get(origin)?.record.state).toBe('open'));
		const sent = origins.sent;
		// Before: ['503', '503', 'OPEN', 'OPEN'] — the fleet's opening was older than what `a` heard last: its own failures opened it.
		expect(await calls(4)).toEqual(['OPEN', 'OPEN', 'OPEN', 'OPEN']);
		expect(origins.sent).toBe(sent);
		clock.advance(5_000);
		origins.down = false;
		expect(await fleetOutcome(b.get(`${origin}/x`))).toBe('200'); // the fleet's probe: it closes the scope
		await vi.waitFor(() => expect(real.states.get(origin)?.record.state).toBe('closed'));
		// Before: ['OPEN' x 4] and 'half-open' for good — the fleet's closing never newer than `a`'s own record, dated from the answer.
		expect([await calls(4), a.breaker(`${origin}/x`).state]).toEqual([['200', '200', '200', '200'], 'closed']);
		expect(errors).toEqual(['breaker shared']); // the answer not believed, once
		a.close();
		b.close();
	});

	it('an open state dated 30 years ahead: not adopted, so the isolate does not fail fast for good once the fleet (closed all along) grants no probe', async () => {
		const { a, b, errors, calls } = fleet(1e12, 'open');
		// Before: ['OPEN' x 3], then 'OPEN' for good (the fleet closed: no probe to grant, its closed state older than `a`'s).
		expect(await calls(3)).toEqual(['200', '200', '200']);
		expect(await calls(3, 3_000)).toEqual(['200', '200', '200']);
		expect(errors).toEqual(['breaker shared']);
		a.close();
		b.close();
	});

	it('an answer dated less than an hour ahead (a coordinator\'s clock 10 minutes ahead) is the fleet\'s, as before', async () => {
		const clock = new ManualClock();
		const ahead = memoryCoordinator(clock, 600_000);
		const origins = { down: true };
		const fetch = async (): Promise<Response> => new Response(origins.down ? 'down' : 'ok', { status: origins.down ? 503 : 200 });
		const make = () => createClient({ clock, random: () => 0.5, retry: 0, fetch, breaker: breaker({ shared: ahead, consecutiveFailures: 2, openMs: 5_000, sharedCacheMs: 100, share: false }) });
		const [a, b] = [make(), make()];
		const errors: string[] = [];
		a.on('storage:error', (event) => errors.push(event.operation));
		expect(await fleetOutcome(a.get(`${origin}/x`))).toBe('503');
		clock.advance(200);
		expect(await fleetOutcome(b.get(`${origin}/x`))).toBe('503');
		await vi.waitFor(() => expect(ahead.states.get(origin)?.record.state).toBe('open'));
		clock.advance(200);
		expect([await fleetOutcome(a.get(`${origin}/x`)), errors]).toEqual(['OPEN', []]);
		a.close();
		b.close();
	});
});
