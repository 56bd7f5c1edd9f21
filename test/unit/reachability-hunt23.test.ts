/**
 * Hunt 23: recovery a user can see in every tab (API.md "Reachability and recovery"). A tab whose attempts found a
 * scope `unreachable` learns that the origin answered when another tab's breaker probe got an answer (the scope's
 * breaker closing, heard on the tabs' channel): its TanStack queries paused on that scope (`followReachability`) run
 * again at once, where before they waited for an attempt the paused tab would never make. Clients of one name and store
 * on one injected clock; a real BroadcastChannel (Node's); `document` faked (a page).
 */
import { describe, expect, it, vi } from 'vitest';
import { followReachability } from '../../src/entries/tanstack-query.js';
import { origin, tabPages, times, windowEachTest } from './breaker-kit.js';

const clients = windowEachTest();
const pages = tabPages(clients, 'reach-h23');

/** An `onlineManager` as TanStack's is used: the last state its listener was told. */
const onlineManager = () => {
	const told: boolean[] = [];
	return { told, setEventListener: (setup: (setOnline: (online: boolean) => void) => (() => void) | undefined) => void setup((online) => told.push(online)) };
};

describe('reachability: another tab\'s probe that got an answer makes the scope reachable here too', () => {
	it('a tab that found the origin unreachable is told reachable when another tab\'s probe closes the breaker', async () => {
		const { clock, open } = pages();
		const [a, b] = [open({ consecutiveFailures: 2, openMs: 1_000 }), open({ consecutiveFailures: 2, openMs: 1_000 })];
		const manager = onlineManager();
		const unfollow = followReachability(b.api, manager, origin);
		const seen: string[] = [];
		b.api.on('reachability', ({ state, previous }) => seen.push(`${previous}→${state}`));
		b.server.down();
		expect(await times(2, async () => b.call())).toEqual(['NetworkError', 'NetworkError']);
		expect(b.api.reachability(origin)).toBe('unreachable');
		await vi.waitFor(() => expect(a.snapshot().state).toBe('open'));
		expect(manager.told.at(-1)).toBe(false); // TanStack pauses b's queries: b makes no attempt of its own

		clock.advance(1_000);
		a.server.up();
		expect(await a.call()).toBe('200'); // a's probe
		await vi.waitFor(() => expect(b.snapshot().state).toBe('closed'));
		// Before: 'unreachable', and TanStack still offline in b, with nothing to send an attempt.
		await vi.waitFor(() => expect(b.api.reachability(origin)).toBe('reachable'));
		expect(seen).toEqual(['unknown→unreachable', 'unreachable→reachable']);
		expect(manager.told.at(-1)).toBe(true);
		expect(b.server.requests).toHaveLength(2); // no attempt of b's found it out
		unfollow();
	});

	it('neighbours: a breaker opened on HTTP answers closing elsewhere changes nothing here, nor does b\'s own clear()', async () => {
		const { clock, open } = pages();
		const [a, b] = [open({ consecutiveFailures: 2, openMs: 1_000 }), open({ consecutiveFailures: 2, openMs: 1_000 })];
		const seen: string[] = [];
		b.api.on('reachability', ({ state, previous }) => seen.push(`${previous}→${state}`));
		expect(await times(2, async () => b.call())).toEqual(['HTTPError', 'HTTPError']); // 503s: reachable, breaker open
		await vi.waitFor(() => expect(a.snapshot().state).toBe('open'));
		clock.advance(1_000);
		a.server.up();
		expect(await a.call()).toBe('200');
		await vi.waitFor(() => expect(b.snapshot().state).toBe('closed'));
		expect(seen).toEqual(['unknown→reachable']);

		// b's own attempts find it unreachable again; a clear() here (no answer anywhere) leaves it so.
		b.server.down();
		expect(await times(2, async () => b.call())).toEqual(['NetworkError', 'NetworkError']);
		await b.api.clear();
		expect(b.api.reachability(origin)).toBe('unreachable');
	});
});
