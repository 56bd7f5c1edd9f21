/**
 * Defect hunt, forty-second round (recovery you can see): a closing no answer made is no answer. A `reset()` by hand or a
 * `clear()` in tab A (or another process of the fleet) closes the breaker in tab B, and B took it as an answer of the
 * origin: its scope turned `reachable` (a `reachability` event, `followReachability` resuming TanStack), also while
 * `navigator.onLine` was false ('reachable' where 'offline') — though API.md says `reachable` once an attempt got an HTTP
 * answer, `offline` while no attempt got one since the device went offline, and the same `reset()` made in B itself
 * leaves B's reachability as it was. A closing made by a probe's answer (it carries the status) is still one.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SyncMessage } from '../../src/breaker/sync.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { memoryCoordinator, origin, setup, sharedTabs } from './breaker-kit.js';
import { windowEachTest } from './breaker-kit.js';
import type { FakeWindow } from './outbox-helpers.js';

let win: FakeWindow;
const clients = windowEachTest((made) => {
	win = made;
});
const tabsOf = sharedTabs(clients, 'h42-tabs');

/** Tabs A and B; B's attempts fail twice on the network: the breaker opens in both, B is `unreachable`. */
const openedByB = async () => {
	const tabs = tabsOf();
	const a = tabs.open({ consecutiveFailures: 2 });
	const b = tabs.open({ consecutiveFailures: 2 });
	const told: string[] = [];
	b.api.on('reachability', ({ state }) => told.push(state));
	b.server.down();
	expect([await b.call(), await b.call()]).toEqual(['NetworkError', 'NetworkError']);
	await vi.waitFor(() => expect(a.api.breaker(origin).state).toBe('open'));
	expect(b.api.reachability(origin)).toBe('unreachable');
	told.length = 0;
	return { tabs, a, b, told };
};

describe("a closing no answer made in another tab leaves this tab's reachability as it was", () => {
	for (const how of ['reset()', 'clear()'] as const) {
		it(`A's ${how}: B's breaker closes, B stays unreachable (no reachability event); B's own good answer then is reachable`, async () => {
			const { tabs, a, b, told } = await openedByB();
			await (how === 'reset()' ? a.api.breaker.reset(origin) : a.api.clear());
			await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('closed'));
			// Before: { reach: 'reachable', told: ['reachable'] } with no attempt answered anywhere.
			expect({ reach: b.api.reachability(origin), told }).toEqual({ reach: 'unreachable', told: [] });
			tabs.clock.advance(1_000);
			b.server.up();
			expect(await b.call()).toBe('200');
			expect({ reach: b.api.reachability(origin), told }).toEqual({ reach: 'reachable', told: ['reachable'] });
		});

		it(`A's ${how} while the device is offline: B stays offline, as A does`, async () => {
			const { a, b, told } = await openedByB();
			win.setOnline(false);
			await vi.waitFor(() => expect(b.api.reachability(origin)).toBe('offline'));
			told.length = 0;
			await (how === 'reset()' ? a.api.breaker.reset(origin) : a.api.clear());
			await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('closed'));
			// Before: 'reachable' in B (its outbox and reads sent again, TanStack resumed) while A said 'offline'.
			expect({ a: a.api.reachability(origin), b: b.api.reachability(origin), told }).toEqual({ a: 'offline', b: 'offline', told: [] });
		});
	}

	it("B's own reset() (the same act, in B) left B unreachable already: now both tabs agree", async () => {
		const { a, b } = await openedByB();
		await b.api.breaker.reset(origin);
		await vi.waitFor(() => expect(a.api.breaker(origin).state).toBe('closed'));
		expect(b.api.reachability(origin)).toBe('unreachable');
	});

	it("A's probe answered 200 (a closing an answer made) still makes B reachable, with scope:back", async () => {
		const { tabs, a, b, told } = await openedByB();
		const back: number[] = [];
		b.api.on('scope:back', ({ status }) => back.push(status));
		a.server.up();
		tabs.clock.advance(31_000);
		expect(await a.call()).toBe('200');
		await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('closed'));
		expect({ reach: b.api.reachability(origin), told, back }).toEqual({ reach: 'reachable', told: ['reachable'], back: [200] });
	});
});

describe("breaker({ shared }): a reset another process made leaves this process's reachability as it was", () => {
	const made: Array<{ api: { close(): void } }> = [];
	afterEach(() => {
		for (const { api } of made.splice(0)) {
			api.close();
		}
	});

	it('the fleet reset by hand: B adopts the closing at its next sync and stays unreachable', async () => {
		const clock = new ManualClock();
		const fleet = memoryCoordinator(clock);
		const b = setup({ clock, breaker: { shared: fleet, consecutiveFailures: 2 } as never });
		made.push(b);
		b.server.down();
		expect([await b.call('/1'), await b.call('/2')]).toEqual(['NetworkError', 'NetworkError']);
		await waitFor(() => fleet.states.get(origin)?.record.state === 'open', 'the fleet\'s opening');
		const policy = { consecutiveFailures: 2, openMs: 30_000, maxOpenMs: 300_000, probeTimeoutMs: 10_000 };
		await fleet.sync(origin, { policy, outcomes: [], command: 'reset' } as SyncMessage);
		clock.advance(2_000);
		await b.api.waitForHealthy(origin, { timeoutMs: 10_000 });
		// Before: 'reachable' (the fleet's closing taken as an answer).
		expect([b.api.breaker(origin).state, b.api.reachability(origin)]).toEqual(['closed', 'unreachable']);
	});
});
