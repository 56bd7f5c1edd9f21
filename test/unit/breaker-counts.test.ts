/**
 * Counts that cross tabs and reloads (API.md "Reachability and recovery"): a breaker's failures in a
 * row and its ratio window are shared by the tabs of one name (each outcome told on the channel) and
 * kept with its stored record, so `consecutiveFailures` failures in a row across tabs or reloads
 * open it. Stored counts are outside input: bounded by the options. Clients of one name and store
 * on one injected clock; a real BroadcastChannel (Node's); `document` faked (a page).
 */
import { describe, expect, it, vi } from 'vitest';
import { memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { flush, origin, tabPages, times, windowEachTest } from './breaker-kit.js';

const t0 = 1_700_000_000_000;
const clients = windowEachTest();
const pages = tabPages(clients, 'counts');

describe('breaker: counts that cross tabs and reloads', () => {
	it('failures in a row across three tabs open it (2 + 2 + 1 of 5), in every tab', async () => {
		const { open } = pages();
		const [a, b, c] = [open(), open(), open()];
		await times(2, async () => a.call());
		await vi.waitFor(() => expect(b.snapshot().consecutiveFailures).toBe(2));
		await times(2, async () => b.call());
		await vi.waitFor(() => expect(c.snapshot().consecutiveFailures).toBe(4));
		expect(c.snapshot().state).toBe('closed');
		expect(await c.call()).toBe('HTTPError');
		expect(c.snapshot().state).toBe('open'); // before: closed, 1 failure here
		expect(c.events).toEqual(['breaker:open consecutive-failures']);
		await vi.waitFor(() => expect([a.snapshot().state, b.snapshot().state]).toEqual(['open', 'open']));
	});

	it('a success in one tab ends the others\' failures in a row', async () => {
		const { open } = pages();
		const [a, b] = [open(), open()];
		await times(4, async () => a.call());
		await vi.waitFor(() => expect(b.snapshot().consecutiveFailures).toBe(4));
		b.server.up();
		expect(await b.call()).toBe('200');
		await vi.waitFor(() => expect(a.snapshot().consecutiveFailures).toBe(0));
		expect(await a.call()).toBe('HTTPError');
		expect(a.snapshot().state).toBe('closed');
	});

	it('failures in a row across reloads open it (4 + 4 of 5 → open at the first failure after the reload); a success stored ends them', async () => {
		const { store, open } = pages();
		const first = open();
		await times(4, async () => first.call());
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ v: 2, state: 'closed', failures: 4 }));
		first.api.close();
		const second = open(); // the reload
		expect(await second.call()).toBe('HTTPError');
		expect(second.snapshot().state).toBe('open'); // before: closed, 1 failure
		expect(second.events).toEqual(['breaker:open consecutive-failures']);

		const other = pages();
		const before = other.open();
		await times(4, async () => before.call());
		before.server.up();
		expect(await before.call()).toBe('200');
		await vi.waitFor(async () => expect(await other.store.get(origin)).not.toHaveProperty('failures'));
		before.api.close();
		const after = other.open();
		await times(4, async () => after.call());
		expect(after.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 4 });
	});

	it('the stored counts are the latest when the reads behind the writes answer out of order (a reload counts on from 4, not 2)', async () => {
		// Each counted failure reads the stored state, then writes its counts: here the reads behind
		// failures 2, 3 and 4 answer last-first, so the write of failure 2 is issued last. It must hold
		// the counts as they are then (4), not those failure 2 left (before: 2, and the reload needed 4 more).
		const inner = memoryStore('counts-out-of-order');
		const held: Array<() => void> = [];
		let holding = false;
		const store: KeyValueStore = {
			...inner,
			async get<T>(key: string) {
				if (holding) {
					await new Promise<void>((resolve) => held.push(resolve));
				}

				return inner.get<T>(key);
			},
		};
		const { open } = pages(store);
		const first = open({}, { storageTimeoutMs: 60_000 });
		expect(await first.call()).toBe('HTTPError');
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ failures: 1 }));
		holding = true;
		await times(3, async () => first.call());
		// Under the scope's lock (hunt 29: a clear()'s delete waits for a count write) the reads go one at a time, in order.
		for (let released = 0; released < 3; released++) {
			await vi.waitFor(() => expect(held).toHaveLength(1));
			held.pop()!();
			await flush();
		}

		holding = false;

		await vi.waitFor(async () => expect(await inner.get(origin)).toMatchObject({ state: 'closed', failures: 4 }));
		await flush();
		expect(await inner.get(origin)).toMatchObject({ failures: 4 });
		first.api.close();
		const second = open({}, { storageTimeoutMs: 60_000 }); // the reload: one failure more opens it (5)
		expect(await second.call()).toBe('HTTPError');
		expect(second.snapshot().state).toBe('open');
	});

	it('the failure-ratio window is kept too, and dropped once older than windowMs', async () => {
		const { clock, store, open } = pages();
		const options = { consecutiveFailures: 100, minimumThroughput: 6, failureRatio: 0.5, windowMs: 10_000 };
		const first = open(options);
		await times(5, async () => first.call());
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ window: { calls: 5, failures: 5 } }));
		first.api.close();
		const second = open(options);
		expect(await second.call()).toBe('HTTPError');
		expect(second.events).toEqual(['breaker:open failure-ratio']); // 6 of 6: before, 1 of 1
		second.api.close();

		const later = pages(store);
		await store.set(origin, { v: 2, scope: origin, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: 0, window: { calls: 5, failures: 5, at: t0 - 10_000 } });
		const third = later.open(options);
		expect(clock.now()).toBe(t0);
		expect(await third.call()).toBe('HTTPError');
		expect(third.events).toEqual([]); // the stored window is older than windowMs
	});

	it('the window keeps its successes too while it holds a failure: a reload (or a tab opened later) goes on with the tabs\' ratio, not a higher one', async () => {
		// 3 failures, then 6 successes (the first ends the failures in a row): 9 calls, 3 failures. Before, only
		// failures and the success that ended them were stored ({ calls: 4, failures: 3 }), so 2 failures after the
		// reload opened it at 5 of 6 (failure-ratio) where the tabs' window held 5 of 11 (under 0.5).
		const { store, open } = pages();
		const options = { consecutiveFailures: 100, minimumThroughput: 6, failureRatio: 0.5, windowMs: 10_000 };
		const first = open(options);
		await times(3, async () => first.call());
		first.server.up();
		await times(6, async () => first.call());
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ window: { calls: 9, failures: 3 } }));
		const later = open(options); // a tab opened now reads the same store at its first call
		expect(await later.call()).toBe('HTTPError');
		expect(later.events).toEqual([]); // 4 of 10
		later.api.close();
		first.api.close();
		const second = open(options); // the reload
		expect(await second.call()).toBe('HTTPError');
		expect(second.events).toEqual([]); // 5 of 11 (4 of 10 from the store, with the tab opened later's failure)
		expect(second.snapshot().state).toBe('closed');

		// A window that holds no failure writes nothing for a success: a healthy scope costs no store write per call.
		const healthy = pages();
		let writes = 0;
		const counting = { ...healthy.store, async set(key: string, value: unknown) {
			writes++;
			return healthy.store.set(key, value);
		} };
		const quiet = pages(counting).open(options);
		quiet.server.up();
		await times(5, async () => quiet.call());
		await flush();
		expect(writes).toBe(0);
	});

	it('a tab that heard another tab\'s outcome before its first call still takes the stored window (which holds that outcome and the ones before it)', async () => {
		// 3 failures in tab a, then tab b opens and hears a 4th; a closes. b's first call read the stored window
		// ({ calls: 4, failures: 4 }) but kept the one outcome it had heard, so its failure made 2 of 2 (closed)
		// where the tabs had 5 of 5 (minimumThroughput 5: failure-ratio).
		const { store, open } = pages();
		const options = { consecutiveFailures: 100, minimumThroughput: 5, failureRatio: 0.5, windowMs: 10_000 };
		const a = open(options);
		await times(3, async () => a.call());
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ window: { calls: 3, failures: 3 } }));
		const b = open(options);
		expect(await a.call()).toBe('HTTPError');
		await vi.waitFor(() => expect(b.snapshot().consecutiveFailures).toBe(1)); // heard
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ window: { calls: 4, failures: 4 } }));
		a.api.close();
		expect(await b.call()).toBe('HTTPError');
		expect(b.events).toEqual(['breaker:open failure-ratio']); // before: [] (2 of 2)
	});

	it('stored counts are outside input: bounded by the options, garbage ignored (the record kept), a version 1 record read', async () => {
		const store = memoryStore('counts-bounds');
		const { open } = pages(store);
		await store.set(origin, { v: 2, scope: origin, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: 0, failures: 1e9, window: { calls: 1e12, failures: 1e13, at: t0 + 1e9 } });
		const a = open({ minimumThroughput: 1e6 });
		expect(await a.call()).toBe('HTTPError');
		expect(a.snapshot()).toMatchObject({ state: 'open' }); // at most 5 stored: the next failure opens it
		a.api.close();

		for (const garbage of [{ failures: -3 }, { failures: 'many' }, { failures: 2.5 }, { window: { calls: 'x', failures: 1, at: t0 } }, { window: null }]) {
			await store.set(origin, { v: 2, scope: origin, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: 0, ...garbage });
			const tab = open({ minimumThroughput: 1e6 });
			expect(await tab.call()).toBe('HTTPError');
			expect(tab.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 1 });
			expect(tab.events).toEqual([]);
			tab.api.close();
		}

		await store.set(origin, { v: 1, scope: origin, state: 'open', openedAt: t0, reopensAt: t0 + 5_000, opens: 1, at: t0 });
		const old = open();
		expect(await old.call()).toBe('CIRCUIT_OPEN');
		await flush();
	});
});
