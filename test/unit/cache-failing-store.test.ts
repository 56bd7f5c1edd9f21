/**
 * clear() and a successful mutation while the store fails or hangs: a removed copy is never served
 * again by the same client, and clear() resolves only once the store confirmed the removal (it
 * rejects otherwise), so "after clear() resolves, nothing it removed ever comes back" holds.
 */
import { describe, expect, it } from 'vitest';
import { memoryStore, StorageTimeoutError, type KeyValueStore } from '../../src/entries/index.js';
import { next, quiet, useCacheKit } from './cache-kit.js';

const kit = useCacheKit();

type Mode = 'up' | 'throw' | 'hang';

/** A memory store whose every operation throws or never answers while `mode` says so. */
const switchable = (): KeyValueStore & { mode: Mode } => {
	const inner = memoryStore('switchable');
	const store = { mode: 'up' as Mode } as KeyValueStore & { mode: Mode };
	for (const method of ['get', 'set', 'delete', 'keys', 'clear'] as const) {
		(store as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
			if (store.mode === 'throw') {
				throw new Error('store down');
			}

			if (store.mode === 'hang') {
				return new Promise(() => undefined);
			}

			return (inner[method] as (...a: unknown[]) => Promise<unknown>)(...args);
		};
	}

	return store;
};

const options = { storageTimeoutMs: 50, identity: () => 'alice' };

describe('clear() while the store fails', () => {
	for (const how of ['throw', 'hang'] as const) {
		for (const which of ['clear()', 'clear({ identity })', 'cache.clear()'] as const) {
			it(`[${how}] ${which} rejects, and the same client never serves what it removed`, async () => {
				const store = switchable();
				kit.store = store;
				const api = kit.make(options);
				const stored = next(api, 'cache:stored');
				await api.get(`clear/${how}`).text();
				await stored;
				await quiet();
				store.mode = how;
				const clear = which === 'clear()' ? api.clear() : which === 'cache.clear()' ? api.cache.clear() : api.clear({ identity: 'alice' });
				if (how === 'hang') {
					await expect(clear).rejects.toBeInstanceOf(StorageTimeoutError);
				} else {
					await expect(clear).rejects.toThrow('store down');
				}

				store.mode = 'up';
				expect(await kit.servedStale(api, `clear/${how}`)).toBe(false);
				// The removal is retried with the next write: then a reload does not find it either.
				const again = next(api, 'cache:stored');
				await api.get('clear/other').text();
				await again;
				await quiet();
				expect(await kit.servedStale(kit.make(options), `clear/${how}`)).toBe(false);
				api.close();
			});
		}
	}

	it('once the store answers, clear() resolves and a reload finds nothing', async () => {
		const store = switchable();
		kit.store = store;
		const api = kit.make(options);
		const stored = next(api, 'cache:stored');
		await api.get('clear/up').text();
		await stored;
		await quiet();
		await api.clear();
		expect(await kit.servedStale(api, 'clear/up')).toBe(false);
		expect(await kit.servedStale(kit.make(options), 'clear/up')).toBe(false);
	});
});

describe('a successful mutation while the store fails', () => {
	for (const how of ['throw', 'hang'] as const) {
		it(`[${how}] drops the URL's copy: the same client never serves it; the delete is retried with the next write`, async () => {
			const store = switchable();
			kit.store = store;
			const api = kit.make(options);
			const stored = next(api, 'cache:stored');
			await api.get(`doc/${how}`).text();
			await stored;
			await quiet();
			store.mode = how;
			await api.put(`doc/${how}`, { json: { v: 2 } }).text();
			await new Promise((resolve) => setTimeout(resolve, 150));
			store.mode = 'up';
			expect(await kit.servedStale(api, `doc/${how}`)).toBe(false);
			const again = next(api, 'cache:stored');
			await api.get(`doc/${how}-other`).text();
			await again;
			await quiet();
			expect(await kit.servedStale(kit.make(options), `doc/${how}`)).toBe(false);
			api.close();
		});
	}
});

describe('a copy the store refused, kept in memory, vs a clear made through another client of the name', () => {
	for (const which of ['clear()', 'clear({ identity })', 'cache.clear()'] as const) {
		it(`${which} through the other client: the kept copy is neither served nor written again`, async () => {
			const store = switchable();
			kit.store = store;
			const api = kit.make(options);
			const other = kit.make(options); // Same name, same store: another tab's client, as Node has no tabs.
			store.mode = 'throw';
			const refused = next(api, 'storage:error');
			await api.get('kept/copy').text();
			await refused;
			await quiet();
			store.mode = 'up';
			await (which === 'clear()' ? other.clear() : which === 'cache.clear()' ? other.cache.clear() : other.clear({ identity: 'alice' }));
			expect(await kit.servedStale(api, 'kept/copy')).toBe(false);
			const stored = next(api, 'cache:stored');
			await api.get('kept/next').text();
			await stored;
			await quiet();
			expect(await kit.servedStale(kit.make(options), 'kept/copy')).toBe(false);
			api.close();
			other.close();
		});
	}

	it('clear({ identity }) of another identity keeps it: written with the next write', async () => {
		const store = switchable();
		kit.store = store;
		const api = kit.make(options);
		const other = kit.make(options);
		store.mode = 'throw';
		const refused = next(api, 'storage:error');
		await api.get('kept/bob').text();
		await refused;
		await quiet();
		store.mode = 'up';
		await other.clear({ identity: 'bob' });
		const stored = next(api, 'cache:stored');
		await api.get('kept/next').text();
		await stored;
		await quiet();
		expect(await kit.servedStale(kit.make(options), 'kept/bob')).toBe(true);
		api.close();
		other.close();
	});
});

describe('a copy the store refused, kept in memory, vs a write delivered through another client of the name', () => {
	it('a PUT of its URL through the other client: the kept copy is neither served nor written again', async () => {
		const store = switchable();
		kit.store = store;
		const api = kit.make(options);
		const other = kit.make(options);
		store.mode = 'throw';
		const refused = next(api, 'storage:error');
		await api.get('kept/doc').text();
		await refused;
		await quiet();
		store.mode = 'up';
		await other.put('kept/doc', { json: { v: 2 } }).text();
		expect(await kit.servedStale(api, 'kept/doc')).toBe(false);
		const stored = next(api, 'cache:stored');
		await api.get('kept/next').text();
		await stored;
		await quiet();
		expect(await kit.servedStale(kit.make(options), 'kept/doc')).toBe(false);
		api.close();
		other.close();
	});
});
