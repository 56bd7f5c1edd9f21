/**
 * The stale cache's `maxEntries` bounds what the store holds, whichever clients of the name and store write to it:
 * the clients `extend()` made of one another (one view: never more), and clients made apart (two `createClient`s of
 * one name and store, as two tabs'), each of which lists the store after every `maxEntries / 4` of its copies. Before,
 * each bounded only its own view of the copies (the store held 7 copies at `maxEntries: 4`).
 */
import { describe, expect, it, vi } from 'vitest';
import { memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { fetchAndStore, useCacheKit } from './cache-kit.js';

const kit = useCacheKit();

const copies = async (store = kit.store): Promise<string[]> => (await store.keys()).filter((key) => key.startsWith('r:')).map((key) => key.replace(/^.*\//, ''));

/** A memory store that cannot tell its `span` (the default store's, a Cache API store's): the cache never asks it anyway. */
const withoutSpan = (): KeyValueStore => {
	const { span: _span, ...rest } = memoryStore('no-span');
	return rest;
};

/** `count` copies stored by `clients` in turn; after each one's work, the store holds at most `max` (read through `store`, else the kit's). */
const inTurns = async (clients: Array<Parameters<typeof fetchAndStore>[0]>, prefix: string, count: number, max: number, store?: KeyValueStore): Promise<void> => {
	for (let index = 0; index < count; index++) {
		await fetchAndStore(clients[index % clients.length]!, `${prefix}/${index}`);
		await vi.waitFor(async () => expect((await copies(store)).length).toBeLessThanOrEqual(max));
	}
};

describe('maxEntries across the clients of one name and store', () => {
	it('two clients made apart, writing in turn: the store never keeps more than maxEntries; the newest copies stay', async () => {
		const one = kit.make({ staleCache: { maxEntries: 4 } });
		const two = kit.make({ staleCache: { maxEntries: 4 } });
		await inTurns([one, two], 'turns', 12, 4);
		expect(await copies()).toContain('11');
		expect(await kit.servedStale(one, 'turns/11')).toBe(true);
	});

	it('three clients made apart with maxEntries: 8: each lists after every 2 of its copies, so the store keeps at most 8 + 2 × 2', async () => {
		const clients = [0, 1, 2].map(() => kit.make({ staleCache: { maxEntries: 8 } }));
		await inTurns(clients, 'three', 30, 8 + 2 * 2);
		// Once each lists (every client's next copy after the last one's): the store is back within maxEntries.
		await inTurns(clients, 'settle', 6, 12);
		await vi.waitFor(async () => expect((await copies()).length).toBeLessThanOrEqual(8));
	});

	it('a client and its extend()ed child: the store never keeps more than maxEntries', async () => {
		const parent = kit.make({ staleCache: { maxEntries: 4 } });
		const child = parent.extend({ headers: { 'x-child': '1' } });
		await inTurns([parent, child], 'extended', 12, 4);
	});

	it('a store without span, a client and its extend()ed child (one view): never more than maxEntries: 8', async () => {
		kit.store = withoutSpan();
		const parent = kit.make({ staleCache: { maxEntries: 8 } });
		const child = parent.extend({ headers: { 'x-child': '1' } });
		await inTurns([parent, child], 'family', 30, 8);
	});

	it('the family shares what was used last: a copy the parent served is kept over the child\'s older ones', async () => {
		const parent = kit.make({ staleCache: { maxEntries: 4 } });
		const child = parent.extend({ headers: { 'x-child': '1' } });
		for (const [client, path] of [[child, 'lru/a'], [child, 'lru/b'], [parent, 'lru/c'], [parent, 'lru/d']] as const) {
			await fetchAndStore(client, path);
		}

		expect(await kit.servedStale(child, 'lru/a')).toBe(true); // served: the most recent now
		await fetchAndStore(parent, 'lru/e'); // 5 > 4: 5 - 4 + 1 = 2 go, the least recent (b, c)
		await vi.waitFor(async () => expect((await copies()).sort()).toEqual(['a', 'd', 'e']));
	});

	it('a store without span, two clients made apart: each lists once per maxEntries / 4 of its copies, so the store stays near maxEntries', async () => {
		const inner = withoutSpan();
		let listings = 0;
		kit.store = { ...inner, keys: async () => {
			listings++;
			return inner.keys();
		} };
		const one = kit.make({ staleCache: { maxEntries: 8 } });
		const two = kit.make({ staleCache: { maxEntries: 8 } });
		// Each lists at its first copy and then after every 2 of its own: it never misses more than the other's 2.
		await inTurns([one, two], 'quarters', 40, 8 + 2 * 2, inner);
		expect(listings).toBeLessThanOrEqual(2 + 40 / 2);
	});
});
