/**
 * Defect hunt, fortieth round (recovery you can see), in real Chromium (IndexedDB, Web Locks, BroadcastChannel): two
 * clients of one name in the page are two tabs. Regression tests of variants the hunt probed that held as written (no
 * defect found): counts across tabs, an extend() child and a reload; clear() in one tab; waitForHealthy in another tab;
 * a probe in flight at another tab's clear/isolate/reset; a tab closed mid-probe; a tab started mid-probe; early probes
 * on `online`/`visibilitychange` and their events; TanStack's onlineManager told each change once.
 */
import { describe, expect, it } from 'vitest';
import { onlineManager } from '@tanstack/query-core';
import type { Client } from '../../src/entries/index.js';
import { followReachability } from '../../src/entries/tanstack-query.js';
import { hangingCall, outcome, tabsOf, twoTabs } from '../helpers/switched-tabs.js';
import { until } from '../helpers/wait-for.js';

const origin = 'https://api.test';

/** Two failures in a row in tab `a` (a breaker of `consecutiveFailures: 2`), then the wait for tab `b` to see the breaker open. */
const openedBy = async (a: Client, b: Client): Promise<void> => {
	await outcome(a.get(`${origin}/x`));
	await outcome(a.get(`${origin}/x`));
	await until(() => b.breaker(origin).state === 'open');
};

describe('recovery hunt 40: variants that held (Chromium)', () => {
	it('failures in a row across a tab, its extend() child and another tab open the breaker in all', async () => {
		const { a, b, netA: net, close } = twoTabs('extend', { consecutiveFailures: 3, openMs: 30_000 }, { shared: true });
		const child = a.extend({ headers: { 'x-child': '1' } });
		net.set('503');
		try {
			await outcome(a.get(`${origin}/x`));
			await until(() => b.breaker(origin).consecutiveFailures === 1);
			await outcome(child.get(`${origin}/x`));
			await until(() => b.breaker(origin).consecutiveFailures === 2);
			await outcome(b.get(`${origin}/x`));
			await until(() => a.breaker(origin).state === 'open');
			expect([a.breaker(origin).state, child.breaker(origin).state, b.breaker(origin).state]).toEqual(['open', 'open', 'open']);
		} finally {
			close();
		}
	});

	it("after clear() in one tab, the other tab's failures in a row start over", async () => {
		const { a, b, netA: net, close } = twoTabs('clear', { consecutiveFailures: 3, openMs: 30_000 }, { shared: true });
		net.set('503');
		try {
			await outcome(a.get(`${origin}/x`));
			await outcome(a.get(`${origin}/x`));
			await until(() => b.breaker(origin).consecutiveFailures === 2);
			await a.clear();
			await until(() => b.breaker(origin).consecutiveFailures === 0);
			await outcome(b.get(`${origin}/x`));
			await until(() => a.breaker(origin).consecutiveFailures === 1);
			expect([a.breaker(origin).state, b.breaker(origin).state]).toEqual(['closed', 'closed']);
		} finally {
			close();
		}
	});

	for (const probe of [undefined, '/health']) {
		it(`waitForHealthy in tab B resolves at once when ${probe ? 'the /health probe (either tab\'s) succeeds' : 'tab A\'s probe succeeds (a call is the probe)'}; B's events once each`, async () => {
			const { a, b, netA, netB, close } = twoTabs('wait', { consecutiveFailures: 2, openMs: 300, ...(probe && { probe }) });
			netA.set('503');
			// With a `/health` probe, whichever tab's timer comes first sends it: B's waiting (`waitForHealthy`) makes it a
			// candidate, and a B that hung would hold the probe (the test timed out at 10 s in a clean-clone run). B's
			// network answers then, as A's does once up; with a call as the probe, only A calls, and B's hangs (never needed).
			netB.set(probe ? 'up' : 'hang');
			const events: string[] = [];
			b.on('*', (event) => {
				if (event.type.startsWith('breaker:') || event.type === 'reachability' || event.type === 'scope:back') {
					events.push(event.type + (event.type === 'reachability' ? `:${(event as { state: string }).state}` : ''));
				}
			});
			try {
				await openedBy(a, b);
				let resolvedAt = 0;
				const waiting = b.waitForHealthy(origin, { timeoutMs: 15_000 }).then(() => {
					resolvedAt = performance.now();
				});
				netA.set('up');
				await until(async () => (await outcome(a.get(`${origin}/x`))) === '200', 10_000);
				const closedAt = performance.now();
				await waiting;
				expect(resolvedAt - closedAt).toBeLessThan(1_000);
				expect(b.breaker(origin).state).toBe('closed');
				b.close();
				await outcome(a.get(`${origin}/x`));
				netA.set('503');
				await outcome(a.get(`${origin}/x`));
				await outcome(a.get(`${origin}/x`));
				await until(() => a.breaker(origin).state === 'open');
				expect(events.filter((e) => e === 'breaker:closed').length, events.join()).toBe(1);
				expect(events.filter((e) => e === 'breaker:open').length, events.join()).toBe(1);
			} finally {
				close();
			}
		});
	}

	for (const settles of [503, 200]) {
		it(`a probe in flight at clear() that then answers ${settles} opens or closes nothing in either tab`, async () => {
			const { a, b, netA: net, netB: other, close } = twoTabs('late', { consecutiveFailures: 2, openMs: 200 });
			other.set('hang');
			net.set('503');
			const eventsA: string[] = [];
			const eventsB: string[] = [];
			a.on('*', (e) => e.type.startsWith('breaker:') && eventsA.push(e.type));
			b.on('*', (e) => e.type.startsWith('breaker:') && eventsB.push(e.type));
			try {
				await openedBy(a, b);
				net.set('hang');
				const { late } = await hangingCall(() => a.get(`${origin}/x`));
				await until(() => net.pending.length === 1);
				await a.clear();
				await until(() => b.breaker(origin).state === 'closed');
				eventsA.length = 0;
				eventsB.length = 0;
				net.release(settles);
				await late;
				// One more round trip on the channel to let any message land.
				net.set('up');
				await outcome(a.get(`${origin}/y`));
				await new Promise((resolve) => setTimeout(resolve, 200));
				expect([a.breaker(origin).state, b.breaker(origin).state, a.breaker(origin).consecutiveFailures, b.breaker(origin).consecutiveFailures]).toEqual(['closed', 'closed', 0, 0]);
				expect(eventsA.concat(eventsB)).toEqual([]);
			} finally {
				close();
			}
		});
	}

	it('a tab closed while its probe hangs gives the probe back: another tab probes and closes the breaker', async () => {
		// A probe's time limit is ky's per-attempt `timeout` (src/breaker/options.ts): a minute, past B's wait, so only A's
		// close gives the probe back in time (the probe is not simply given up).
		const { a, b, netA, netB, close } = twoTabs('gone', { consecutiveFailures: 2, openMs: 200, probe: '/health' }, { timeout: 60_000 });
		try {
			await openedBy(a, b);
			netA.set('hang');
			netB.set('hang');
			void a.waitForHealthy(origin, { timeoutMs: 20_000 }).catch(() => undefined);
			await until(() => netA.pending.length === 1);
			netB.set('up');
			a.close();
			await b.waitForHealthy(origin, { timeoutMs: 10_000 });
			expect(b.breaker(origin).state).toBe('closed');
		} finally {
			close();
		}
	});
	it('the failure ratio is the tabs\': successes in one tab and failures in another open both at the ratio', async () => {
		const { a, b, netA, netB, close } = twoTabs('ratio', { consecutiveFailures: 50, failureRatio: 0.5, minimumThroughput: 4, openMs: 30_000 });
		netA.set('up');
		netB.set('503');
		try {
			// Each outcome heard in the other tab before the next call: A's answer makes B's scope reachable, B's 503 is A's
			// failure in a row, A's next answer ends B's.
			await outcome(a.get(`${origin}/x`));
			await until(() => b.reachability(origin) === 'reachable', 10_000, "A's answer heard in B");
			await outcome(b.get(`${origin}/x`));
			await until(() => a.breaker(origin).consecutiveFailures === 1, 10_000, "B's 503 heard in A");
			await outcome(a.get(`${origin}/x`));
			await until(() => b.breaker(origin).consecutiveFailures === 0, 10_000, "A's answer heard in B");
			expect(b.breaker(origin).state).toBe('closed');
			await outcome(b.get(`${origin}/x`));
			await until(() => a.breaker(origin).state === 'open');
			expect(b.breaker(origin).state).toBe('open');
		} finally {
			close();
		}
	});

	it('a tab that starts while another tab holds the breaker open on network failures probes at once; its failed early probe does not double the period', async () => {
		const { store, netA: net, open, close } = tabsOf('join', { consecutiveFailures: 2, openMs: 30_000 });
		const a = open(net);
		try {
			await outcome(a.get(`${origin}/x`));
			await outcome(a.get(`${origin}/x`));
			await until(async () => (await store.get<{ state?: string }>(origin))?.state === 'open');
			const before = net.sent;
			const b = open(net);
			expect(await outcome(b.get(`${origin}/x`))).not.toBe('CIRCUIT_OPEN');
			expect(net.sent).toBe(before + 1);
			const snap = b.breaker(origin);
			expect(snap.state).toBe('open');
			expect(snap.reopensAt! - snap.openedAt!).toBeLessThanOrEqual(36_000);
			await until(() => a.breaker(origin).openedAt === snap.openedAt);
			expect(a.breaker(origin).reopensAt).toBe(snap.reopensAt);
		} finally {
			close();
		}
	});

	it("TanStack's onlineManager following tab B's scope is told each change another tab's attempts make, once, in order", async () => {
		const { a, b, netA: net, close } = twoTabs('follow', { consecutiveFailures: 10, openMs: 30_000 });
		const manager = onlineManager;
		const told: boolean[] = [];
		const off = followReachability(b, manager, origin);
		const unsubscribe = manager.subscribe((online) => told.push(online));
		try {
			// B's own attempts find the scope unreachable; A's answer makes it reachable in B too; B's own failures again not.
			await outcome(b.get(`${origin}/x`));
			await outcome(b.get(`${origin}/x`));
			expect(b.reachability(origin)).toBe('unreachable');
			net.set('up');
			await outcome(a.get(`${origin}/x`));
			await until(() => b.reachability(origin) === 'reachable', 10_000, 'B reachable after A got an answer');
			await outcome(b.get(`${origin}/x`));
			await outcome(b.get(`${origin}/x`));
			expect(b.reachability(origin)).toBe('unreachable');
			expect(told).toEqual([false, true, false]);
		} finally {
			unsubscribe();
			off();
			close();
		}
	});
	for (const settles of [200, 503]) {
		it(`a tab that starts while another tab's probe hangs is refused, then sees that probe's ${settles} at once`, async () => {
			const { store, netA, netB, open, close } = tabsOf('mid', { consecutiveFailures: 2, openMs: 300 });
			netB.set('up');
			const a = open(netA);
			try {
				await outcome(a.get(`${origin}/x`));
				await outcome(a.get(`${origin}/x`));
				await until(async () => (await store.get<{ state?: string }>(origin))?.state === 'open');
				netA.set('hang');
				const { late } = await hangingCall(() => a.get(`${origin}/x`));
				const b = open(netB);
				const sentBefore = netB.sent;
				expect(await outcome(b.get(`${origin}/x`))).toBe('CIRCUIT_OPEN');
				expect(netB.sent).toBe(sentBefore);
				const closedInB = b.waitForHealthy(origin, { timeoutMs: 20_000 }).then(() => performance.now(), () => -1);
				const released = performance.now();
				netA.release(settles);
				await late;
				if (settles === 200) {
					const at = await closedInB;
					expect(at - released).toBeLessThan(1_000);
				} else {
					await until(() => b.breaker(origin).openedAt === a.breaker(origin).openedAt && a.breaker(origin).state === 'open');
					expect(b.breaker(origin).state).toBe('open');
				}
			} finally {
				close();
			}
		});
	}

	it('a tab closed while its own call is the hanging probe gives the probe back: another tab\'s call is the next probe', async () => {
		const { a, b, netA, netB, close } = twoTabs('gone2', { consecutiveFailures: 2, openMs: 300 }, { timeout: false, totalTimeout: false });
		netB.set('up');
		try {
			await openedBy(a, b);
			netA.set('hang');
			await hangingCall(() => a.get(`${origin}/x`));
			a.close();
			await until(async () => (await outcome(b.get(`${origin}/x`))) === '200', 10_000, 'B\'s call goes out as the probe');
			expect(b.breaker(origin).state).toBe('closed');
		} finally {
			close();
		}
	});
	for (const [what, settles] of [['clear()', 503], ['clear()', 200], ['isolate()', 200], ['reset()', 503]] as const) {
		it(`tab B's probe in flight at tab A's ${what} that then answers ${settles} changes nothing A's ${what} made`, async () => {
			const { a, b, netA, netB, close } = twoTabs('bprobe', { consecutiveFailures: 2, openMs: 200, probe: '/health' });
			const events: string[] = [];
			a.on('*', (e) => e.type.startsWith('breaker:') && events.push(`a ${e.type}`));
			b.on('*', (e) => e.type.startsWith('breaker:') && events.push(`b ${e.type}`));
			try {
				await openedBy(a, b);
				netB.set('hang');
				// Isolated, B stays unhealthy: its wait ends at its timeout, after the probe settled.
				const waiting = b.waitForHealthy(origin, { timeoutMs: what === 'isolate()' ? 3_000 : 20_000 }).catch(() => undefined);
				await until(() => netB.pending.length === 1);
				if (what === 'clear()') {
					await a.clear();
				} else if (what === 'isolate()') {
					await a.breaker.isolate(origin);
				} else {
					await a.breaker.reset(origin);
				}
				const want = what === 'isolate()' ? 'open' : 'closed';
				await until(() => b.breaker(origin).state === want);
				const snapshot = JSON.stringify([a.breaker(origin), b.breaker(origin)]);
				const counts = [a.breaker(origin).consecutiveFailures, b.breaker(origin).consecutiveFailures];
				events.length = 0;
				netB.release(settles);
				await waiting;
				netA.set('up');
				// A message round trip: B's word (if any) has landed once A's own later outcome is heard in B.
				if (what !== 'isolate()') {
					await outcome(a.get(`${origin}/y`));
					await until(() => b.reachability(origin) === 'reachable');
				}
				await new Promise((resolve) => setTimeout(resolve, 150));
				expect([a.breaker(origin).state, b.breaker(origin).state], snapshot).toEqual([want, want]);
				expect([a.breaker(origin).consecutiveFailures, b.breaker(origin).consecutiveFailures]).toEqual(what === 'isolate()' ? counts : [0, 0]);
				expect(events).toEqual([]);
			} finally {
				close();
			}
		});
	}
	for (const trigger of ['online', 'visibilitychange'] as const) {
		it(`an early probe on \`${trigger}\` that succeeds: each tab tells half-open and closed once each, in order`, async () => {
			const { a, b, netA, netB, close } = twoTabs('early', { consecutiveFailures: 2, openMs: 60_000 });
			netB.set('up');
			const events: string[] = [];
			a.on('*', (e) => e.type.startsWith('breaker:') && events.push(`a ${e.type}`));
			b.on('*', (e) => e.type.startsWith('breaker:') && events.push(`b ${e.type}`));
			try {
				await openedBy(a, b);
				events.length = 0;
				(trigger === 'online' ? window : document).dispatchEvent(new Event(trigger));
				await until(() => a.breaker(origin).state === 'half-open' && b.breaker(origin).state === 'half-open');
				netA.set('up');
				expect(await outcome(b.get(`${origin}/x`))).toBe('200');
				await until(() => a.breaker(origin).state === 'closed' && b.breaker(origin).state === 'closed');
				await outcome(a.get(`${origin}/y`));
				await outcome(b.get(`${origin}/y`));
				expect(events.filter((e) => e.startsWith('a ')), events.join()).toEqual(['a breaker:half-open', 'a breaker:closed']);
				expect(events.filter((e) => e.startsWith('b ')), events.join()).toEqual(['b breaker:half-open', 'b breaker:closed']);
			} finally {
				close();
			}
		});
	}
	for (const prober of ['a', 'b'] as const) {
		it(`an early probe on \`online\` that fails (made by tab ${prober}): both tabs re-open for the nominal period, not doubled, each telling it once`, async () => {
			const { a, b, close } = twoTabs('early-fail', { consecutiveFailures: 2, openMs: 60_000 }, { shared: true });
			const events: string[] = [];
			a.on('*', (e) => e.type.startsWith('breaker:') && events.push(`a ${e.type}`));
			b.on('*', (e) => e.type.startsWith('breaker:') && events.push(`b ${e.type}`));
			try {
				await openedBy(a, b);
				const first = a.breaker(origin);
				events.length = 0;
				window.dispatchEvent(new Event('online'));
				await until(() => a.breaker(origin).state === 'half-open' && b.breaker(origin).state === 'half-open');
				await outcome((prober === 'a' ? a : b).get(`${origin}/x`));
				await until(() => a.breaker(origin).state === 'open' && b.breaker(origin).state === 'open' && a.breaker(origin).openedAt === b.breaker(origin).openedAt);
				const [sa, sb] = [a.breaker(origin), b.breaker(origin)];
				expect(sa.openedAt! > first.openedAt!).toBe(true);
				expect(sa.reopensAt! - sa.openedAt!).toBeLessThanOrEqual(72_000);
				expect(sb.reopensAt).toBe(sa.reopensAt);
				expect(events.filter((e) => e.startsWith('a ')), events.join()).toEqual(['a breaker:half-open', 'a breaker:open']);
				expect(events.filter((e) => e.startsWith('b ')), events.join()).toEqual(['b breaker:half-open', 'b breaker:open']);
			} finally {
				close();
			}
		});
	}
	it('failures in a row across a reload and another tab open the breaker: one before the reload, one after, one in the other tab', async () => {
		const { store, netA: net, open, close } = tabsOf('reload', { consecutiveFailures: 3, openMs: 30_000 });
		net.set('503');
		const a = open(net);
		try {
			await outcome(a.get(`${origin}/x`));
			await until(async () => (await store.get<{ failures?: number }>(origin))?.failures === 1);
			a.close();
			const reloaded = open(net);
			await outcome(reloaded.get(`${origin}/x`));
			expect(reloaded.breaker(origin).consecutiveFailures).toBe(2);
			const b = open(net);
			await outcome(b.get(`${origin}/x`));
			await until(() => reloaded.breaker(origin).state === 'open');
			expect(b.breaker(origin).state).toBe('open');
		} finally {
			close();
		}
	});

	it('waitForHealthy in tab B rejects with TIMEOUT while tab A\'s probes keep failing', async () => {
		const { a, b, netA: net, close } = twoTabs('timeout', { consecutiveFailures: 2, openMs: 100, probe: '/health' }, { shared: true });
		net.set('503');
		try {
			await openedBy(a, b);
			const error = await b.waitForHealthy(origin, { timeoutMs: 600 }).then(() => undefined, (thrown: { code?: string; transient?: boolean }) => thrown);
			expect([error?.code, error?.transient]).toEqual(['TIMEOUT', true]);
			expect(b.breaker(origin).state).not.toBe('closed');
		} finally {
			close();
		}
	});
});
