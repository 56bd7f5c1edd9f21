/**
 * Defect hunt, forty-first round (recovery you can see), in real Chromium (IndexedDB, Web Locks, BroadcastChannel): two
 * clients of one name in the page are two tabs. A breaker probe answered in another tab is `scope:back` in a tab whose
 * own attempts failed or whose stored copy answered (API.md "Events": an attempt to the scope got an answer `classify()`
 * does not call transient after failures), once, with the probe's status; a `reset()` by hand is no answer and fires none.
 */
import { describe, expect, it } from 'vitest';
import { isStale } from '../../src/entries/index.js';
import { backsOf, copyThenOpenedByA, outcome, twoTabs, upFirst } from '../helpers/switched-tabs.js';
import { until } from '../helpers/wait-for.js';

const origin = 'https://api.test';

/** Two tabs of one name, each with its own transport (up at first), and what each tells of `scope:back` (`scope status`). */
const tabs = (what: string, breaker: object = {}, staleCache = false) => {
	const tab = twoTabs(what, { consecutiveFailures: 2, openMs: 300, ...breaker }, { staleCache, transport: upFirst });
	return { ...tab, backA: backsOf(tab.a), backB: backsOf(tab.b), backs: backsOf };
};

/** Tab B's own attempts fail (a network failure) twice: the breaker opens in both tabs, on attempts without an answer. */
const failInB = async ({ a, b, netB }: ReturnType<typeof tabs>): Promise<void> => {
	netB.set('down');
	expect([await outcome(b.get(`${origin}/x`)), await outcome(b.get(`${origin}/x`))]).toEqual(['NetworkError', 'NetworkError']);
	await until(() => a.breaker(origin).state === 'open' && b.breaker(origin).state === 'open', 10_000, 'open in both tabs');
};

describe('recovery hunt 41: a probe answered in another tab (Chromium)', () => {
	it("tab A's call as the probe closes the breaker: B, whose own attempts failed, tells scope:back once with its status", async () => {
		const tab = tabs('call');
		const { a, b, backA, backB } = tab;
		try {
			await failInB(tab);
			// A's network answers: A's next call past the open period is the probe, and closes the breaker in both tabs.
			await until(async () => (await outcome(a.get(`${origin}/x`))) === '200', 10_000, "A's probe");
			await until(() => b.breaker(origin).state === 'closed', 10_000, 'closed in B');
			// Told in the same turn as B's `breaker:closed` (before: B's scope:back [], until B's own next good answer).
			expect(backB).toEqual([`${origin} 200`]);
			expect(b.reachability(origin)).toBe('reachable');
			// Once per episode: A's next answers (told to B as outcomes) and B's own first answer add none.
			expect(await outcome(a.get(`${origin}/y`))).toBe('200');
			tab.netB.set('up');
			expect(await outcome(b.get(`${origin}/y`))).toBe('200');
			expect(backB).toEqual([`${origin} 200`]);
			// A had no failure of its own: its probe's answer is no `scope:back` there.
			expect(backA).toEqual([]);
		} finally {
			a.close();
			b.close();
		}
	});

	it("tab A's `breaker.probe` (`/health`, 204) closes it: B tells scope:back with that probe's 204; its extend() child too, once each", async () => {
		const tab = tabs('health', { probe: '/health' });
		const { a, b, netA, backA, backB, backs } = tab;
		const child = b.extend({ headers: { 'x-child': '1' } });
		const backChild = backs(child);
		try {
			await failInB(tab);
			netA.set('up', 204);
			await a.waitForHealthy(origin, { timeoutMs: 10_000 });
			await until(() => b.breaker(origin).state === 'closed' && child.breaker(origin).state === 'closed', 10_000, 'closed in B');
			expect({ backA, backB, backChild }).toEqual({ backA: [], backB: [`${origin} 204`], backChild: [`${origin} 204`] });
		} finally {
			a.close();
			b.close();
		}
	});

	it("B's stored copy answered while the breaker was open (A's failures): A's probe is scope:back in B", async () => {
		const tab = tabs('copy', {}, true);
		const { a, b, netA, backB } = tab;
		try {
			// B keeps a copy, then A's attempts fail: the breaker opens in both tabs; B's read is answered by its copy (`circuit-open`).
			await copyThenOpenedByA(tab, origin);
			expect(isStale(await b.get(`${origin}/todos`))).toBe(true);
			netA.set('up');
			await until(async () => (await outcome(a.get(`${origin}/x`))) === '200', 10_000, "A's probe");
			await until(() => b.breaker(origin).state === 'closed', 10_000, 'closed in B');
			expect(backB).toEqual([`${origin} 200`]);
		} finally {
			a.close();
			b.close();
		}
	});

	it("a reset() in tab A closes the breaker in B without scope:back (no answer); B's own next good answer is it", async () => {
		const tab = tabs('reset', { openMs: 60_000 });
		const { a, b, netB, backB } = tab;
		try {
			await failInB(tab);
			await a.breaker.reset(origin);
			await until(() => b.breaker(origin).state === 'closed', 10_000, 'closed in B');
			expect(backB).toEqual([]);
			netB.set('up');
			expect(await outcome(b.get(`${origin}/x`))).toBe('200');
			expect(backB).toEqual([`${origin} 200`]);
		} finally {
			a.close();
			b.close();
		}
	});

	it("a tab without failures of its own (the breaker opened by A's) tells no scope:back at A's probe; a probe answered 503 is none either", async () => {
		const tab = tabs('none');
		const { a, b, netA, netB, backB } = tab;
		const name2 = tabs('503');
		try {
			netA.set('down');
			await outcome(a.get(`${origin}/x`));
			await outcome(a.get(`${origin}/x`));
			await until(() => b.breaker(origin).state === 'open', 10_000, 'open in B');
			netA.set('up');
			await until(async () => (await outcome(a.get(`${origin}/x`))) === '200', 10_000, "A's probe");
			await until(() => b.breaker(origin).state === 'closed', 10_000, 'closed in B');
			expect(backB).toEqual([]);
			// B's own failures, then A's probe answered 503: re-opened on an HTTP answer, reachable in B, no scope:back.
			await failInB(name2);
			const opened = name2.b.breaker(origin).openedAt;
			name2.netA.set('503');
			await until(async () => (await outcome(name2.a.get(`${origin}/x`))) === 'HTTPError', 10_000, "A's probe");
			await until(() => name2.b.breaker(origin).openedAt !== opened, 10_000, 're-opened in B');
			expect([name2.b.breaker(origin).state, name2.b.reachability(origin), name2.backB]).toEqual(['open', 'reachable', []]);
			netB.set('up');
		} finally {
			for (const client of [a, b, name2.a, name2.b]) {
				client.close();
			}
		}
	});
});
