/**
 * Defect hunt, thirtieth round (area: the breaker shared across tabs). API.md "Reachability and recovery" (counts that
 * cross tabs), "Identity" (after `clear()` nothing it removed comes back), "Sensitive data" (records received from another
 * tab are validated before use). Node's BroadcastChannel and Web Locks carry the tabs' messages and locks (`document` faked).
 */
import { describe, expect, it, vi } from 'vitest';
import { origin, t0, windowEachTest, sharedTabs } from './breaker-kit.js';

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
