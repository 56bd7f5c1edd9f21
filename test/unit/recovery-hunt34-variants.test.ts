/**
 * Defect hunt, thirty-fourth round (area: recovery — the breaker shared across tabs, its probe, health). API.md
 * "Identity: persisted state belongs to someone" (`clear()` removes the breakers' learned state: nothing it removed ever
 * comes back), "Counts that cross tabs and reloads", "Recovery without waiting". Tabs are clients of one name and store
 * made apart (each its own `stores`, as in separate pages), told by BroadcastChannel; a page in the back/forward cache
 * gets none of their messages, so what another tab did meanwhile is written to the store by hand, as the thirty-first
 * and thirty-second hunts do.
 */
import { describe, expect, it, vi } from 'vitest';
import { flush, origin, sharedTabs, windowEachTest } from './breaker-kit.js';
import type { FakeWindow } from './outbox-helpers.js';

let win: FakeWindow;
const clients = windowEachTest((made) => {
	win = made;
});
const tabsOf = sharedTabs(clients, 'h34-tabs');

/** What a browser fires at a page restored from the back/forward cache (its BroadcastChannel got nothing meanwhile). */
const restoredFromBfcache = (): void => {
	win.dispatch(Object.assign(new Event('pageshow'), { persisted: true }));
	win.document.dispatchEvent(new Event('visibilitychange'));
};

describe('breaker across tabs: a page restored from the back/forward cache after another tab\'s clear() (its record deleted)', () => {
	it('drops the open state the clear removed: its next call goes out, and it tells no asking tab that state', async () => {
		const { open, clock, store, other } = tabsOf();
		const a = open({ consecutiveFailures: 1 });
		a.server.answer(503);
		expect(await a.call()).toBe('HTTPError');
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'open' }));
		// The page goes into the bfcache; 10 s later a tab still running clears the client (the record deleted, its message missed).
		clock.advance(10_000);
		await store.delete(origin);
		clock.advance(1_000);
		a.server.up();
		restoredFromBfcache();
		await vi.waitFor(() => expect(a.api.breaker(origin).state).toBe('closed'));
		const asker = other();
		const told: string[] = [];
		asker.onmessage = (event: MessageEvent) => told.push(`${(event.data as { scope?: unknown }).scope} ${(event.data as { state?: unknown }).state}`);
		asker.postMessage({ ask: origin });
		expect(await a.call()).toBe('200');
		await vi.waitFor(async () => expect(await store.get(origin)).toBeUndefined());
		expect(told).toEqual([]);
	});

	it('drops an open state of network failures the clear removed, which the restore\'s visibilitychange turned half-open', async () => {
		const { open, clock, store } = tabsOf();
		const a = open({ consecutiveFailures: 1 });
		a.server.down();
		expect(await a.call()).toBe('NetworkError');
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'open', unanswered: true }));
		clock.advance(10_000);
		await store.delete(origin);
		clock.advance(1_000);
		a.server.up();
		restoredFromBfcache();
		// Before the fix of this case: 'half-open' (one call at a time through it, the others CIRCUIT_OPEN).
		await vi.waitFor(() => expect(a.api.breaker(origin).state).toBe('closed'));
		expect(await Promise.all([a.call(), a.call()])).toEqual(['200', '200']);
	});

	it('drops the failures in a row the clear removed: as many again open it', async () => {
		const { open, clock, store } = tabsOf();
		const a = open({ consecutiveFailures: 3 });
		a.server.answer(503);
		expect([await a.call(), await a.call()]).toEqual(['HTTPError', 'HTTPError']);
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'closed', failures: 2 }));
		clock.advance(10_000);
		await store.delete(origin);
		clock.advance(1_000);
		restoredFromBfcache();
		await vi.waitFor(() => expect(a.api.breaker(origin).consecutiveFailures).toBe(0));
		// Before: consecutiveFailures 2 kept, and the next failure opened the scope ('open' where 'closed').
		expect([await a.call(), a.api.breaker(origin).state]).toEqual(['HTTPError', 'closed']);
	});

	it('keeps what it knows when the store cannot be read (nothing says the state was cleared)', async () => {
		const { open, clock, store, other } = tabsOf();
		const a = open({ consecutiveFailures: 1 });
		a.server.answer(503);
		expect(await a.call()).toBe('HTTPError');
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'open' }));
		clock.advance(10_000);
		await store.delete(origin);
		const get = store.get.bind(store);
		store.get = async () => {
			throw new Error('IndexedDB gone');
		};
		// A tab whose read failed asks the others for the scope's state: then its read is over.
		const asks: unknown[] = [];
		other().onmessage = (event: MessageEvent) => asks.push((event.data as { ask?: unknown }).ask);
		restoredFromBfcache();
		await vi.waitFor(() => expect(asks).toContain(origin));
		await flush();
		store.get = get;
		expect(a.api.breaker(origin).state).toBe('open');
	});
});
