/**
 * The tenth round's variants of "work that outlives its caller" in the stale cache (API.md "Work that
 * outlives its caller", Identity: "After clear() resolves, nothing it removed ever comes back"): a
 * copy whose write was under way in the store as a clear or a removal was made. Node, a Cache API in
 * memory (`cacheApiStore`, workerd's and Deno's default) whose `put` of a copy can be held, as a
 * large body's put lands after a delete made later.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cacheApiStore, isStale } from '../../src/entries/index.js';
import { useCacheKit } from './cache-kit.js';

const kit = useCacheKit();

/** A Cache API in memory: `hold()` keeps the next `put` of a copy (not the key index) from landing until `release()`. */
const fakeCaches = () => {
	const entries = new Map<string, [ArrayBuffer, Headers]>();
	const held: Array<() => void> = [];
	let holdNext = false;
	const cache = {
		async match(url: string) {
			const entry = entries.get(url);
			return entry && new Response(entry[0], { headers: entry[1] });
		},
		async put(url: string, response: Response) {
			const bytes = await response.arrayBuffer();
			if (holdNext && !url.endsWith('%00index')) {
				holdNext = false;
				await new Promise<void>((resolve) => {
					held.push(resolve);
				});
			}

			entries.set(url, [bytes, response.headers]);
		},
		async delete(url: string | Request) {
			return entries.delete(typeof url === 'string' ? url : url.url);
		},
	};
	return {
		caches: { open: async () => cache },
		entries,
		hold() {
			holdNext = true;
		},
		release: () => held.shift()?.(),
		get holding() {
			return held.length;
		},
	};
};

let fake: ReturnType<typeof fakeCaches>;
beforeEach(() => {
	fake = fakeCaches();
	(globalThis as { caches?: unknown }).caches = fake.caches;
});

afterEach(() => {
	delete (globalThis as { caches?: unknown }).caches;
});

/** Copies (not the key index) the fake Cache API holds. */
const copies = (): string[] => [...fake.entries.keys()].filter((url) => !url.endsWith('%00index'));

describe('a copy whose write is under way in the store as a clear or a removal is made', () => {
	for (const [name, remove] of [
		['client.clear()', async (api: ReturnType<typeof kit.make>) => api.clear()],
		['cache.clear()', async (api: ReturnType<typeof kit.make>) => api.cache.clear()],
		['cache.delete(url)', async (api: ReturnType<typeof kit.make>) => api.cache.delete('h10/a/1')],
		['clear({ identity }) of its identity', async (api: ReturnType<typeof kit.make>) => api.clear({ identity: 'ann' })],
	] as const) {
		it(`${name}: once it lands after the removal's delete, it is removed again; a fresh client never serves it`, async () => {
			const options = { name: `h10-${name}`, store: cacheApiStore, identity: () => 'ann' };
			const api = kit.make(options);
			fake.hold();
			await api.get('h10/a/1').text();
			// The copy's put is under way (held) in the store.
			await vi.waitFor(() => expect(fake.holding).toBe(1));
			await remove(api);
			fake.release();
			await vi.waitFor(() => expect(fake.holding).toBe(0));
			// Before: the copy landed after the delete and stayed: ['…/h10/a/1'].
			await vi.waitFor(() => expect(copies()).toEqual([]));
			api.close();
			const fresh = kit.make(options);
			kit.mode = 'refuse';
			const answer = await fresh.get('h10/a/1').catch((error: unknown) => error);
			kit.mode = 'up';
			expect(answer instanceof Response && isStale(answer)).toBe(false);
			fresh.close();
		});
	}
});
