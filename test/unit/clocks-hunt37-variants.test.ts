/**
 * Defect hunt, thirty-seventh round (clocks across an extend() family and tabs: throttle, breaker, health).
 */
import { describe, expect, it } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { createClient, memoryStore } from '../../src/entries/core.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { fleetOutcome } from './breaker-kit.js';

const t0 = 1_700_000_000_000;
const origin = 'https://h37-clocks.example';
const failing = (async () => new Response('', { status: 503 })) as typeof fetch;

describe('breaker: a peer\'s outcome is counted on the hearing breaker\'s clock (a child extend() gave a clock of its own)', () => {
	it('2 failures through the parent and 2 through a child an hour ahead fill both ratio windows: both open', async () => {
		const api = createClient({
			clock: new ManualClock(t0), random: () => 0.5, retry: 0, fetch: failing, store: memoryStore, name: `h37-clocks-ratio-${Date.now()}`,
			breaker: breaker({ consecutiveFailures: 100, minimumThroughput: 4, failureRatio: 0.5, openMs: 10_000 }),
		});
		const child = api.extend({ clock: new ManualClock(t0 + 3_600_000) });
		try {
			for (const client of [api, api, child, child]) {
				expect(await fleetOutcome(client.get(`${origin}/a`))).toBe('503');
			}

			// Before: ['closed', 'closed'] (a peer's outcome counted at the teller's time: a window an hour apart started afresh).
			expect([api.breaker(origin).state, child.breaker(origin).state]).toEqual(['open', 'open']);
		} finally {
			api.close();
			child.close();
		}
	});
});

describe('breaker: a peer\'s change is taken on the hearing breaker\'s clock (a child extend() gave a clock of its own)', () => {
	it('the parent opens: a child an hour ahead holds it open openMs on its own clock, its next call fails fast', async () => {
		let sent = 0;
		const api = createClient({
			clock: new ManualClock(t0), random: () => 0.5, retry: 0, store: memoryStore, name: `h37-clocks-open-${Date.now()}`,
			fetch: (async () => {
				sent++;
				return new Response('', { status: 503 });
			}) as typeof fetch,
			breaker: breaker({ consecutiveFailures: 2, openMs: 10_000 }),
		});
		const child = api.extend({ clock: new ManualClock(t0 + 3_600_000) });
		try {
			for (const client of [api, api]) {
				expect(await fleetOutcome(client.get(`${origin}/a`))).toBe('503');
			}

			const { state, openedAt, reopensAt } = child.breaker(origin);
			// Before: ['half-open', t0, t0 + 10 000] (the parent's times, an hour past on the child's clock: its next call a probe).
			expect([state, openedAt, reopensAt]).toEqual(['open', t0 + 3_600_000, t0 + 3_610_000]);
			expect(await fleetOutcome(child.get(`${origin}/a`))).toBe('OPEN');
			expect(sent).toBe(2);
		} finally {
			api.close();
			child.close();
		}
	});
});
