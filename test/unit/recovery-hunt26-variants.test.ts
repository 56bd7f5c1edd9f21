/**
 * Defect hunt, twenty-sixth round (area: recovery you can see across tabs). API.md "Reachability and recovery" (counts
 * that cross tabs, one probe across the tabs of a name, its closing reaches every tab), "Sensitive data" (what another
 * tab posts is outside input, validated and bounded by the options). Node's BroadcastChannel and Web Locks carry the
 * tabs' messages and locks (`document` faked).
 */
import { describe, expect, it, vi } from 'vitest';
import { memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { flush, origin, t0, windowEachTest, sharedTabs } from './breaker-kit.js';

const clients = windowEachTest();
const tabsOf = sharedTabs(clients, 'h26-tabs');

/** A failure outcome as a tab's own reads on the channel: its closed state, its failures in a row and its ratio window. */
const failureOf = (now: number, failures = 1) => ({ v: 2, scope: origin, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: 0, outcome: 1, failures, window: { calls: failures, failures, at: now } });

describe('breaker: outcome messages from another tab of the origin', () => {
	it('failures in a row across tabs still open it (2 + 2 + 1 of 5): the tab whose attempt makes the fifth opens it and every tab takes it', async () => {
		const { open } = tabsOf();
		const [a, b, c] = [open(), open(), open()];
		for (const tab of [a, b, c]) {
			tab.server.answer(503);
		}

		let total = 0;
		for (const [tab, count] of [[a, 2], [b, 2], [c, 1]] as const) {
			for (let index = 0; index < count; index++) {
				expect(await tab.call()).toBe('HTTPError');
			}

			total += count;
			await vi.waitFor(() => expect([a, b, c].map(({ api }) => api.breaker(origin).consecutiveFailures)).toEqual([total, total, total]));
		}

		await vi.waitFor(() => expect([a, b, c].map(({ api }) => api.breaker(origin).state)).toEqual(['open', 'open', 'open']));
		expect(c.events).toEqual(['breaker:open consecutive-failures']);
	});

	it('a failure whose message lacks a tab\'s counts (none, not whole numbers, NaN, more failures than calls) is not counted', async () => {
		const { open, other, clock } = tabsOf();
		const tab = open();
		expect(await tab.call()).toBe('200');
		const channel = other();
		const now = clock.now();
		const { failures: _, window: __, ...bare } = failureOf(now);
		for (const message of [bare, { ...bare, failures: 'x' }, { ...bare, failures: 1, window: { calls: Number.NaN, failures: 1, at: now } }, { ...bare, failures: 1, window: { calls: 1, failures: 1e308, at: now } }, { ...bare, failures: 1.5, window: { calls: 2, failures: 1, at: now } }, { ...bare, failures: 1, window: { calls: 1, failures: 2, at: now } }, { ...bare, failures: 1, window: { calls: 3, failures: 0, at: now } }]) {
			channel.postMessage(message);
		}

		channel.postMessage(failureOf(now)); // a tab's own: counted
		channel.postMessage({ v: 2, scope: 'https://marker.test', state: 'open', openedAt: t0, reopensAt: t0 + 1_000, opens: 1, at: t0 });
		await vi.waitFor(() => expect(tab.api.breaker('https://marker.test').state).toBe('open'));
		// Before: 5 (each counted as a failure in a row whatever its counts said, up to consecutiveFailures).
		expect(tab.api.breaker(origin).consecutiveFailures).toBe(1);
	});
});

describe('breaker: a tab opened while the tab that opened the scope has not finished writing it', () => {
	it('reads the state once that write landed: its first call fails fast, no request', async () => {
		const base = memoryStore('h26-slow-write');
		let held: Promise<void> | undefined;
		let land!: () => void;
		const slow: KeyValueStore = { get: async (key) => base.get(key), keys: async () => base.keys(), delete: async (key) => base.delete(key), clear: async () => base.clear(), set: async (key, value) => held!.then(async () => base.set(key, value)) };
		const { open } = tabsOf(slow);
		const a = open();
		a.server.answer(503);
		held = new Promise((resolve) => {
			land = resolve;
		});
		for (let index = 0; index < 5; index++) {
			expect(await a.call()).toBe('HTTPError');
		}

		expect(a.api.breaker(origin).state).toBe('open');
		await flush();
		const b = open(); // its channel opens after a's message: it learns of the opening from the store only
		const first = b.call();
		await flush();
		land();
		// Before: ['200', 1]: b read the store before a's write landed and sent its call to the open scope.
		expect([await first, b.server.requests.length]).toEqual(['CIRCUIT_OPEN', 0]);
	});

	it('a write whose tab holds the scope\'s lock and never gives it back (a frozen page) delays a first call at most storageTimeoutMs', async () => {
		const { open, name } = tabsOf();
		let letGo!: () => void;
		void navigator.locks.request(`steadfetch:${name}:breaker-store:${origin}`, async () => new Promise<void>((resolve) => {
			letGo = resolve;
		}));
		await vi.waitFor(() => expect(letGo).toBeDefined());
		const b = open();
		let outcome: string | undefined;
		void b.call().then((result) => {
			outcome = result;
		});
		try {
			// Before: still waiting after 3 s (the read waited for the lock, unbounded).
			await vi.waitFor(() => expect(outcome).toBe('200'), { timeout: 3_000 });
		} finally {
			letGo();
		}
	});
});

describe('breaker: a record another tab posts dated ahead of the clock (the tabs of a name share one clock)', () => {
	/** `a` met the scope; a script posts a record of it dated 200 s ahead (within `maxOpenMs`); `c`, a tab opened after it, never heard it. */
	const afterPostedAhead = async (posted: object) => {
		const { open, other, clock } = tabsOf();
		const a = open();
		expect(await a.call()).toBe('200');
		const channel = other();
		channel.postMessage({ v: 2, scope: origin, openedAt: 0, reopensAt: 0, opens: 0, ...posted, at: clock.now() + 200_000 });
		channel.postMessage({ v: 2, scope: 'https://marker.test', state: 'open', openedAt: t0, reopensAt: t0 + 1_000, opens: 1, at: t0 });
		await vi.waitFor(() => expect(a.api.breaker('https://marker.test').state).toBe('open'));
		const c = open();
		expect(await c.call()).toBe('200');
		return { a, c };
	};

	it('a closing dated ahead does not hide the kill switch another tab then turns on: this tab fails fast', async () => {
		const { a, c } = await afterPostedAhead({ state: 'closed' });
		await c.api.breaker.isolate(origin);
		// Before: 'closed' (never 'open'): the isolation, dated now, was older than the closing dated 200 s ahead.
		await vi.waitFor(() => expect(a.api.breaker(origin).state).toBe('open'));
		expect(await a.call()).toBe('CIRCUIT_OPEN');
	});

	it('an opening dated ahead does not hide another tab\'s reset: this tab is closed again', async () => {
		const { a, c } = await afterPostedAhead({ state: 'open', openedAt: t0, reopensAt: t0 + 30_000, opens: 1 });
		expect(a.api.breaker(origin).state).toBe('open');
		await c.api.breaker.reset(origin);
		// Before: 'open' (never 'closed'): the reset, dated now, was older than the opening dated 200 s ahead.
		await vi.waitFor(() => expect(a.api.breaker(origin).state).toBe('closed'));
		expect(await a.call()).toBe('200');
	});
});
