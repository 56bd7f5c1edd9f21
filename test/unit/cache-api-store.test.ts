/**
 * `cacheApiStore`'s key index when index writes of one isolate overlap and land out of order (two
 * requests at once): a Cache API whose `put` of the index can be held, in Node. The store in real
 * runtimes: test/workerd/stores.test.ts, test/workerd-requests/store.test.ts, Deno and Chromium.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheApiStore } from '../../src/entries/index.js';
import { fakeCaches } from '../helpers/fake-caches.js';

let fake: ReturnType<typeof fakeCaches>;
beforeEach(() => {
	fake = fakeCaches({ holds: 'index' });
	(globalThis as { caches?: unknown }).caches = fake.caches;
});

afterEach(() => {
	delete (globalThis as { caches?: unknown }).caches;
});

const until = async (condition: () => boolean): Promise<void> => {
	while (!condition()) {
		await new Promise((resolve) => setTimeout(resolve, 1));
	}
};

describe('cacheApiStore: overlapping index writes of one isolate', () => {
	it('an older index write that lands after a newer one is written again, with both keys', async () => {
		const store = cacheApiStore('overlap');
		fake.hold();
		const first = store.set('a', 1);
		await until(() => fake.holding === 1); // a's index write is under way, held
		await store.set('b', 2); // b's index (a and b) lands first
		fake.release(); // a's older index (only a) lands last
		await first;
		expect((await store.keys()).sort()).toEqual(['a', 'b']);
		// A fresh store (another isolate, or after the changes are forgotten) reads the same from storage.
		expect((await cacheApiStore('overlap').keys()).sort()).toEqual(['a', 'b']);
	});

	it('a delete whose index write lands before an older write of the same key keeps the key out', async () => {
		const store = cacheApiStore('overlap-delete');
		await store.set('a', 1);
		fake.hold();
		const second = store.set('b', 2); // index [a, b], held
		await until(() => fake.holding === 1);
		await store.delete('b'); // index [a] lands first
		fake.release(); // the older [a, b] lands last: written again without b
		await second;
		expect(await cacheApiStore('overlap-delete').keys()).toEqual(['a']);
	});

	it('a change whose request never finished is still merged into later index writes', async () => {
		const store = cacheApiStore('left');
		fake.hold();
		void store.set('left', 1); // its index write never lands (the request that made it ended)
		await until(() => fake.holding === 1);
		await store.set('later', 2);
		expect((await cacheApiStore('left').keys()).sort()).toEqual(['later', 'left']);
	});
});

describe('cacheApiStore: clear() where the Cache API lists its entries (browsers)', () => {
	it('a value whose index write never landed (the page closed between the two) goes too: get() no longer finds it', async () => {
		fake = fakeCaches({ holds: 'index', listing: true });
		(globalThis as { caches?: unknown }).caches = fake.caches;
		fake.hold();
		void cacheApiStore('orphan').set('left', 1); // its value is written, its index write never lands
		await until(() => fake.holding === 1);
		const next = cacheApiStore('orphan'); // the next page load: it knows no change of the one before
		expect(await next.get('left')).toBe(1);
		await next.clear();
		expect(await next.get('left')).toBeUndefined();
		expect(await next.keys()).toEqual([]);
	});
});
