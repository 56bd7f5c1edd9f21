/**
 * Defect hunt, thirty-eighth round (the stale cache). Each test names its claim.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { collect, copiedUrl, settle, t0 } from './cache-kit.js';

/** A store whose `keys()` answers each key twice (a custom store over a log, or one listing two segments that overlap). */
const doubling = (): KeyValueStore => {
	const inner = memoryStore('h38-doubling');
	return { ...inner, keys: async () => [...await inner.keys(), ...await inner.keys()] };
};

describe('a custom store whose keys() answers a key twice', () => {
	it('cache.list() shows each stored copy once', async () => {
		const store = doubling();
		const api = createClient({
			name: 'h38-dup-list', clock: new ManualClock(t0), store: () => store, retry: 0, breaker: false,
			fetch: (async () => new Response('v1', { headers: { 'cache-control': 'max-age=60' } })) as typeof fetch,
		});
		await api.get(copiedUrl).text();
		await expect.poll(async () => (await store.keys()).length).toBeGreaterThan(0);
		expect((await api.cache.list()).map(({ url }) => url)).toEqual([copiedUrl]);
		api.close();
	});

	it('an unreadable record it meets is reported once', async () => {
		const store = doubling();
		const api = createClient({
			name: 'h38-dup-decode', clock: new ManualClock(t0), store: () => store, retry: 0, breaker: false,
			fetch: (async () => new Response('v1', { headers: { 'cache-control': 'max-age=60' } })) as typeof fetch,
		});
		await api.get(copiedUrl).text();
		await expect.poll(async () => (await store.keys()).length).toBeGreaterThan(0);
		const [key] = await store.keys();
		await store.set(key!, { v: 2, url: 'forged' });
		const errors = collect(api, 'storage:error');
		expect(await api.cache.list()).toEqual([]);
		await settle();
		expect(errors.filter(({ operation }) => operation === 'decode').length).toBe(1);
		api.close();
	});
});
