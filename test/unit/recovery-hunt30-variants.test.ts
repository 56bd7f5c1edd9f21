/**
 * Defect hunt, thirtieth round (area: the breaker shared across tabs). API.md "Reachability and recovery" (counts that
 * cross tabs), "Identity" (after `clear()` nothing it removed comes back), "Sensitive data" (records received from another
 * tab are validated before use). Node's BroadcastChannel and Web Locks carry the tabs' messages and locks (`document` faked).
 */
import { describe, expect, it, vi } from 'vitest';
import { memoryCoordinator, origin, t0, windowEachTest, sharedTabs } from './breaker-kit.js';
import type { SyncMessage } from '../../src/breaker/sync.js';

const clients = windowEachTest();
const tabsOf = sharedTabs(clients, 'h30-tabs');

/** Post an open record of a marker scope and wait until `api` took it: every message before it was handled. */
let markers = 0;
const heardAll = async (channel: BroadcastChannel, api: { breaker(scope: string): { state: string } }, at = t0): Promise<void> => {
	const marker = `https://marker-${markers++}.test`;
	channel.postMessage({ v: 2, scope: marker, state: 'open', openedAt: t0, reopensAt: t0 + 1_000, opens: 1, at });
	await vi.waitFor(() => expect(api.breaker(marker).state).not.toBe('closed'));
};

describe('breaker: a failure outcome on the channel without its window\'s date (window.at), heard after a clear()', () => {
	it('counts in no tab that took the clear (its time is unknown: no tab\'s own message lacks it)', async () => {
		const { open, other, clock } = tabsOf();
		const [a, b] = [open(), open()];
		a.server.up();
		expect(await a.call()).toBe('200');
		await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('closed'));
		clock.advance(1);
		await a.api.clear();
		const channel = other();
		await heardAll(channel, b.api, clock.now() + 1_000);
		channel.postMessage({ v: 2, scope: origin, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: 0, outcome: 1, failures: 1, window: { calls: 1, failures: 1 } });
		await heardAll(channel, a.api, clock.now() + 1_000);
		await heardAll(channel, b.api, clock.now() + 1_000);
		expect([a.api.breaker(origin).consecutiveFailures, b.api.breaker(origin).consecutiveFailures]).toEqual([0, 0]);
	});
});

describe('breaker across tabs and a fleet coordinator: an isolate() told the tabs (dated clearLeadMs ahead), then the fleet reset', () => {
	it('a tab that heard the isolation takes the fleet\'s reset made within that half second (its next call goes out)', async () => {
		const { open, clock } = tabsOf();
		const fleet = memoryCoordinator(clock);
		const [a, b] = [open({ shared: fleet }), open({ shared: fleet })];
		a.server.up();
		b.server.up();
		await a.api.breaker.isolate(origin);
		await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('open'));
		a.api.close(); // the tab that isolated is gone
		clock.advance(100);
		// Another process of the fleet lifts the kill switch.
		const policy = { consecutiveFailures: 5, openMs: 30_000, maxOpenMs: 300_000, probeTimeoutMs: 10_000 };
		await fleet.sync(origin, { policy, outcomes: [], command: 'reset' } as SyncMessage);
		expect(fleet.states.get(origin)?.record.state).toBe('closed');
		clock.advance(2_000); // past sharedCacheMs: b's next call syncs
		// Before: 'CIRCUIT_OPEN' (the fleet's closed state, dated 400 ms before the isolation b holds, taken as older).
		expect(await b.call()).toBe('200');
		expect(b.api.breaker(origin).state).toBe('closed');
	});
});
