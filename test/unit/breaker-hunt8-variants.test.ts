/**
 * Variants of recovery a user can see across tabs (API.md "Reachability and recovery"; BreakerOptions'
 * TSDoc): clients of one name and store on one injected clock; a real BroadcastChannel and Web Locks
 * (Node's); `document` faked (a page).
 */
import { describe, expect, it, vi } from 'vitest';
import { origin, tabPages, times, windowEachTest } from './breaker-kit.js';

const clients = windowEachTest();
const pages = tabPages(clients, 'hunt8-variants');

describe('breaker: a caller\'s request that is the probe and hangs with no time limit (timeout: false, totalTimeout: false)', () => {
	it('counts as failed at maxOpenMs (halfOpenProbes\' TSDoc) and gives its Web Lock back: another tab probes the next period and closes the breaker', async () => {
		const { open, clock } = pages();
		const unbounded = { timeout: false, totalTimeout: false };
		const [a, b] = [open({ openMs: 100, maxOpenMs: 200 }, unbounded), open({ openMs: 100, maxOpenMs: 200 }, unbounded)];
		a.server.down();
		await times(5, async () => a.call());
		await vi.waitFor(() => expect(b.snapshot().state).toBe('open'));
		a.server.hang();
		clock.advance(101);
		void a.call(); // the probe: it hangs for good
		await vi.waitFor(() => expect(a.server.pending).toHaveLength(1));
		clock.advance(200);
		// Its limit (maxOpenMs) passes in real time too: a failed probe, a new period told to every tab.
		await vi.waitFor(() => expect(b.events.filter((event) => event === 'breaker:open shared')).toHaveLength(2), { timeout: 10_000 });
		clock.advance(300);
		b.server.up();
		// Before: 'CIRCUIT_OPEN' (the hung probe held the scope's lock: no tab could probe again).
		expect(await b.call()).toBe('200');
		expect(b.snapshot().state).toBe('closed');
		await vi.waitFor(() => expect(a.snapshot().state).toBe('closed'));
		a.server.settleAll(new Response('{}'));
	});
});

describe('breaker: consecutiveFailures while open, in every tab and after a reload (API.md "Counts that cross tabs and reloads")', () => {
	it('the tab that opened it, a tab that heard it and a tab opened later show the same count', async () => {
		const { open } = pages();
		const [a, b] = [open(), open()];
		await times(5, async () => a.call());
		await vi.waitFor(() => expect(b.snapshot().state).toBe('open'));
		const c = open();
		expect(await c.call()).toBe('CIRCUIT_OPEN');
		// Before: [5, 4, 0].
		expect([a, b, c].map((tab) => tab.snapshot().consecutiveFailures)).toEqual([5, 5, 5]);
	});
});

describe('breaker: breaker:half-open and what client.breaker(url) shows', () => {
	it('is told when the snapshot first shows half-open, not only at the next call', async () => {
		const { open, clock } = pages();
		const a = open({ openMs: 1_000 });
		await times(5, async () => a.call());
		clock.advance(1_001);
		expect(a.snapshot().state).toBe('half-open');
		// Before: ['breaker:open consecutive-failures'] (told only once a call or a trigger came).
		expect(a.events).toEqual(['breaker:open consecutive-failures', 'breaker:half-open open-elapsed']);
		expect(a.api.stats()[origin]?.breaker?.state).toBe('half-open');
		a.server.up();
		expect(await a.call()).toBe('200');
		expect(a.events).toEqual(['breaker:open consecutive-failures', 'breaker:half-open open-elapsed', 'breaker:closed probe-succeeded']);
	});
});
