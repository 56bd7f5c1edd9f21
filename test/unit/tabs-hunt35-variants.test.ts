/**
 * Defect hunt, thirty-fifth round (area: failure counts across tabs). API.md "Counts that cross tabs and reloads": a
 * breaker's failure counts (failures in a row, the ratio window) are shared by the tabs of one name. Tabs are clients of
 * one name over one store, told by BroadcastChannel (`sharedTabs`, as in recovery-hunt35-variants.test.ts).
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeOrigin, flush, origin, sharedTabs, t0, times, windowEachTest } from './breaker-kit.js';

/** Failures in a row never open it here: only the ratio, over at least 5 calls. */
const byRatio = { consecutiveFailures: 100, minimumThroughput: 5, failureRatio: 0.5, windowMs: 30_000 };

/** The breaker messages posted on the name's channel, as another tab hears them: outcomes (`o0`, `o1`) and others. */
const heard = (channel: BroadcastChannel): string[] => {
	const posted: string[] = [];
	channel.onmessage = ({ data }: MessageEvent) => {
		const { outcome, window, state } = data as { outcome?: number; window?: { calls: number; failures: number }; state?: string };
		posted.push(outcome === undefined ? `${state}${window ? ` ${window.failures}/${window.calls}` : ''}` : `o${outcome} ${window!.failures}/${window!.calls}`);
	};

	return posted;
};

describe('breaker across tabs: a tab opened after another tab\'s successes fails itself (the other tab\'s window holds more calls)', () => {
	const tabsOf = sharedTabs(windowEachTest(), 'h35-tabs-b');

	it('its own failures (5 of 15 calls across the tabs) open no tab, and its sixth call goes out', async () => {
		const { open, other } = tabsOf();
		const posted = heard(other());
		const a = open(byRatio);
		a.server.up();
		expect(await times(10, async () => a.call())).toEqual(Array(10).fill('200'));
		const b = open(byRatio); // opened now: it heard none of those 10 calls, and nothing is stored (no failure)
		b.server.answer(503);
		// One at a time, each heard by a before the next (a tab's message is faster than a call to the origin; here the
		// fake origin answers within microtasks, the channel a task later), what a tells back to the first lands before the second.
		for (let failures = 1; failures <= 5; failures++) {
			expect(await b.call()).toBe('HTTPError');
			await vi.waitFor(() => expect(a.api.breaker(origin)).toMatchObject({ consecutiveFailures: failures }));
			await flush(); // what a told back meanwhile lands
			await flush();
		}

		// Before: ['open', 'open', 'CIRCUIT_OPEN']: b counted 5 failures of its 5 calls, opened and told a.
		expect([a.api.breaker(origin).state, b.api.breaker(origin).state, await b.call()]).toEqual(['closed', 'closed', 'HTTPError']);
		// 6 outcomes; a answers once with its window (10 calls before b's first failure, 11 with it), and not again.
		await vi.waitFor(() => expect(posted.filter((message) => message.startsWith('o'))).toHaveLength(16));
		expect(posted.filter((message) => !message.startsWith('o'))).toEqual(['closed 1/11']);
	});

	it('tabs that heard each other\'s calls tell nothing back (one message per outcome)', async () => {
		const { open, other } = tabsOf();
		const posted = heard(other());
		const a = open(byRatio);
		const b = open(byRatio);
		a.server.up();
		b.server.up();
		for (const tab of [a, b, a, b, a, b]) {
			expect(await tab.call()).toBe('200');
			await flush();
			await flush();
		}

		await vi.waitFor(() => expect(posted).toHaveLength(6));
		expect(posted).toEqual(['o0 0/1', 'o0 0/2', 'o0 0/3', 'o0 0/4', 'o0 0/5', 'o0 0/6']);
	});

	it('a flood of outcomes with smaller windows (any script of the origin) is told back at most once a second per scope', async () => {
		const { clock, open, other } = tabsOf();
		const script = other();
		const posted = heard(other());
		const a = open(byRatio);
		a.server.up();
		expect(await times(10, async () => a.call())).toEqual(Array(10).fill('200'));
		const success = (at: number) => ({ v: 2, scope: origin, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: 0, window: { calls: 1, failures: 0, at }, outcome: 0 });
		for (let index = 0; index < 20; index++) {
			script.postMessage(success(clock.now()));
		}

		await vi.waitFor(() => expect(posted).toHaveLength(10 + 20 + 1));
		await flush();
		await flush();
		clock.advance(1000);
		script.postMessage(success(clock.now()));
		await vi.waitFor(() => expect(posted).toHaveLength(10 + 21 + 2));
		// a's window: its 10 calls and the 20 successes heard, then the 21st; each answer once, a second apart.
		expect(posted.filter((message) => !message.startsWith('o'))).toEqual(['closed 0/11', 'closed 0/31']);
	});
});


describe('breaker without tabs (Node, Deno, Workers): a client extend() made after its parent\'s successes fails itself', () => {
	it('its own failures (5 of 15 calls across the two) open neither, and its sixth call goes out', async () => {
		const clock = new ManualClock(t0);
		const server = new FakeOrigin();
		const parent = createClient({ clock, random: () => 0.5, name: 'h35-tabs-peers', store: () => memoryStore('h35-tabs-peers'), fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: byRatio });
		const call = async (api: typeof parent): Promise<string> => api.get(`${origin}/x`).then((response) => String(response.status), (error: { code?: string; name: string }) => error.code ?? error.name);
		try {
			expect(await times(10, async () => call(parent))).toEqual(Array(10).fill('200'));
			const later = parent.extend({});
			server.answer(503);
			const calls = await times(6, async () => call(later));
			// Before: [5 × 'HTTPError', 'CIRCUIT_OPEN'] and both open: the child counted its 5 failures over its 5 calls.
			expect([calls, parent.breaker(origin).state, later.breaker(origin).state]).toEqual([Array(6).fill('HTTPError'), 'closed', 'closed']);
			later.close();
		} finally {
			parent.close();
		}
	});
});
