/**
 * clear() and a successful mutation while the store fails or hangs: a removed copy is never served
 * again by the same client, and clear() resolves only once the store confirmed the removal (it
 * rejects otherwise), so "after clear() resolves, nothing it removed ever comes back" holds.
 */
import { describe, expect, it } from 'vitest';
import { memoryStore, StorageTimeoutError } from '../../src/entries/index.js';
import { switchableStore } from '../helpers/switchable-store.js';
import { next, quiet, useCacheKit } from './cache-kit.js';

const kit = useCacheKit();

const options = { storageTimeoutMs: 50, identity: () => 'alice' };

/** A client on a store that fails on demand (`switchableStore`), made the kit's store. */
const onSwitchable = () => {
	const store = switchableStore(memoryStore('switchable'));
	kit.store = store;
	return { store, api: kit.make(options) };
};

/** `api`'s GET of `path`, once its copy is stored and the store is quiet. */
const getStored = async (api: ReturnType<typeof kit.make>, path: string): Promise<void> => {
	const stored = next(api, 'cache:stored');
	await api.get(path).text();
	await stored;
	await quiet();
};

/**
 * A client holding `path`'s copy in memory, as the store refused it, and another of the same name
 * and store: another tab's client, as Node has no tabs. The store answers again.
 */
const keptCopy = async (path: string) => {
	const { store, api } = onSwitchable();
	const other = kit.make(options);
	store.mode = 'throw';
	const refused = next(api, 'storage:error');
	await api.get(path).text();
	await refused;
	await quiet();
	store.mode = 'up';
	return { api, other };
};

describe('clear() while the store fails', () => {
	for (const how of ['throw', 'hang'] as const) {
		for (const which of ['clear()', 'clear({ identity })', 'cache.clear()'] as const) {
			it(`[${how}] ${which} rejects, and the same client never serves what it removed`, async () => {
				const { store, api } = onSwitchable();
				await getStored(api, `clear/${how}`);
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
				await getStored(api, 'clear/other');
				expect(await kit.servedStale(kit.make(options), `clear/${how}`)).toBe(false);
				api.close();
			});
		}
	}

	it('once the store answers, clear() resolves and a reload finds nothing', async () => {
		const { api } = onSwitchable();
		await getStored(api, 'clear/up');
		await api.clear();
		expect(await kit.servedStale(api, 'clear/up')).toBe(false);
		expect(await kit.servedStale(kit.make(options), 'clear/up')).toBe(false);
	});
});

describe('a successful mutation while the store fails', () => {
	for (const how of ['throw', 'hang'] as const) {
		it(`[${how}] drops the URL's copy: the same client never serves it; the delete is retried with the next write`, async () => {
			const { store, api } = onSwitchable();
			await getStored(api, `doc/${how}`);
			store.mode = how;
			const refused = next(api, 'storage:error');
			await api.put(`doc/${how}`, { json: { v: 2 } }).text();
			// The store refused (or timed out on) the removal of the URL's copies.
			await refused;
			store.mode = 'up';
			expect(await kit.servedStale(api, `doc/${how}`)).toBe(false);
			await getStored(api, `doc/${how}-other`);
			expect(await kit.servedStale(kit.make(options), `doc/${how}`)).toBe(false);
			api.close();
		});
	}
});

describe('a copy the store refused, kept in memory, vs a clear made through another client of the name', () => {
	for (const which of ['clear()', 'clear({ identity })', 'cache.clear()'] as const) {
		it(`${which} through the other client: the kept copy is neither served nor written again`, async () => {
			const { api, other } = await keptCopy('kept/copy');
			await (which === 'clear()' ? other.clear() : which === 'cache.clear()' ? other.cache.clear() : other.clear({ identity: 'alice' }));
			expect(await kit.servedStale(api, 'kept/copy')).toBe(false);
			await getStored(api, 'kept/next');
			expect(await kit.servedStale(kit.make(options), 'kept/copy')).toBe(false);
			api.close();
			other.close();
		});
	}

	it('clear({ identity }) of another identity keeps it: written with the next write', async () => {
		const { api, other } = await keptCopy('kept/bob');
		await other.clear({ identity: 'bob' });
		await getStored(api, 'kept/next');
		expect(await kit.servedStale(kit.make(options), 'kept/bob')).toBe(true);
		api.close();
		other.close();
	});
});

describe('a copy the store refused, kept in memory, vs a write delivered through another client of the name', () => {
	it('a PUT of its URL through the other client: the kept copy is neither served nor written again', async () => {
		const { api, other } = await keptCopy('kept/doc');
		await other.put('kept/doc', { json: { v: 2 } }).text();
		expect(await kit.servedStale(api, 'kept/doc')).toBe(false);
		await getStored(api, 'kept/next');
		expect(await kit.servedStale(kit.make(options), 'kept/doc')).toBe(false);
		api.close();
		other.close();
	});
});
