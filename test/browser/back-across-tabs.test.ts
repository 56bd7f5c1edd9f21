/**
 * `scope:back` across tabs, in real Chromium (IndexedDB, BroadcastChannel): two clients of one name in the page are two
 * tabs. A tab whose queries gave up on network failures (its breaker still closed) is told when another tab's attempt
 * gets a good answer: its `scope:back` fires once, and `refetchWhenBack` refetches them at once, not at its own next
 * attempt. A tab that had no failures is not told, a closed client is not, a malformed message changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { onlineManager, QueryClient, QueryObserver } from '@tanstack/query-core';
import { createClient, isStale, type BreakerOptions } from '../../src/entries/index.js';
import { backsOf, outcome, switchedTransport, twoTabs, upFirst } from '../helpers/switched-tabs.js';
import { followReachability, queryOptionsFor, refetchWhenBack } from '../../src/entries/tanstack-query.js';
import { until } from '../helpers/wait-for.js';

const origin = 'https://api.test';

/** A transport the test switches between down (a network failure), 503 and up (200); counts what it was sent. */
const transport = () => switchedTransport(upFirst);
const unique = (what: string): string => `back-${what}-${Math.random().toString(36).slice(2)}`;

/** Two tabs of one name (breaker on, closed under 5 failures in a row; no stale cache unless `staleCache`), each with its own transport. */
const tabs = (what: string, breaker: BreakerOptions | false = { consecutiveFailures: 5 }, staleCache = false) => ({ ...twoTabs(what, breaker, { staleCache, transport: upFirst }), backs: backsOf });

describe('scope:back across tabs', () => {
	it("tab B's query that gave up on network failures is refetched at once when tab A gets a good answer; B's scope:back once", async () => {
		const { a, b, netB, backs } = tabs('tanstack');
		const queryClient = new QueryClient();
		const stop = refetchWhenBack(b, queryClient);
		const backB = backs(b);
		const backA = backs(a);
		const observer = new QueryObserver(queryClient, { ...queryOptionsFor(b, `${origin}/todos`), queryKey: ['todos'], retry: false });
		const off = observer.subscribe(() => undefined);
		try {
			netB.set('down');
			await until(() => observer.getCurrentResult().status === 'error');
			expect(await outcome(b.get(`${origin}/other`))).toBe('NetworkError');
			expect([b.reachability(origin), b.breaker(origin).state, netB.sent]).toEqual(['unreachable', 'closed', 2]);
			// The network is back; B does not know it (no attempt of its own). Tab A's attempt gets an answer.
			netB.set('up');
			expect(await outcome(a.get(`${origin}/x`))).toBe('200');
			// Before: B sent nothing more (its query waited for an attempt of its own), B's scope:back [].
			await until(() => observer.getCurrentResult().status === 'success', 5_000, 'B refetched');
			expect(netB.sent).toBe(3);
			expect(backB).toEqual([`${origin} 200`]);
			// A had no failures: its first answer is no `scope:back` there.
			expect(backA).toEqual([]);
			// More good answers in A: B is told once per back transition, not per answer.
			expect(await outcome(a.get(`${origin}/y`))).toBe('200');
			expect(await outcome(b.get(`${origin}/z`))).toBe('200');
			expect(backB).toEqual([`${origin} 200`]);
		} finally {
			off();
			stop();
			a.close();
			b.close();
		}
	});

	it('told: the extend() child of B and followReachability in B at once; not a tab without failures of its own (also after A\'s 503), not a closed client', async () => {
		const { options, a, b, netA, netB, backs } = tabs('neighbours', { consecutiveFailures: 10 });
		const netC = transport();
		const c = createClient({ ...options, fetch: netC.fetch });
		const netD = transport();
		const d = createClient({ ...options, fetch: netD.fetch });
		const child = b.extend({ headers: { 'x-child': '1' } });
		const [backA, backB, backC, backD, backChild] = [a, b, c, d, child].map(backs);
		const offline: boolean[] = [];
		const unfollow = followReachability(b, onlineManager, origin);
		const unsubscribe = onlineManager.subscribe((online) => offline.push(!online));
		try {
			// C answered before (a first answer is no `scope:back`); B and D fail twice; D is closed.
			expect(await outcome(c.get(`${origin}/c`))).toBe('200');
			netB.set('down');
			netD.set('down');
			for (const client of [b, child, d, d]) {
				expect(await outcome(client.get(`${origin}/x`))).toBe('NetworkError');
			}

			expect([b.reachability(origin), onlineManager.isOnline()]).toEqual(['unreachable', false]);
			d.close();
			// A's 503 (transient) then 200: A's own `scope:back`; C heard both and had no failure of its own.
			netA.set('503');
			expect(await outcome(a.get(`${origin}/x`))).toBe('HTTPError');
			netA.set('up');
			expect(await outcome(a.get(`${origin}/x`))).toBe('200');
			await until(() => backB.length > 0 && onlineManager.isOnline(), 5_000, "B's scope:back");
			expect([b.reachability(origin), child.reachability(origin)]).toEqual(['reachable', 'reachable']);
			expect(offline.at(-1)).toBe(false);
			// One more good answer in A and one in C: every tab has heard them (C's answer told in A) before the counts below.
			expect(await outcome(a.get(`${origin}/y`))).toBe('200');
			expect(await outcome(c.get(`${origin}/y`))).toBe('200');
			await until(() => a.breaker(origin).consecutiveFailures === 0 && b.breaker(origin).consecutiveFailures === 0);
			expect({ backA, backB, backChild, backC, backD }).toEqual({ backA: [`${origin} 200`], backB: [`${origin} 200`], backChild: [`${origin} 200`], backC: [], backD: [] });
			expect(netB.sent).toBe(2);
		} finally {
			unsubscribe();
			unfollow();
			for (const client of [a, b, c, d]) {
				client.close();
			}
		}
	});

	it("a malformed status in another tab's outcome changes nothing; a stale copy that answered in B is told back too", async () => {
		// The stale cache on (the preset's default).
		const { name, a, b, netB } = tabs('malformed', { consecutiveFailures: 5 }, true);
		const backB: number[] = [];
		b.on('scope:back', (event) => backB.push(event.status));
		const spy = new BroadcastChannel(`steadfetch:${name}:breaker`);
		const heard: Array<Record<string, unknown>> = [];
		spy.onmessage = (event: MessageEvent) => heard.push(event.data as Record<string, unknown>);
		try {
			// B's copy answers its read while its network is down: its next good answer is `scope:back` (`late`).
			let stored = 0;
			b.on('cache:stored', () => stored++);
			expect(await outcome(b.get(`${origin}/todos`))).toBe('200');
			await until(() => stored === 1);
			netB.set('down');
			expect(isStale(await b.get(`${origin}/todos`))).toBe(true);
			expect(await outcome(a.get(`${origin}/a`))).toBe('200');
			await until(() => heard.some((message) => message.outcome === 0 && message.status === 200) && backB.length === 1, 5_000, "B's scope:back");
			// A tab's well-formed outcome, its status malformed: no `scope:back`.
			const good = heard.find((message) => message.outcome === 0 && message.status === 200)!;
			const backBefore = [...backB];
			expect(backBefore).toEqual([200]);
			// A new episode in B (a copy answers again), then messages whose status is no HTTP status.
			expect(isStale(await b.get(`${origin}/todos`))).toBe(true);
			for (const status of ['200', 1, 199, -200, 200.5, 1e9, null, [200]]) {
				spy.postMessage({ ...good, status });
			}

			spy.postMessage({ status: 200 });
			spy.postMessage({ outcome: 0, status: 200, scope: origin });
			// Then a well-formed one (what a tab's own message carries): B told, so the malformed ones were heard before it.
			spy.postMessage({ ...good, status: 204 });
			await until(() => backB.length === 2, 5_000, "B's scope:back");
			expect(backB).toEqual([200, 204]);
		} finally {
			spy.close();
			a.close();
			b.close();
		}
	});

	it("with the preset's defaults (its store, breaker and stale cache) B is told; with breaker: false in B it is not (documented: no channel)", async () => {
		const name = unique('defaults');
		const netA = transport();
		const netB = transport();
		const netC = transport();
		const a = createClient({ name, fetch: netA.fetch, retry: 0 });
		const b = createClient({ name, fetch: netB.fetch, retry: 0 });
		const c = createClient({ name, fetch: netC.fetch, retry: 0, breaker: false });
		const backB: number[] = [];
		const backC: number[] = [];
		b.on('scope:back', (event) => backB.push(event.status));
		c.on('scope:back', (event) => backC.push(event.status));
		try {
			netB.set('down');
			netC.set('down');
			expect([await outcome(b.get(`${origin}/x`)), await outcome(c.get(`${origin}/x`))]).toEqual(['NetworkError', 'NetworkError']);
			expect(await outcome(a.get(`${origin}/x`))).toBe('200');
			await until(() => backB.length === 1, 5_000, "B's scope:back");
			expect([backB, backC]).toEqual([[200], []]);
			// C, without a breaker, has no channel to hear it on: told at its own next good answer.
			netC.set('up');
			expect(await outcome(c.get(`${origin}/x`))).toBe('200');
			expect(backC).toEqual([200]);
		} finally {
			a.close();
			b.close();
			c.close();
		}
	});
});

