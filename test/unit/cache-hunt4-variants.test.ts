/** Variants of the stale cache's claims (defect hunt, fourth round). */
import { describe, expect, it } from 'vitest';
import { next, quiet, useCacheKit, type CacheKit } from './cache-kit.js';

const kit = useCacheKit();

const fetchAndStore = async (api: ReturnType<CacheKit['make']>, path: string) => {
	const stored = next(api, 'cache:stored');
	await api.get(path).text();
	return stored;
};

describe('cache.delete(url) resolves the URL as a call does', () => {
	it('with the client\'s searchParams: the copy a call of that input stored goes', async () => {
		const api = kit.make({ searchParams: { v: 2 } });
		expect((await fetchAndStore(api, 'users/1')).url).toBe(`${kit.url}/users/1?v=2`);
		await api.cache.delete('users/1');
		expect(await api.cache.list()).toEqual([]);
		expect(await kit.servedStale(api, 'users/1')).toBe(false);
		// The stored URL itself (a response's `url`, a `list()` entry's) still names it.
		const { url } = await fetchAndStore(api, 'users/1');
		await api.cache.delete(url);
		expect(await api.cache.list()).toEqual([]);
	});

	it('with the client\'s searchParams as a string, and an input with a query of its own: appended as ky appends them', async () => {
		const api = kit.make({ searchParams: 'v=2' });
		expect((await fetchAndStore(api, 'users/2?x=1')).url).toBe(`${kit.url}/users/2?x=1&v=2`);
		await api.cache.delete('users/2?x=1');
		expect(await api.cache.list()).toEqual([]);
	});
});
