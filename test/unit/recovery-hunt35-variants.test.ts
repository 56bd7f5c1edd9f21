/**
 * Defect hunt, thirty-fifth round (area: recovery — the breaker shared across tabs, its probe, health). API.md "Counts
 * that cross tabs and reloads" (a breaker's failure counts, consecutive failures and the ratio window, are shared by the
 * tabs of one name; where there are no tabs, by a client and the clients its `extend()` made). Tabs are clients of one
 * name and store made apart (each its own `stores`, as in separate pages), told by BroadcastChannel, as in the
 * thirty-fourth hunt's file.
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeOrigin, flush, origin, sharedTabs, t0, times, windowEachTest } from './breaker-kit.js';

/** Failures in a row never open it here: only the ratio, over at least 5 calls. */
const byRatio = { consecutiveFailures: 100, minimumThroughput: 5, failureRatio: 0.5, windowMs: 30_000 };

describe('breaker across tabs: the failure ratio of a tab opened after another tab\'s successes (its window holds them)', () => {
	const tabsOf = sharedTabs(windowEachTest(), 'h35-tabs');

	it.each([
		// Before: ['open', 'open', 'CIRCUIT_OPEN']: b counted 5 failures of 6 calls (the ones it heard), opened and told a.
		['a tab that called the scope since: the other tab\'s failures heard (5 of 16 calls) open no tab', async (b: ReturnType<ReturnType<typeof tabsOf>['open']>) => expect(await b.call()).toBe('200')],
		// Before: ['closed', 'open', 'CIRCUIT_OPEN']: b alone open, on the 5 failures it heard.
		['a tab that has not called the scope yet: its first call goes out', async () => flush()],
	])('%s', async (_, meanwhile) => {
		const { open } = tabsOf();
		const a = open(byRatio);
		a.server.up();
		expect(await times(10, async () => a.call())).toEqual(Array(10).fill('200'));
		const b = open(byRatio); // a tab opened now: it heard none of those 10 calls
		b.server.up();
		await meanwhile(b);
		a.server.answer(503);
		expect(await times(5, async () => a.call())).toEqual(Array(5).fill('HTTPError'));
		await flush();
		await flush();
		expect([a.api.breaker(origin).state, b.api.breaker(origin).state, await b.call()]).toEqual(['closed', 'closed', '200']);
	});

	it('the tabs\' ratio reached (11 failures of 22 calls, told over both tabs) opens every tab, and not before', async () => {
		const { open } = tabsOf();
		const a = open(byRatio);
		a.server.up();
		expect(await times(10, async () => a.call())).toEqual(Array(10).fill('200'));
		const b = open(byRatio);
		b.server.up();
		expect(await b.call()).toBe('200');
		await flush();
		await flush();
		a.server.answer(503);
		b.server.answer(503);
		let failures = 0;
		const states: string[] = [];
		// Failures in a row, each tab in turn (each waits until the other tab heard them): 4 + 4 + 1 + 1 + 1 of 22 calls.
		for (const [tab, other, count] of [[a, b, 4], [b, a, 4], [a, b, 1], [b, a, 1], [a, b, 1]] as const) {
			expect(await times(count, async () => tab.call())).toEqual(Array(count).fill('HTTPError'));
			failures += count;
			await vi.waitFor(() => expect(other.api.breaker(origin)).toMatchObject({ consecutiveFailures: failures }));
			states.push(`${failures} ${a.api.breaker(origin).state} ${b.api.breaker(origin).state}`);
		}

		expect(states).toEqual(['4 closed closed', '8 closed closed', '9 closed closed', '10 closed closed', '11 open open']);
		expect([a.events, b.events]).toEqual([['breaker:open failure-ratio'], ['breaker:open shared']]);
	});
});

describe('breaker without tabs (Node, Deno, Workers): the failure ratio of a client extend() made after its parent\'s successes', () => {
	it('the parent\'s failures (4 of 15 calls) open neither: the parent\'s fifth failing call still goes out', async () => {
		const clock = new ManualClock(t0);
		const server = new FakeOrigin();
		const parent = createClient({ clock, random: () => 0.5, name: 'h35-peers', store: () => memoryStore('h35-peers'), fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: byRatio });
		const call = async (api: typeof parent): Promise<string> => api.get(`${origin}/x`).then((response) => String(response.status), (error: { code?: string; name: string }) => error.code ?? error.name);
		try {
			expect(await times(10, async () => call(parent))).toEqual(Array(10).fill('200'));
			const later = parent.extend({});
			expect(await call(later)).toBe('200');
			server.answer(503);
			const calls = await times(5, async () => call(parent));
			// Before: [… 4 × 'HTTPError', 'CIRCUIT_OPEN'] and both open: the child counted 4 failures of the 5 calls it saw.
			expect([calls, parent.breaker(origin).state, later.breaker(origin).state]).toEqual([Array(5).fill('HTTPError'), 'closed', 'closed']);
			later.close();
		} finally {
			parent.close();
		}
	});
});
