/** The stale cache's view of its stored copies (src/cache/view.ts): eviction past maxEntries, reconciled with the store's listing. */
import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/entries/core.js';
import { copyKey as key, viewOver } from '../helpers/cache-view.js';

/** A view over a memory store (the test writes to it too: another tab's copies, its removals). */
const setup = (maxEntries: number) => {
	const inner = memoryStore('view');
	return { inner, ...viewOver(inner, maxEntries) };
};

describe('View.evict', () => {
	it('a store only this client writes: past maxEntries the least recent go, a quarter of maxEntries freed, in one listing', async () => {
		const { view, write, stored } = setup(8);
		for (let index = 0; index < 8; index++) {
			await write(`c${index}`, index + 1);
		}

		view.touch(key('c0')); // served: recent again
		await write('c8', 9);
		// The first write listed the store; the ninth went past 8: 9 - 8 + 2 = 3 go, the least recent (c0 was served).
		expect(await stored()).toEqual(['c0', 'c4', 'c5', 'c6', 'c7', 'c8']);
		expect(view.lacks(key('c1'))).toBe(true);
		expect(view.lacks(key('c8'))).toBe(false);
	});

	it('copies another client wrote count as the oldest; copies removed elsewhere leave the view', async () => {
		const { inner, view, write, stored } = setup(4);
		await write('mine0', 1);
		await inner.set(key('theirs'), { name: 'theirs' }); // another tab's copy, unknown here
		await write('mine1', 2);
		await write('mine2', 3);
		await inner.delete(key('mine1')); // removed by another tab: still in this view
		await write('mine3', 4);
		await write('mine4', 5); // past 4 by the view alone (5 known); the store lists theirs and lacks mine1
		// Listed: theirs (oldest), mine0, mine2, mine3, mine4 = 5 > 4: 5 - 4 + 1 = 2 go: theirs and mine0.
		expect(await stored()).toEqual(['mine2', 'mine3', 'mine4']);
		expect(view.lacks(key('mine1'))).toBe(true); // the view forgot what the store no longer holds
		expect(view.lacks(key('theirs'))).toBe(true);
		expect(view.lacks(key('mine2'))).toBe(false);
	});

	it('copies removed elsewhere leave the view, with none unknown to it', async () => {
		const { inner, view, write, stored } = setup(4);
		for (let index = 0; index < 4; index++) {
			await write(`m${index}`, index + 1);
		}

		await inner.delete(key('m2')); // another tab's clear of it
		await write('m4', 5); // 5 known, 4 listed: the view is reconciled before anything goes
		expect(view.lacks(key('m2'))).toBe(true);
		expect(await stored()).toEqual(['m0', 'm1', 'm3', 'm4']); // 4 listed, not past maxEntries: none evicted
	});
});
