/**
 * Defect hunt, twenty-seventh round (area: recovery across tabs). API.md "Reachability and recovery" (counts that cross
 * tabs), "Sensitive data" (what another tab posts is outside input, validated and bounded by the options), the
 * adaptive throttle's counts shared by the tabs of a name, and the Redis coordinator's factory. Node's BroadcastChannel
 * and Web Locks carry the tabs' messages and locks (`document` faked).
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient, } from '../../src/entries/index.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { coordinator } from '../../src/redis/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeOrigin, origin, t0, windowEachTest, sharedTabs } from './breaker-kit.js';

const clients = windowEachTest();
let names = 0;
const tabsOf = sharedTabs(clients, 'h27-tabs');

/** Post an open record of a marker scope after `posted` and wait until `api` took it: every message before it was handled. */
let markers = 0;
const heardAll = async (channel: BroadcastChannel, api: { breaker(scope: string): { state: string } }, at = t0): Promise<void> => {
	const marker = `https://marker-${markers++}.test`;
	channel.postMessage({ v: 2, scope: marker, state: 'open', openedAt: t0, reopensAt: t0 + 1_000, opens: 1, at });
	await vi.waitFor(() => expect(api.breaker(marker).state).not.toBe('closed'));
};

/** A success outcome as a tab's own reads on the channel: its closed state, no failures in a row, its window holding it. */
const successOf = (now: number) => ({ v: 2, scope: origin, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: 0, outcome: 0, window: { calls: 1, failures: 0, at: now } });

describe('breaker: success messages from another tab of the origin', () => {
	it('a success whose message lacks a tab\'s counts (none, failures in a row, a window with no call for it) ends nothing', async () => {
		const { open, other, clock } = tabsOf();
		const tab = open();
		tab.server.answer(503);
		expect(await tab.call()).toBe('HTTPError');
		const channel = other();
		const now = clock.now();
		const { window: _, ...bare } = successOf(now);
		for (const message of [bare, { ...bare, window: { calls: 0, failures: 0, at: now } }, { ...bare, window: { calls: 1, failures: 1, at: now } }, { ...bare, window: { calls: 'x', failures: 0, at: now } }, { ...successOf(now), failures: 3 }]) {
			channel.postMessage(message);
		}

		await heardAll(channel, tab.api);
		// Before: 0 (each of them ended the failures in a row as a tab's own success does).
		expect(tab.api.breaker(origin).consecutiveFailures).toBe(1);
		channel.postMessage(successOf(now)); // a tab's own: counted
		await heardAll(channel, tab.api);
		expect(tab.api.breaker(origin).consecutiveFailures).toBe(0);
	});
});

describe('breaker: questions from another tab ({ ask })', () => {
	it('a flood of asks for an open scope is answered at most once a second per scope by a tab', async () => {
		const { open, other, clock } = tabsOf();
		const tab = open();
		tab.server.answer(503);
		for (let index = 0; index < 5; index++) {
			expect(await tab.call()).toBe('HTTPError');
		}

		expect(tab.api.breaker(origin).state).toBe('open');
		const channel = other();
		const answers: unknown[] = [];
		await heardAll(channel, tab.api);
		channel.onmessage = (event: MessageEvent) => {
			if (Object(event.data).scope === origin) {
				answers.push(event.data);
			}
		};
		for (let index = 0; index < 100; index++) {
			channel.postMessage({ ask: origin });
		}

		await vi.waitFor(() => expect(answers.length).toBeGreaterThan(0));
		await heardAll(channel, tab.api);
		// Before: 100 (one answer per ask, in every tab: N tabs x asks).
		expect(answers).toHaveLength(1);
		expect(answers[0]).toMatchObject({ scope: origin, state: 'open' });
		clock.advance(1_000);
		channel.postMessage({ ask: origin });
		await vi.waitFor(() => expect(answers).toHaveLength(2)); // a second later: answered again
	});
});

describe('adaptiveThrottle: counts other tabs tell', () => {
	it('what the other tabs tell of a scope counts at most 100 000 attempts a second, however many messages', async () => {
		const clock = new ManualClock(t0);
		const name = `h27-throttle-${names++}`;
		const server = new FakeOrigin();
		const api = createClient({ clock, random: () => 0.999, name, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, adaptiveThrottle: adaptiveThrottle() });
		clients.push(api);
		expect((await api.get(`${origin}/x`)).status).toBe(200);
		expect((await api.get('https://marker.test/x')).status).toBe(200);
		const channel = new BroadcastChannel(`steadfetch:${name}:throttle`);
		clients.push(channel);
		for (let index = 0; index < 10; index++) {
			channel.postMessage({ scope: origin, requests: 100_000, accepts: 0 });
		}

		channel.postMessage({ scope: 'https://marker.test', requests: 1, accepts: 1 });
		const counts = () => api.stats()[origin]?.['throttle'] as { requests: number } | undefined;
		await vi.waitFor(() => expect(api.stats()['https://marker.test']?.['throttle']).toMatchObject({ requests: 2 }));
		// Before: 1 000 001 (ten messages of a second's worth each, every one added).
		expect(counts()?.requests).toBe(100_001);
		clock.advance(1_000);
		channel.postMessage({ scope: origin, requests: 5, accepts: 5 });
		await vi.waitFor(() => expect(counts()?.requests).toBe(100_006)); // the next second's are heard
	});
});

describe('steadfetch/redis coordinator(): its errors are those its TSDoc names', () => {
	it('options that are not an object are a TypeError; a bad evaluate, prefix or ttlMs a RangeError', () => {
		const evaluate = async () => null;
		for (const options of [5, 'x', []]) {
			expect(() => coordinator(evaluate, options as never)).toThrow(TypeError);
		}

		for (const [run, options] of [[5, {}], [evaluate, { prefix: 5 }], [evaluate, { ttlMs: 10 }]] as const) {
			expect(() => coordinator(run as never, options as never)).toThrow(RangeError);
		}
	});
});

describe('breaker: clear() in one tab while another tab\'s probe is in flight', () => {
	it.each([0, 200])('the probe fails %i ms after the clear (its message still in transit): the clear wins in both tabs, and stays', async (later) => {
		const { open, other, clock } = tabsOf();
		const [a, b] = [open(), open()];
		b.server.down();
		for (let index = 0; index < 5; index++) {
			expect(await b.call()).toBe('NetworkError');
		}

		await vi.waitFor(() => expect(a.api.breaker(origin).state).toBe('open'));
		clock.advance(40_000);
		b.server.hang();
		const probe = b.call();
		await vi.waitFor(() => expect(b.server.pending).toHaveLength(1));
		const clearing = a.api.clear();
		clock.advance(later);
		b.server.settleAll(new TypeError('Failed to fetch')); // fails before b hears of the clear
		expect(await probe).toBe('NetworkError');
		await clearing;
		const channel = other();
		await heardAll(channel, a.api, clock.now() + 1_000); // dated after a's clear
		await heardAll(channel, b.api, clock.now() + 1_000);
		// Before: ['open', 'open']: b's probe re-opened it in the ms of the clear, which that re-opening outran in every tab.
		expect([a.api.breaker(origin).state, b.api.breaker(origin).state]).toEqual(['closed', 'closed']);
		b.server.up();
		expect(await b.call()).toBe('200');
		// Failures b counts after it took the clear still count in a (they are no state from before it).
		b.server.answer(503);
		for (let index = 0; index < 4; index++) {
			expect(await b.call()).toBe('HTTPError');
		}

		await vi.waitFor(() => expect(a.api.breaker(origin).consecutiveFailures).toBe(4));
	});
});
