/**
 * Defect hunt, forty-first round (recovery you can see), in real Chromium: neighbours of "a probe answered in another tab"
 * — TanStack's onlineManager (`followReachability`) and `refetchWhenBack` in the tab that did not probe, the
 * `reachability` event's `previous` there, an early probe on `online`, two tabs probing, a tab closed or reloaded meanwhile.
 */
import { describe, expect, it } from 'vitest';
import { onlineManager, QueryClient, QueryObserver } from '@tanstack/query-core';
import { isStale } from '../../src/entries/index.js';
import { copyThenOpenedByA, outcome, switchedTransport, tabsOf as tabsOfName, twoTabs, upFirst } from '../helpers/switched-tabs.js';
import { followReachability, queryOptionsFor, refetchWhenBack } from '../../src/entries/tanstack-query.js';
import { until } from '../helpers/wait-for.js';

const origin = 'https://api.test';

/** Tabs of one name (breaker: 2 failures in a row open it), each with its own transport (up at first). */
const tabsOf = (what: string, breaker: object = {}) => {
	const tabs = tabsOfName(what, { consecutiveFailures: 2, openMs: 300, ...breaker }, {}, upFirst);
	const open = () => {
		const net = switchedTransport(upFirst);
		const api = tabs.open(net);
		const back: number[] = [];
		api.on('scope:back', ({ status }) => back.push(status));
		return { api, net, back };
	};

	return { ...tabs, open };
};

describe('recovery hunt 41 variants: the tab that did not probe (Chromium)', () => {
	it("B's onlineManager (followReachability) is online at A's probe's closing; B's reachability event has previous 'unreachable'", async () => {
		const tabs = tabsOf('follow');
		const a = tabs.open();
		const b = tabs.open();
		const told: string[] = [];
		b.api.on('reachability', ({ state, previous }) => told.push(`${previous}>${state}`));
		const unfollow = followReachability(b.api, onlineManager, origin);
		try {
			b.net.set('down');
			await outcome(b.api.get(`${origin}/x`));
			await outcome(b.api.get(`${origin}/x`));
			expect([onlineManager.isOnline(), b.api.breaker(origin).state]).toEqual([false, 'open']);
			await until(async () => (await outcome(a.api.get(`${origin}/x`))) === '200', 10_000, "A's probe");
			await until(() => b.api.breaker(origin).state === 'closed', 10_000, 'closed in B');
			expect([onlineManager.isOnline(), b.back, told]).toEqual([true, [200], ['unknown>unreachable', 'unreachable>reachable']]);
		} finally {
			unfollow();
			a.api.close();
			b.api.close();
		}
	});

	it("B's query refused by the open breaker (no failure of B's own: CIRCUIT_OPEN) is refetched at A's probe's closing", async () => {
		const tabs = tabsOf('refetch', { openMs: 400 });
		const a = tabs.open();
		const b = tabs.open();
		const queryClient = new QueryClient();
		const stop = refetchWhenBack(b.api, queryClient);
		const observer = new QueryObserver(queryClient, { ...queryOptionsFor(b.api, `${origin}/todos`), queryKey: ['todos'], retry: false });
		try {
			a.net.set('down');
			await outcome(a.api.get(`${origin}/x`));
			await outcome(a.api.get(`${origin}/x`));
			await until(() => b.api.breaker(origin).state === 'open', 10_000, 'open in B');
			const off = observer.subscribe(() => undefined);
			await until(() => observer.getCurrentResult().status === 'error', 10_000, "B's query gave up");
			expect((observer.getCurrentResult().error as { code?: string }).code).toBe('CIRCUIT_OPEN');
			a.net.set('up');
			await until(async () => (await outcome(a.api.get(`${origin}/x`))) === '200', 10_000, "A's probe");
			await until(() => observer.getCurrentResult().status === 'success', 5_000, 'B refetched');
			expect([b.net.sent, b.back]).toEqual([1, []]);
			off();
		} finally {
			stop();
			a.api.close();
			b.api.close();
		}
	});

	it('an early probe on `online` answered in A: B, whose own attempts failed, tells scope:back once', async () => {
		const tabs = tabsOf('online', { openMs: 60_000 });
		const a = tabs.open();
		const b = tabs.open();
		try {
			b.net.set('down');
			await outcome(b.api.get(`${origin}/x`));
			await outcome(b.api.get(`${origin}/x`));
			await until(() => a.api.breaker(origin).state === 'open', 10_000, 'open in A');
			window.dispatchEvent(new Event('online'));
			await until(() => a.api.breaker(origin).state === 'half-open' && b.api.breaker(origin).state === 'half-open', 10_000, 'half-open');
			expect(await outcome(a.api.get(`${origin}/x`))).toBe('200');
			await until(() => b.api.breaker(origin).state === 'closed', 10_000, 'closed in B');
			expect([a.back, b.back]).toEqual([[], [200]]);
		} finally {
			a.api.close();
			b.api.close();
		}
	});

	it('two tabs probing (halfOpenProbes: 2), both with failures of their own, both answered: each tells scope:back once', async () => {
		const tabs = tabsOf('two', { halfOpenProbes: 2 });
		const a = tabs.open();
		const b = tabs.open();
		try {
			a.net.set('down');
			b.net.set('down');
			await outcome(a.api.get(`${origin}/x`));
			await outcome(b.api.get(`${origin}/x`));
			await until(() => a.api.breaker(origin).state === 'open' && b.api.breaker(origin).state === 'open', 10_000, 'open');
			a.net.set('up');
			b.net.set('up');
			await until(() => a.api.breaker(origin).state === 'half-open', 10_000, 'half-open');
			const both = await Promise.all([outcome(a.api.get(`${origin}/x`)), outcome(b.api.get(`${origin}/x`))]);
			expect(both).toContain('200');
			await until(() => a.api.breaker(origin).state === 'closed' && b.api.breaker(origin).state === 'closed', 10_000, 'closed');
			expect(await outcome(a.api.get(`${origin}/y`))).toBe('200');
			expect(await outcome(b.api.get(`${origin}/y`))).toBe('200');
			expect([a.back, b.back]).toEqual([[200], [200]]);
		} finally {
			a.api.close();
			b.api.close();
		}
	});

	it('a tab reloaded after A\'s probe closed the breaker finds it closed: its first call goes out, no scope:back (no failure in this page)', async () => {
		const tabs = tabsOf('reload', { openMs: 60_000 });
		const a = tabs.open();
		let b = tabs.open();
		try {
			b.net.set('down');
			await outcome(b.api.get(`${origin}/x`));
			await outcome(b.api.get(`${origin}/x`));
			await until(() => a.api.breaker(origin).state === 'open', 10_000, 'open in A');
			b.api.close();
			window.dispatchEvent(new Event('online'));
			await until(() => a.api.breaker(origin).state === 'half-open', 10_000, 'half-open');
			expect(await outcome(a.api.get(`${origin}/x`))).toBe('200');
			await until(async () => (await tabs.store.get<{ state?: string }>(origin))?.state === 'closed', 10_000, 'closing stored');
			b = tabs.open();
			expect(await outcome(b.api.get(`${origin}/x`))).toBe('200');
			expect([b.api.breaker(origin).state, b.back]).toEqual(['closed', []]);
		} finally {
			a.api.close();
			b.api.close();
		}
	});
	it("B's query whose TanStack retry waits for the open breaker (B's own failures) is fetched once at A's early probe's closing (breaker:closed and scope:back in one turn)", async () => {
		const tabs = tabsOf('retry', { openMs: 60_000 });
		const a = tabs.open();
		const b = tabs.open();
		const queryClient = new QueryClient();
		const stop = refetchWhenBack(b.api, queryClient);
		const observer = new QueryObserver(queryClient, { ...queryOptionsFor(b.api, `${origin}/todos`), queryKey: ['todos'] });
		let off = (): void => undefined;
		try {
			b.net.set('down');
			await outcome(b.api.get(`${origin}/x`));
			off = observer.subscribe(() => undefined);
			await until(() => observer.getCurrentResult().failureCount === 1, 10_000, "B's query failed once, its retry pending");
			expect([b.api.breaker(origin).state, observer.getCurrentResult().fetchStatus]).toEqual(['open', 'fetching']);
			const before = b.net.sent;
			b.net.set('up');
			window.dispatchEvent(new Event('online'));
			await until(() => a.api.breaker(origin).state === 'half-open', 10_000, 'half-open in A');
			expect(await outcome(a.api.get(`${origin}/x`))).toBe('200');
			await until(() => observer.getCurrentResult().status === 'success', 5_000, 'B refetched');
			expect([b.net.sent - before, b.back]).toEqual([1, [200]]);
		} finally {
			off();
			stop();
			a.api.close();
			b.api.close();
		}
	});
	it("B's read answered by its copy while the breaker was open goes to the network at once after A's probe closed it (fresh, not stale)", async () => {
		// The stale cache on (the preset's default).
		const tab = twoTabs('fresh', { consecutiveFailures: 2, openMs: 5_000 }, { staleCache: true, transport: upFirst });
		const { a, b, netA, netB } = tab;
		try {
			await copyThenOpenedByA(tab, origin);
			const sent = netB.sent;
			expect(isStale(await b.get(`${origin}/todos`))).toBe(true);
			expect(netB.sent).toBe(sent);
			netA.set('up');
			document.dispatchEvent(new Event('visibilitychange'));
			await until(async () => (await outcome(a.get(`${origin}/x`))) === '200', 10_000, "A's probe");
			await until(() => b.breaker(origin).state === 'closed', 10_000, 'closed in B');
			const fresh = await b.get(`${origin}/todos`);
			expect([isStale(fresh), netB.sent]).toEqual([false, sent + 1]);
		} finally {
			a.close();
			b.close();
		}
	});
});
