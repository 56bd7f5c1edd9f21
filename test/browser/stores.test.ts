import { describe, expect, it } from 'vitest';
import { autoStore, cacheApiStore, indexedDbStore } from '../../src/entries/index.js';
import { storeCases } from '../contract/stores.js';

describe('stores in real Chromium', () => {
	for (const { name, run } of [
		...storeCases('indexedDbStore', indexedDbStore),
		...storeCases('cacheApiStore', cacheApiStore),
		...storeCases('autoStore (IndexedDB in browsers)', autoStore),
	]) {
		it(name, run);
	}

	it('indexedDbStore opens one database per namespace, lazily (none before the first call)', async () => {
		const namespace = `lazy-${Math.random().toString(36).slice(2)}`;
		const store = indexedDbStore(namespace);
		const before = (await indexedDB.databases()).map((database) => database.name);
		expect(before).not.toContain(`steadfetch:${namespace}`);
		await store.set('k', 1);
		const after = (await indexedDB.databases()).map((database) => database.name);
		expect(after).toContain(`steadfetch:${namespace}`);
	});
});
