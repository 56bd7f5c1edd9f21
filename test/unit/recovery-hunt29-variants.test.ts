/**
 * Defect hunt, twenty-ninth round (area: the breaker shared across tabs). API.md "Reachability and recovery" (counts that
 * cross tabs), "Identity" (after `clear()` resolves, nothing it removed ever comes back), "Sensitive data" (no time read
 * from another tab or the store is used beyond the bounds its options allow). Node's BroadcastChannel and Web Locks carry
 * the tabs' messages and locks (`document` faked).
 */
import { describe, expect, it, vi } from 'vitest';
import { memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { origin, t0, windowEachTest, sharedTabs } from './breaker-kit.js';

const clients = windowEachTest();
const tabsOf = sharedTabs(clients, 'h29-tabs');

/** Post an open record of a marker scope and wait until `api` took it: every message before it was handled. */
let markers = 0;
const heardAll = async (channel: BroadcastChannel, api: { breaker(scope: string): { state: string } }, at = t0): Promise<void> => {
	const marker = `https://marker-${markers++}.test`;
	channel.postMessage({ v: 2, scope: marker, state: 'open', openedAt: t0, reopensAt: t0 + 1_000, opens: 1, at });
	await vi.waitFor(() => expect(api.breaker(marker).state).not.toBe('closed'));
};

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
