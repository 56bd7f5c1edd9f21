/**
 * The tenth round's variants of "work that outlives its caller" in the stale cache (API.md "Work that
 * outlives its caller", Identity: "After clear() resolves, nothing it removed ever comes back"): a
 * copy (or an outbox record: the part store's rule) whose write was under way in the store as a clear
 * or a removal was made. Node, a Cache API in memory (`cacheApiStore`, workerd's and Deno's default)
 * whose `put` of a value can be held, as a large body's put lands after a delete made later.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OutboxQueuedError, cacheApiStore, isStale, outbox } from '../../src/entries/index.js';
import { collect, useCacheKit } from './cache-kit.js';
import { fakeCaches } from '../helpers/fake-caches.js';

const kit = useCacheKit();

let fake: ReturnType<typeof fakeCaches>;
beforeEach(() => {
	fake = fakeCaches({ holds: 'copy' });
	(globalThis as { caches?: unknown }).caches = fake.caches;
});

afterEach(() => {
	delete (globalThis as { caches?: unknown }).caches;
});

/** Copies (not the key index) the fake Cache API holds. */
const copies = (): string[] => [...fake.entries.keys()].filter((url) => !url.endsWith('%00index'));

/** The keys the fake Cache API's key indexes list (each a framed value: its JSON first, `x-steadfetch-json-bytes` long). */
const indexed = (): string[] => [...fake.entries].filter(([url]) => url.endsWith('%00index'))
	.flatMap(([, [bytes, headers]]) => JSON.parse(new TextDecoder().decode(new Uint8Array(bytes, 0, Number(headers.get('x-steadfetch-json-bytes'))))) as string[]);

describe('a copy whose write is under way in the store as a clear or a removal is made', () => {
	for (const [name, remove] of [
		['client.clear()', async (api: ReturnType<typeof kit.make>) => api.clear()],
		['cache.clear()', async (api: ReturnType<typeof kit.make>) => api.cache.clear()],
		['cache.delete(url)', async (api: ReturnType<typeof kit.make>) => api.cache.delete('h10/a/1')],
		['clear({ identity }) of its identity', async (api: ReturnType<typeof kit.make>) => api.clear({ identity: 'ann' })],
	] as const) {
		for (const late of [false, true]) {
		it(`${name}: once it lands after the removal's delete${late ? ' (a put that outlasts storageTimeoutMs)' : ''}, it is removed again; a fresh client never serves it`, async () => {
			const options = { name: `h10-${name}-${late}`, store: cacheApiStore, identity: () => 'ann', ...late ? { storageTimeoutMs: 50 } : {} };
			const api = kit.make(options);
			const errors = collect(api, 'storage:error');
			fake.hold();
			await api.get('h10/a/1').text();
			// The copy's put is under way (held) in the store.
			await vi.waitFor(() => expect(fake.holding).toBe(1));
			if (late) {
				// Past storageTimeoutMs the write is given up on (kept in memory: storage:error), its put still under way.
				await vi.waitFor(() => expect(errors.map(({ operation }) => operation)).toContain('set'));
			}

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
	}
});

describe('read your own writes: a copy whose write is under way as a client of the name without a stale cache delivers a write of its path', () => {
	it('once it lands after the drop\'s delete, it is removed again; a fresh client (a reload) never serves it', async () => {
		const options = { name: 'h10-heard', store: cacheApiStore };
		const reader = kit.make(options);
		const writer = reader.extend({ staleCache: false });
		fake.hold();
		await reader.get('h10/h/todos/1').text();
		await vi.waitFor(() => expect(fake.holding).toBe(1));
		kit.clock.advance(1);
		expect((await writer.put('h10/h/todos/1', { json: { done: true } })).status).toBe(200);
		// The reader heard it and dropped the key (its delete landed first).
		await vi.waitFor(async () => expect(await cacheApiStore('h10-heard/cache').keys()).toEqual([]));
		fake.release();
		await vi.waitFor(() => expect(fake.holding).toBe(0));
		// Before: the copy stored before the write landed after the drop and stayed.
		await vi.waitFor(() => expect(copies()).toEqual([]));
		reader.close();
		expect(await kit.servedStale(kit.make(options), 'h10/h/todos/1')).toBe(false);
	});
});

describe('the same for an outbox record (the part store of every part)', () => {
	it('a write queued as client.clear() runs, its record put outlasting storageTimeoutMs: once it lands it is removed again; a fresh client neither lists nor sends it', async () => {
		const options = { name: 'h10-outbox', store: cacheApiStore, storageTimeoutMs: 50, staleCache: false as const, outbox: outbox() };
		const api = kit.make(options);
		fake.hold();
		kit.mode = 'refuse';
		await expect(api.post('h10/o/1', { json: { n: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		kit.mode = 'up';
		// Told "queued" with the record kept in memory (its put past the write's storage budget, still under way): told at
		// the 50 ms budget, which a loaded machine can reach before the put reaches the held point. Waited for, as the cache's is above.
		await vi.waitFor(() => expect(fake.holding).toBe(1), { timeout: 10_000 });
		await api.clear();
		fake.release();
		await vi.waitFor(() => expect(fake.holding).toBe(0));
		// Before: the record landed after the clear's delete and stayed; a fresh client listed it (size 1) and sent it (sent: 1).
		await vi.waitFor(() => expect(copies()).toEqual([]));
		// And from the store's key index, which is written after the value is deleted: a client made before that lands lists the key.
		await vi.waitFor(() => expect(indexed()).toEqual([]), { timeout: 10_000 });
		api.close();
		const fresh = kit.make(options) as ReturnType<typeof kit.make> & { outbox: { size(): Promise<number>; flush(): Promise<{ sent: number }> } };
		expect(await fresh.outbox.size()).toBe(0);
		const hits = kit.hits('/h10/o/1');
		expect(await fresh.outbox.flush()).toMatchObject({ sent: 0 });
		expect(kit.hits('/h10/o/1')).toBe(hits);
		fresh.close();
	});
});
