/** The stale cache's view (src/cache/view.ts) against a store whose listing cannot be trusted: a key listed twice. */
import { describe, expect, it } from 'vitest';
import { memoryStore, type KeyValueStore } from '../../src/entries/core.js';
import { copyKey as key, viewOver } from '../helpers/cache-view.js';

/** A memory store whose `keys()` lists `twice` two times (a buggy or foreign store). */
const doubling = (twice: () => string | undefined): KeyValueStore => {
	const inner = memoryStore('view-twice');
	return {
		...inner,
		get: inner.get.bind(inner),
		set: inner.set.bind(inner),
		delete: inner.delete.bind(inner),
		clear: inner.clear.bind(inner),
		async keys() {
			const listed = await inner.keys();
			const again = twice();
			return again !== undefined && listed.includes(again) ? [...listed, again] : listed;
		},
	};
};

/** A view over a store that lists `twice()` two times. */
const setup = (maxEntries: number, twice: () => string | undefined) => {
	const inner = doubling(twice);
	return { inner, ...viewOver(inner, maxEntries) };
};

describe('View.evict with a store that lists a key twice', () => {
	it('a copy removed elsewhere is not kept in the view by a duplicate that pads the listing to the view\'s size: nothing within maxEntries is evicted', async () => {
		let twice: string | undefined;
		const { inner, view, write, stored } = setup(4, () => twice);
		for (let index = 1; index <= 4; index++) {
			await write(`c${index}`, index);
		}

		await inner.delete(key('c1')); // removed by another tab: still in this view
		twice = key('c2');
		await write('c5', 5);
		// The store holds c2..c5: 4 copies, within maxEntries: none goes; c1 leaves the view.
		expect(await stored()).toEqual(['c2', 'c3', 'c4', 'c5']);
		expect(view.lacks(key('c1'))).toBe(true);
		expect(view.lacks(key('c2'))).toBe(false);
	});

	it('past maxEntries, a duplicate key counts once: the least recent go until a quarter is free, exactly', async () => {
		let twice: string | undefined;
		const { view, write, stored } = setup(4, () => twice);
		for (let index = 1; index <= 4; index++) {
			await write(`c${index}`, index);
		}

		twice = key('c3');
		await write('c5', 5);
		// 5 copies > 4: 5 - 4 + 1 = 2 go, c1 and c2; c3 once.
		expect(await stored()).toEqual(['c3', 'c4', 'c5']);
		expect(view.lacks(key('c3'))).toBe(false);
		twice = key('c5');
		await write('c6', 6);
		await write('c7', 7);
		// c3 c4 c5 c6 c7: 5 > 4: c3 and c4 go.
		expect(await stored()).toEqual(['c5', 'c6', 'c7']);
	});

	it('a key only another client stored, listed twice, joins the view once', async () => {
		let twice: string | undefined;
		const { inner, view, write, stored } = setup(4, () => twice);
		await write('c1', 1);
		await inner.set(key('theirs'), { name: 'theirs' });
		twice = key('theirs');
		await write('c2', 2);
		await write('c3', 3);
		await write('c4', 4);
		// theirs c1 c2 c3 c4 = 5 > 4: theirs (oldest) and c1 go.
		expect(await stored()).toEqual(['c2', 'c3', 'c4']);
		expect(view.lacks(key('theirs'))).toBe(true);
	});
});
