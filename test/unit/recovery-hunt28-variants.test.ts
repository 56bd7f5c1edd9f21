/**
 * Defect hunt, twenty-eighth round (area: the breaker shared across tabs). API.md "Reachability and recovery" (one probe
 * across the tabs of a name, its closing reaches every tab, counts that cross tabs), "Identity" (after `clear()`
 * resolves, nothing it removed ever comes back), "Sensitive data" (what another tab posts is outside input, validated
 * and bounded by the options). Node's BroadcastChannel and Web Locks carry the tabs' messages and locks (`document` faked).
 */
import { describe, expect, it, vi } from 'vitest';
import { memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { origin, t0, windowEachTest, sharedTabs } from './breaker-kit.js';

const clients = windowEachTest();
const tabsOf = sharedTabs(clients, 'h28-tabs');

/** Post an open record of a marker scope and wait until `api` took it: every message before it was handled. */
let markers = 0;
const heardAll = async (channel: BroadcastChannel, api: { breaker(scope: string): { state: string } }, at = t0): Promise<void> => {
	const marker = `https://marker-${markers++}.test`;
	channel.postMessage({ v: 2, scope: marker, state: 'open', openedAt: t0, reopensAt: t0 + 1_000, opens: 1, at });
	await vi.waitFor(() => expect(api.breaker(marker).state).not.toBe('closed'));
};

/** Hold the scope's store lock of `name` (as a write under way in another tab does) until the returned function is called. */
const holdStoreLock = async (name: string): Promise<() => void> => {
	let letGo!: () => void;
	void navigator.locks.request(`steadfetch:${name}:breaker-store:${origin}`, async () => new Promise<void>((resolve) => {
		letGo = resolve;
	}));
	await vi.waitFor(() => expect(letGo).toBeDefined());
	return letGo;
};

describe('breaker: clear() in one tab while another tab\'s probe is in flight, and a page started after it', () => {
	it.each(['an HTTP 503', 'a network failure'])('the probe fails (%s) as the clear goes: its re-opening, written once the clear\'s deletes are done, is not stored', async (how) => {
		const { open, other, clock, store, name } = tabsOf();
		const [a, b] = [open(), open()];
		const fail = () => (how === 'an HTTP 503' ? b.server.answer(503) : b.server.down());
		fail();
		for (let index = 0; index < 5; index++) {
			await b.call();
		}

		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'open' }));
		await vi.waitFor(() => expect(a.api.breaker(origin).state).toBe('open'));
		clock.advance(40_000);
		b.server.hang();
		const probe = b.call();
		await vi.waitFor(() => expect(b.server.pending).toHaveLength(1));
		// b's write of its re-opening waits for the scope's store lock (another write under way) until the clear is done.
		const letGo = await holdStoreLock(name);
		const clearing = a.api.clear();
		if (how === 'an HTTP 503') {
			b.server.settleAll(new Response('{}', { status: 503 }));
		} else {
			b.server.settleAll(new TypeError('Failed to fetch'));
		}

		await probe;
		await clearing;
		await heardAll(other(), b.api, clock.now() + 1_000);
		letGo();
		await navigator.locks.request(`steadfetch:${name}:breaker-store:${origin}`, async () => undefined); // b's write is done
		// Before: { state: 'open', at: t0 + 40 000 } was stored after the clear's delete.
		expect(await store.get(origin)).toBeUndefined();
		const c = open(); // a page started after the clear
		c.server.up();
		// Before: 'CIRCUIT_OPEN' (HTTP 503: the revived open period), or a probe of a reload (network failure).
		expect(await c.call()).toBe('200');
		expect(c.events).toEqual([]);
	});
});

describe('breaker: a tab whose read of the stored state fails within a second of another tab\'s { ask }', () => {
	it.each(['an HTTP 503', 'a network failure'])('gets the open state (opened on %s) all the same: it asks again once the answers\' second is over', async (how) => {
		const base = memoryStore('h28-ask');
		let failing = false;
		const store: KeyValueStore = { get: async (key) => (failing ? Promise.reject(new Error('IndexedDB blocked')) : base.get(key)), keys: async () => base.keys(), delete: async (key) => base.delete(key), clear: async () => base.clear(), set: async (key, value) => base.set(key, value) };
		const { open, other, clock } = tabsOf(store);
		const a = open();
		if (how === 'an HTTP 503') {
			a.server.answer(503);
		} else {
			a.server.down();
		}

		for (let index = 0; index < 5; index++) {
			await a.call();
		}

		expect(a.api.breaker(origin).state).toBe('open');
		const channel = other();
		const heard: unknown[] = [];
		channel.onmessage = (event: MessageEvent) => {
			heard.push(event.data);
		};
		channel.postMessage({ ask: origin }); // another tab's read failed: a answers it
		await vi.waitFor(() => expect(heard).toContainEqual(expect.objectContaining({ scope: origin, state: 'open' })));
		failing = true;
		const c = open(); // a page started a moment later, whose read fails too: a answered an ask less than a second ago
		c.server.up();
		const first = c.call();
		await vi.waitFor(() => expect(heard).toContainEqual({ ask: origin }));
		clock.advance(1_000);
		// Before: 'closed' for good (its ask went unanswered, and it asked no more).
		await vi.waitFor(() => expect(c.api.breaker(origin).state).not.toBe('closed'), { timeout: 3_000 });
		await first;
		if (how === 'an HTTP 503') {
			expect(await c.call()).toBe('CIRCUIT_OPEN');
		} else {
			// The answer to its second ask stands for its read as the first's would (a reload's): half-open at once.
			expect(c.events).toContain('breaker:half-open restored');
		}
	});
});

describe('breaker: an outcome message that lacks a tab\'s counts says nothing of reachability either', () => {
	it('a tab that found the scope unreachable stays so on a malformed { outcome } (a script\'s); a tab\'s own success makes it reachable', async () => {
		const { open, other, clock } = tabsOf();
		const tab = open();
		tab.server.down();
		expect([await tab.call(), await tab.call()]).toEqual(['NetworkError', 'NetworkError']);
		expect(tab.api.reachability(origin)).toBe('unreachable');
		const channel = other();
		const now = clock.now();
		const bare = { v: 2, scope: origin, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: 0 };
		for (const message of [{ ...bare, outcome: 0 }, { ...bare, outcome: 1 }, { ...bare, outcome: 0, window: { calls: 0, failures: 0, at: now } }, { ...bare, outcome: 1, failures: 'x', window: { calls: 1, failures: 1, at: now } }]) {
			channel.postMessage(message);
		}

		await heardAll(channel, tab.api);
		// Before: 'reachable' (any { outcome } not marked unanswered made the scope reachable, its counts unread).
		expect(tab.api.reachability(origin)).toBe('unreachable');
		channel.postMessage({ ...bare, outcome: 0, window: { calls: 1, failures: 0, at: now } }); // a tab's own success
		await vi.waitFor(() => expect(tab.api.reachability(origin)).toBe('reachable'));
	});
});

describe('breaker: an outcome told before another tab\'s clear(), heard after it (in transit)', () => {
	/** A failure outcome as a tab's own reads on the channel, counted at `now` in the closed state of `at`. */
	const failureOf = (now: number, at = 0) => ({ v: 2, scope: origin, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at, outcome: 1, failures: 1, window: { calls: 1, failures: 1, at: now } });

	it('counts in no tab that took the clear, as in the tab that cleared; one counted after the clear (a tab that missed it) still does', async () => {
		const { open, other, clock } = tabsOf();
		const [a, b] = [open(), open()];
		expect(await a.call()).toBe('200');
		await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('closed'));
		const before = clock.now();
		clock.advance(1);
		await a.api.clear();
		const channel = other();
		await heardAll(channel, b.api, clock.now() + 1_000); // b took the clear
		channel.postMessage(failureOf(before)); // a tab's failure, told before the clear
		await heardAll(channel, b.api, clock.now() + 1_000);
		// Before: [0, 1] (b counted a failure of before the clear in the state the clear left).
		expect([a.api.breaker(origin).consecutiveFailures, b.api.breaker(origin).consecutiveFailures]).toEqual([0, 0]);
		clock.advance(100);
		channel.postMessage(failureOf(clock.now())); // counted after the clear by a tab that never heard it (closed since 0)
		await vi.waitFor(() => expect([a.api.breaker(origin).consecutiveFailures, b.api.breaker(origin).consecutiveFailures]).toEqual([1, 1]));
	});
});

describe('breaker: a kill switch turned on in one tab as another tab clears (API.md: clear() never lifts an isolate, only reset() does)', () => {
	it('stays on in both tabs, in the store and at a page started later, though the clear\'s closed state is dated after it', async () => {
		const { open, other, store, clock } = tabsOf();
		const [a, b] = [open(), open()];
		for (const tab of [a, b]) {
			tab.server.answer(200);
			expect(await tab.call()).toBe('200');
		}

		// Neither tab has heard the other when it acts: b's isolation is dated before the closed state a's clear tells (half a second ahead).
		const clearing = a.api.clear();
		const isolating = b.api.breaker.isolate(origin);
		await Promise.all([clearing, isolating]);
		await heardAll(other(), a.api, clock.now() + 1_000);
		await heardAll(other(), b.api, clock.now() + 1_000);
		expect([a.api.breaker(origin).state, b.api.breaker(origin).state]).toEqual(['open', 'open']);
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'open', isolated: true }));
		const later = open();
		expect(await later.call()).toBe('CIRCUIT_OPEN');
		expect(later.server.requests).toHaveLength(0);
		// reset() still lifts it, everywhere.
		await a.api.breaker.reset(origin);
		await heardAll(other(), b.api, clock.now() + 1_000);
		expect(b.api.breaker(origin).state).toBe('closed');
	});
});
