/**
 * Defect hunt, fortieth round (recovery you can see), in real Chromium (IndexedDB, Web Locks, BroadcastChannel): two
 * clients of one name in the page are two tabs. Regression tests of variants the hunt probed that held as written (no
 * defect found): counts across tabs, an extend() child and a reload; clear() in one tab; waitForHealthy in another tab;
 * a probe in flight at another tab's clear/isolate/reset; a tab closed mid-probe; a tab started mid-probe; early probes
 * on `online`/`visibilitychange` and their events; TanStack's onlineManager told each change once.
 */
import { describe, expect, it } from 'vitest';
import { onlineManager } from '@tanstack/query-core';
import { createClient, indexedDbStore } from '../../src/entries/index.js';
import { followReachability } from '../../src/entries/tanstack-query.js';
import { until } from '../helpers/wait-for.js';

const origin = 'https://api.test';

/** A transport whose answers the test switches: down (a network failure), 503, hanging (until `release`), or up. */
const transport = () => {
	let mode: 'down' | '503' | 'hang' | 'up' = 'down';
	const pending: Array<(status: number) => void> = [];
	let sent = 0;
	const fetch = async (): Promise<Response> => {
		sent++;
		if (mode === 'down') {
			throw new TypeError('Failed to fetch');
		}

		if (mode === '503') {
			return new Response('{}', { status: 503 });
		}

		if (mode === 'hang') {
			const status = await new Promise<number>((resolve) => {
				pending.push(resolve);
			});
			return new Response('{}', { status });
		}

		return Response.json({ ok: true });
	};

	return {
		fetch: fetch as typeof globalThis.fetch,
		set: (next: typeof mode) => {
			mode = next;
		},
		release: (status = 200) => {
			for (const resolve of pending.splice(0)) {
				resolve(status);
			}
		},
		pending,
		get sent() {
			return sent;
		},
	};
};

const outcome = async (promise: Promise<Response>): Promise<string> => promise.then((response) => String(response.status), (error: { code?: string; name: string }) => error.code ?? error.name);
const unique = (what: string): string => `h40-${what}-${Math.random().toString(36).slice(2)}`;

describe('recovery hunt 40: variants that held (Chromium)', () => {
	it('failures in a row across a tab, its extend() child and another tab open the breaker in all', async () => {
		const name = unique('extend');
		const store = indexedDbStore(name);
		const net = transport();
		net.set('503');
		const options = { name, store: () => store, fetch: net.fetch, retry: 0, staleCache: false, breaker: { consecutiveFailures: 3, openMs: 30_000 } } as const;
		const a = createClient(options);
		const child = a.extend({ headers: { 'x-child': '1' } });
		const b = createClient(options);
		try {
			await outcome(a.get(`${origin}/x`));
			await until(() => b.breaker(origin).consecutiveFailures === 1);
			await outcome(child.get(`${origin}/x`));
			await until(() => b.breaker(origin).consecutiveFailures === 2);
			await outcome(b.get(`${origin}/x`));
			await until(() => a.breaker(origin).state === 'open');
			expect([a.breaker(origin).state, child.breaker(origin).state, b.breaker(origin).state]).toEqual(['open', 'open', 'open']);
		} finally {
			a.close();
			b.close();
		}
	});

	it("after clear() in one tab, the other tab's failures in a row start over", async () => {
		const name = unique('clear');
		const store = indexedDbStore(name);
		const net = transport();
		net.set('503');
		const options = { name, store: () => store, fetch: net.fetch, retry: 0, staleCache: false, breaker: { consecutiveFailures: 3, openMs: 30_000 } } as const;
		const a = createClient(options);
		const b = createClient(options);
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
			a.close();
			b.close();
		}
	});

	for (const probe of [undefined, '/health']) {
		it(`waitForHealthy in tab B resolves at once when ${probe ? 'the /health probe (either tab\'s) succeeds' : 'tab A\'s probe succeeds (a call is the probe)'}; B's events once each`, async () => {
			const name = unique('wait');
			const store = indexedDbStore(name);
			const netA = transport();
			const netB = transport();
			netA.set('503');
			// With a `/health` probe, whichever tab's timer comes first sends it: B's waiting (`waitForHealthy`) makes it a
			// candidate, and a B that hung would hold the probe (the test timed out at 10 s in a clean-clone run). B's
			// network answers then, as A's does once up; with a call as the probe, only A calls, and B's hangs (never needed).
			netB.set(probe ? 'up' : 'hang');
			const options = { name, store: () => store, retry: 0, staleCache: false, breaker: { consecutiveFailures: 2, openMs: 300, ...(probe && { probe }) } } as const;
			const a = createClient({ ...options, fetch: netA.fetch });
			const b = createClient({ ...options, fetch: netB.fetch });
			const events: string[] = [];
			b.on('*', (event) => {
				if (event.type.startsWith('breaker:') || event.type === 'reachability' || event.type === 'scope:back') {
					events.push(event.type + (event.type === 'reachability' ? `:${(event as { state: string }).state}` : ''));
				}
			});
			try {
				await outcome(a.get(`${origin}/x`));
				await outcome(a.get(`${origin}/x`));
				await until(() => b.breaker(origin).state === 'open');
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
				a.close();
				b.close();
				netB.release();
			}
		});
	}

	for (const settles of [503, 200]) {
		it(`a probe in flight at clear() that then answers ${settles} opens or closes nothing in either tab`, async () => {
			const name = unique('late');
			const store = indexedDbStore(name);
			const net = transport();
			const other = transport();
			other.set('hang');
			net.set('503');
			const options = { name, store: () => store, retry: 0, staleCache: false, breaker: { consecutiveFailures: 2, openMs: 200 } } as const;
			const a = createClient({ ...options, fetch: net.fetch });
			const b = createClient({ ...options, fetch: other.fetch });
			const eventsA: string[] = [];
			const eventsB: string[] = [];
			a.on('*', (e) => e.type.startsWith('breaker:') && eventsA.push(e.type));
			b.on('*', (e) => e.type.startsWith('breaker:') && eventsB.push(e.type));
			try {
				await outcome(a.get(`${origin}/x`));
				await outcome(a.get(`${origin}/x`));
				await until(() => b.breaker(origin).state === 'open');
				net.set('hang');
				let late: Promise<string> | undefined;
				await until(async () => {
					const call = a.get(`${origin}/x`);
					const first = await Promise.race([outcome(call), new Promise<string>((resolve) => setTimeout(() => resolve('pending'), 50))]);
					if (first === 'pending') {
						late = outcome(call);
					}
					return first === 'pending';
				});
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
				a.close();
				b.close();
				other.release();
			}
		});
	}

	it('a tab closed while its probe hangs gives the probe back: another tab probes and closes the breaker', async () => {
		const name = unique('gone');
		const store = indexedDbStore(name);
		const netA = transport();
		const netB = transport();
		netA.set('down');
		const options = { name, store: () => store, retry: 0, staleCache: false, breaker: { consecutiveFailures: 2, openMs: 200, probe: '/health', probeTimeoutMs: 60_000 } } as const;
		const a = createClient({ ...options, fetch: netA.fetch });
		const b = createClient({ ...options, fetch: netB.fetch });
		try {
			await outcome(a.get(`${origin}/x`));
			await outcome(a.get(`${origin}/x`));
			await until(() => b.breaker(origin).state === 'open');
			netA.set('hang');
			netB.set('hang');
			void a.waitForHealthy(origin, { timeoutMs: 20_000 }).catch(() => undefined);
			await until(() => netA.pending.length === 1);
			netB.set('up');
			a.close();
			await b.waitForHealthy(origin, { timeoutMs: 10_000 });
			expect(b.breaker(origin).state).toBe('closed');
		} finally {
			a.close();
			b.close();
			netA.release();
		}
	});
	it('the failure ratio is the tabs\': successes in one tab and failures in another open both at the ratio', async () => {
		const name = unique('ratio');
		const store = indexedDbStore(name);
		const netA = transport();
		const netB = transport();
		netA.set('up');
		netB.set('503');
		const options = { name, store: () => store, retry: 0, staleCache: false, breaker: { consecutiveFailures: 50, failureRatio: 0.5, minimumThroughput: 4, openMs: 30_000 } } as const;
		const a = createClient({ ...options, fetch: netA.fetch });
		const b = createClient({ ...options, fetch: netB.fetch });
		try {
			await outcome(a.get(`${origin}/x`));
			await new Promise((resolve) => setTimeout(resolve, 50));
			await outcome(b.get(`${origin}/x`));
			await new Promise((resolve) => setTimeout(resolve, 50));
			await outcome(a.get(`${origin}/x`));
			await new Promise((resolve) => setTimeout(resolve, 50));
			expect(b.breaker(origin).state).toBe('closed');
			await outcome(b.get(`${origin}/x`));
			await until(() => a.breaker(origin).state === 'open');
			expect(b.breaker(origin).state).toBe('open');
		} finally {
			a.close();
			b.close();
		}
	});

	it('a tab that starts while another tab holds the breaker open on network failures probes at once; its failed early probe does not double the period', async () => {
		const name = unique('join');
		const store = indexedDbStore(name);
		const net = transport();
		const options = { name, store: () => store, fetch: net.fetch, retry: 0, staleCache: false, breaker: { consecutiveFailures: 2, openMs: 30_000 } } as const;
		const a = createClient(options);
		let b: typeof a | undefined;
		try {
			await outcome(a.get(`${origin}/x`));
			await outcome(a.get(`${origin}/x`));
			await until(async () => (await store.get<{ state?: string }>(origin))?.state === 'open');
			const before = net.sent;
			b = createClient(options);
			expect(await outcome(b.get(`${origin}/x`))).not.toBe('CIRCUIT_OPEN');
			expect(net.sent).toBe(before + 1);
			const snap = b.breaker(origin);
			expect(snap.state).toBe('open');
			expect(snap.reopensAt! - snap.openedAt!).toBeLessThanOrEqual(36_000);
			await until(() => a.breaker(origin).openedAt === snap.openedAt);
			expect(a.breaker(origin).reopensAt).toBe(snap.reopensAt);
		} finally {
			a.close();
			b?.close();
		}
	});

	it("TanStack's onlineManager following tab B's scope is told each change another tab's attempts make, once, in order", async () => {
		const name = unique('follow');
		const store = indexedDbStore(name);
		const net = transport();
		const quiet = transport();
		const options = { name, store: () => store, retry: 0, staleCache: false, breaker: { consecutiveFailures: 10, openMs: 30_000 } } as const;
		const a = createClient({ ...options, fetch: net.fetch });
		const b = createClient({ ...options, fetch: quiet.fetch });
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
			a.close();
			b.close();
		}
	});
	for (const settles of [200, 503]) {
		it(`a tab that starts while another tab's probe hangs is refused, then sees that probe's ${settles} at once`, async () => {
			const name = unique('mid');
			const store = indexedDbStore(name);
			const netA = transport();
			const netB = transport();
			netA.set('down');
			netB.set('up');
			const options = { name, store: () => store, retry: 0, staleCache: false, breaker: { consecutiveFailures: 2, openMs: 300 } } as const;
			const a = createClient({ ...options, fetch: netA.fetch });
			let b: typeof a | undefined;
			try {
				await outcome(a.get(`${origin}/x`));
				await outcome(a.get(`${origin}/x`));
				await until(async () => (await store.get<{ state?: string }>(origin))?.state === 'open');
				netA.set('hang');
				let late: Promise<string> | undefined;
				await until(async () => {
					const call = a.get(`${origin}/x`);
					const first = await Promise.race([outcome(call), new Promise<string>((resolve) => setTimeout(() => resolve('pending'), 50))]);
					if (first === 'pending') {
						late = outcome(call);
					}
					return first === 'pending';
				});
				b = createClient({ ...options, fetch: netB.fetch });
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
					await until(() => b!.breaker(origin).openedAt === a.breaker(origin).openedAt && a.breaker(origin).state === 'open');
					expect(b.breaker(origin).state).toBe('open');
				}
			} finally {
				a.close();
				b?.close();
				netA.release();
			}
		});
	}

	it('a tab closed while its own call is the hanging probe gives the probe back: another tab\'s call is the next probe', async () => {
		const name = unique('gone2');
		const store = indexedDbStore(name);
		const netA = transport();
		const netB = transport();
		netA.set('down');
		netB.set('up');
		const options = { name, store: () => store, retry: 0, staleCache: false, breaker: { consecutiveFailures: 2, openMs: 300, probeTimeoutMs: 60_000 }, timeout: false, totalTimeout: false } as const;
		const a = createClient({ ...options, fetch: netA.fetch });
		const b = createClient({ ...options, fetch: netB.fetch });
		try {
			await outcome(a.get(`${origin}/x`));
			await outcome(a.get(`${origin}/x`));
			await until(() => b.breaker(origin).state === 'open');
			netA.set('hang');
			await until(async () => {
				const call = a.get(`${origin}/x`);
				const first = await Promise.race([outcome(call), new Promise<string>((resolve) => setTimeout(() => resolve('pending'), 50))]);
				return first === 'pending';
			});
			a.close();
			await until(async () => (await outcome(b.get(`${origin}/x`))) === '200', 10_000, 'B\'s call goes out as the probe');
			expect(b.breaker(origin).state).toBe('closed');
		} finally {
			a.close();
			b.close();
			netA.release();
		}
	});
	for (const [what, settles] of [['clear()', 503], ['clear()', 200], ['isolate()', 200], ['reset()', 503]] as const) {
		it(`tab B's probe in flight at tab A's ${what} that then answers ${settles} changes nothing A's ${what} made`, async () => {
			const name = unique('bprobe');
			const store = indexedDbStore(name);
			const netA = transport();
			const netB = transport();
			netA.set('down');
			const options = { name, store: () => store, retry: 0, staleCache: false, breaker: { consecutiveFailures: 2, openMs: 200, probe: '/health' } } as const;
			const a = createClient({ ...options, fetch: netA.fetch });
			const b = createClient({ ...options, fetch: netB.fetch });
			const events: string[] = [];
			a.on('*', (e) => e.type.startsWith('breaker:') && events.push(`a ${e.type}`));
			b.on('*', (e) => e.type.startsWith('breaker:') && events.push(`b ${e.type}`));
			try {
				await outcome(a.get(`${origin}/x`));
				await outcome(a.get(`${origin}/x`));
				await until(() => b.breaker(origin).state === 'open');
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
				a.close();
				b.close();
				netB.release();
			}
		});
	}
	for (const trigger of ['online', 'visibilitychange'] as const) {
		it(`an early probe on \`${trigger}\` that succeeds: each tab tells half-open and closed once each, in order`, async () => {
			const name = unique('early');
			const store = indexedDbStore(name);
			const netA = transport();
			const netB = transport();
			netA.set('down');
			netB.set('up');
			const options = { name, store: () => store, retry: 0, staleCache: false, breaker: { consecutiveFailures: 2, openMs: 60_000 } } as const;
			const a = createClient({ ...options, fetch: netA.fetch });
			const b = createClient({ ...options, fetch: netB.fetch });
			const events: string[] = [];
			a.on('*', (e) => e.type.startsWith('breaker:') && events.push(`a ${e.type}`));
			b.on('*', (e) => e.type.startsWith('breaker:') && events.push(`b ${e.type}`));
			try {
				await outcome(a.get(`${origin}/x`));
				await outcome(a.get(`${origin}/x`));
				await until(() => b.breaker(origin).state === 'open');
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
				a.close();
				b.close();
			}
		});
	}
	for (const prober of ['a', 'b'] as const) {
		it(`an early probe on \`online\` that fails (made by tab ${prober}): both tabs re-open for the nominal period, not doubled, each telling it once`, async () => {
			const name = unique('early-fail');
			const store = indexedDbStore(name);
			const net = transport();
			net.set('down');
			const options = { name, store: () => store, fetch: net.fetch, retry: 0, staleCache: false, breaker: { consecutiveFailures: 2, openMs: 60_000 } } as const;
			const a = createClient(options);
			const b = createClient(options);
			const events: string[] = [];
			a.on('*', (e) => e.type.startsWith('breaker:') && events.push(`a ${e.type}`));
			b.on('*', (e) => e.type.startsWith('breaker:') && events.push(`b ${e.type}`));
			try {
				await outcome(a.get(`${origin}/x`));
				await outcome(a.get(`${origin}/x`));
				await until(() => b.breaker(origin).state === 'open');
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
				a.close();
				b.close();
			}
		});
	}
	it('failures in a row across a reload and another tab open the breaker: one before the reload, one after, one in the other tab', async () => {
		const name = unique('reload');
		const store = indexedDbStore(name);
		const net = transport();
		net.set('503');
		const options = { name, store: () => store, fetch: net.fetch, retry: 0, staleCache: false, breaker: { consecutiveFailures: 3, openMs: 30_000 } } as const;
		const a = createClient(options);
		let reloaded: typeof a | undefined;
		let b: typeof a | undefined;
		try {
			await outcome(a.get(`${origin}/x`));
			await until(async () => (await store.get<{ failures?: number }>(origin))?.failures === 1);
			a.close();
			reloaded = createClient(options);
			await outcome(reloaded.get(`${origin}/x`));
			expect(reloaded.breaker(origin).consecutiveFailures).toBe(2);
			b = createClient(options);
			await outcome(b.get(`${origin}/x`));
			await until(() => reloaded!.breaker(origin).state === 'open');
			expect(b.breaker(origin).state).toBe('open');
		} finally {
			a.close();
			reloaded?.close();
			b?.close();
		}
	});

	it('waitForHealthy in tab B rejects with TIMEOUT while tab A\'s probes keep failing', async () => {
		const name = unique('timeout');
		const store = indexedDbStore(name);
		const net = transport();
		net.set('503');
		const options = { name, store: () => store, fetch: net.fetch, retry: 0, staleCache: false, breaker: { consecutiveFailures: 2, openMs: 100, probe: '/health' } } as const;
		const a = createClient(options);
		const b = createClient(options);
		try {
			await outcome(a.get(`${origin}/x`));
			await outcome(a.get(`${origin}/x`));
			await until(() => b.breaker(origin).state === 'open');
			const error = await b.waitForHealthy(origin, { timeoutMs: 600 }).then(() => undefined, (thrown: { code?: string; transient?: boolean }) => thrown);
			expect([error?.code, error?.transient]).toEqual(['TIMEOUT', true]);
			expect(b.breaker(origin).state).not.toBe('closed');
		} finally {
			a.close();
			b.close();
		}
	});
});
