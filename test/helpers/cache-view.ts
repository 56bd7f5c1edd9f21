/**
 * The stale cache's view of its stored copies (src/cache/view.ts) driven as the cache drives it, over a part store of a
 * store the test gives: what the view's tests (test/unit/cache-view*.test.ts) share.
 */
import type { PolicyContext } from '../../src/entries/policy.js';
import { memoryStore, type KeyValueStore } from '../../src/entries/core.js';
import { partStore } from '../../src/core/part-store.js';
import { View } from '../../src/cache/view.js';
import { Worlds } from '../../src/core/world.js';

/** The store key of the copy `name` (of `https://api.test/<name>`, no identity). */
export const copyKey = (name: string): string => `r:~~https://api.test/${name}`;

/**
 * A view of the copies in `inner` (through the cache's part store of it) for `maxEntries`: `write` stores a copy as
 * cache/copy.ts does (the store's write, then the view's note, then an eviction once due); `stored` lists the names of
 * the copies `inner` holds, each once, sorted.
 */
export const viewOver = (inner: KeyValueStore, maxEntries: number) => {
	const context = { name: 'view', options: { store: () => inner }, stores: new Map(), emit: () => undefined, identity: () => undefined, world: () => new Worlds().open(undefined, () => undefined) } as unknown as PolicyContext;
	const store = partStore(context, 'cache', memoryStore);
	const view = new View({ clears: 0 });
	const write = async (name: string, at: number) => {
		const written = store.set(copyKey(name), { name });
		view.stored(copyKey(name), at, undefined);
		await written;
		if (view.due(maxEntries)) {
			await view.evict(store, maxEntries);
		}
	};

	const stored = async () => [...new Set(await inner.keys())].map((each) => each.slice(copyKey('').length)).sort();
	return { view, write, stored };
};
