/**
 * Defect hunt, twenty-ninth round (area: the breaker shared across tabs). API.md "Reachability and recovery" (counts that
 * cross tabs), "Identity" (after `clear()` resolves, nothing it removed ever comes back), "Sensitive data" (no time read
 * from another tab or the store is used beyond the bounds its options allow). Node's BroadcastChannel and Web Locks carry
 * the tabs' messages and locks (`document` faked).
 */
import { describe, expect, it, vi } from 'vitest';
import { memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { origin, t0, windowEachTest, sharedTabs } from './breaker-kit.js';
import { clearLeadMs, readRecord } from '../../src/breaker/circuit.js';

const clients = windowEachTest();
const tabsOf = sharedTabs(clients, 'h29-tabs');

/** Post an open record of a marker scope and wait until `api` took it: every message before it was handled. */
let markers = 0;
const heardAll = async (channel: BroadcastChannel, api: { breaker(scope: string): { state: string } }, at = t0): Promise<void> => {
	const marker = `https://marker-${markers++}.test`;
	channel.postMessage({ v: 2, scope: marker, state: 'open', openedAt: t0, reopensAt: t0 + 1_000, opens: 1, at });
	await vi.waitFor(() => expect(api.breaker(marker).state).not.toBe('closed'));
};

/** A failure outcome as a tab's own reads on the channel, counted at `now` in the closed state of `at`. */
const failureOf = (now: number, at = 0) => ({ v: 2, scope: origin, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at, outcome: 1, failures: 1, window: { calls: 1, failures: 1, at: now } });

describe('breaker: a count write of one tab as another tab clears (its delete landed, the clear not heard yet)', () => {
	it('does not bring the counts of before the clear back: nothing stored once clear() resolved, a later page counts from 0', async () => {
		const base = memoryStore('h29-count-write');
		let gated: (() => void) | undefined;
		let gate = false;
		let release: (() => void) | undefined;
		let deleted = false;
		// The first read after `gate` is set waits (a slow IndexedDB read) until released: by the delete of the clear, at once
		// (before the tab that reads heard the clear), or by the test.
		const store: KeyValueStore = {
			get: async (key) => {
				if (gate) {
					gate = false;
					await new Promise<void>((resolve) => {
						release = resolve;
						gated?.();
					});
				}

				return base.get(key);
			},
			keys: async () => base.keys(),
			delete: async (key) => {
				await base.delete(key);
				deleted = true;
				release?.();
			},
			clear: async () => base.clear(),
			set: async (key, value) => base.set(key, value),
		};
		const { open, other, clock, name } = tabsOf(store);
		const [a, b] = [open(), open()];
		b.server.answer(503);
		expect(await b.call()).toBe('HTTPError');
		await vi.waitFor(async () => expect(await base.get(origin)).toMatchObject({ state: 'closed', failures: 1 }));
		clock.advance(10);
		const reading = new Promise<void>((resolve) => {
			gated = resolve;
		});
		gate = true;
		expect(await b.call()).toBe('HTTPError'); // its count write's read waits
		await reading;
		const clearing = a.api.clear();
		// Where the clear's delete waits for the count write under the scope's lock, the read goes on once it waits.
		await vi.waitFor(async () => {
			const { pending = [] } = await navigator.locks.query();
			expect(deleted || pending.some((lock) => lock.name === `steadfetch:${name}:breaker-store:${origin}`)).toBe(true);
		});
		release?.();
		await clearing;
		await heardAll(other(), b.api, clock.now() + 1_000);
		await navigator.locks.request(`steadfetch:${name}:breaker-store:${origin}`, async () => undefined); // b's write is done
		// Before: { state: 'closed', at: 0, failures: 2 } was stored after the clear's delete.
		expect(await base.get(origin)).toBeUndefined();
		const c = open(); // a page started after the clear
		c.server.up();
		expect(await c.call()).toBe('200');
		expect(c.api.breaker(origin).consecutiveFailures).toBe(0);
	});
});

describe('breaker: an outcome told before another tab\'s reset(), heard after it (in transit)', () => {
	it('counts in no tab that took the reset, as a clear\'s; one counted after the reset (a tab that missed it) still does', async () => {
		const { open, other, clock } = tabsOf();
		const [a, b] = [open(), open()];
		a.server.up();
		expect(await a.call()).toBe('200');
		await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('closed'));
		const before = clock.now();
		clock.advance(1);
		await a.api.breaker.reset(origin);
		const channel = other();
		await heardAll(channel, b.api, clock.now() + 1_000); // b took the reset
		channel.postMessage(failureOf(before)); // a tab's failure, told 1 ms before the reset
		await heardAll(channel, a.api, clock.now() + 1_000);
		await heardAll(channel, b.api, clock.now() + 1_000);
		// Before: [1, 1] (a failure of before the reset counted in the closed state the reset made).
		expect([a.api.breaker(origin).consecutiveFailures, b.api.breaker(origin).consecutiveFailures]).toEqual([0, 0]);
		clock.advance(100);
		channel.postMessage(failureOf(clock.now())); // counted after the reset by a tab that never heard it (closed since 0)
		await vi.waitFor(() => expect([a.api.breaker(origin).consecutiveFailures, b.api.breaker(origin).consecutiveFailures]).toEqual([1, 1]));
	});
});

describe('breaker: an opening a tab made before it heard another tab\'s isolate() (API.md: open until reset)', () => {
	it('does not lift the kill switch: still isolated, no probe once that opening\'s period is over', async () => {
		const { open, other, clock } = tabsOf();
		const a = open();
		a.server.up();
		expect(await a.call()).toBe('200');
		await a.api.breaker.isolate(origin);
		clock.advance(1);
		const channel = other();
		// Another tab's opening by its own failures, 1 ms after the isolation, before it heard it.
		channel.postMessage({ v: 2, scope: origin, state: 'open', openedAt: clock.now(), reopensAt: clock.now() + 30_000, opens: 1, at: clock.now(), failures: 5 });
		await heardAll(channel, a.api, clock.now() + 1_000);
		// Before: { state: 'open', reopensAt: t0 + 30 001 } (the kill switch replaced by an ordinary open period).
		expect(a.api.breaker(origin).reopensAt).toBeUndefined();
		clock.advance(60_000);
		expect(await a.call()).toBe('CIRCUIT_OPEN');
		expect(a.server.requests).toHaveLength(1);
	});
});

describe('breaker: an open record whose opening is far in the past (a hostile message, a corrupt store record)', () => {
	it.each([{}, { isolated: true }])('shows an opening no earlier than maxOpenMs before the record (%o), in snapshot() and stats()', async (extra) => {
		const { open, other } = tabsOf();
		const tab = open({ maxOpenMs: 60_000 });
		tab.server.up();
		expect(await tab.call()).toBe('200'); // the scope in stats()
		const channel = other();
		channel.postMessage({ v: 2, scope: origin, state: 'open', openedAt: -1e308, reopensAt: t0 + 10_000, opens: 1, at: t0, ...extra });
		await vi.waitFor(() => expect(tab.api.breaker(origin).state).not.toBe('closed'));
		const shown = [tab.api.breaker(origin), tab.api.stats()[origin]?.breaker];
		expect(shown[1]).toBeDefined();
		// Before: openedAt -1e308 (and reopensAt -1e308: the period's end from there).
		for (const snapshot of shown) {
			expect(snapshot?.openedAt).toBeGreaterThanOrEqual(t0 - 60_000 - clearLeadMs);
			expect(snapshot?.openedAt).toBeLessThanOrEqual(t0);
			if (snapshot?.reopensAt !== undefined) {
				expect(snapshot.reopensAt).toBeGreaterThanOrEqual(snapshot.openedAt!);
				expect(snapshot.reopensAt).toBeLessThanOrEqual(snapshot.openedAt! + 60_000);
			}
		}
	});

	it('read from the store at a reload: shown as bounded', async () => {
		const { open, store } = tabsOf();
		await store.set(origin, { v: 2, scope: origin, state: 'open', openedAt: -1e308, reopensAt: t0 + 10_000, opens: 1, at: t0 - 1 });
		const tab = open({ maxOpenMs: 60_000 });
		tab.server.hang();
		void tab.call();
		await vi.waitFor(() => expect(tab.api.breaker(origin).state).not.toBe('closed'));
		// Before: -1e308.
		expect(tab.api.breaker(origin).openedAt).toBeGreaterThanOrEqual(t0 - 60_001 - clearLeadMs);
	});
});

describe('a record an isolate() told the tabs (dated clearLeadMs ahead) reads back as it was written', () => {
	it('its opening is not moved by the bound on absurd openings, whatever maxOpenMs (test/node/breaker-tabs: the tab that isolated took its own stored record back as another opening, "breaker:open shared")', () => {
		const written = { v: 2, scope: origin, state: 'open', openedAt: t0, reopensAt: t0, opens: 0, at: t0 + clearLeadMs, isolated: true, failures: 0 } as const;
		for (const maxOpenMs of [100, 1_000, 60_000]) {
			// Before this bound took the lead in: openedAt t0 + 400 with maxOpenMs 100.
			expect(readRecord(written, t0 + 5_000, maxOpenMs)).toEqual(written);
		}
	});
});
