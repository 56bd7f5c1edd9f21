/** Variants of the stale cache's claims (defect hunt, third round). */
import { describe, expect, it } from 'vitest';
import { collect, next, quiet, useCacheKit, type CacheKit } from './cache-kit.js';

const kit = useCacheKit();

const fetchAndStore = async (api: ReturnType<CacheKit['make']>, path: string) => {
	const stored = next(api, 'cache:stored');
	await api.get(path).text();
	return stored;
};

describe('records read from storage are validated before use', () => {
	const good = { v: 2, url: 'x', storedAt: 0, lifetime: 0, born: 0, until: 0, status: 200, statusText: 'OK', headers: [], vary: [], body: new ArrayBuffer(2) };
	const planted: Array<[string, Record<string, unknown>]> = [
		['a header that is no pair', { headers: [['content-type']] }],
		['a header name fetch refuses', { headers: [['bad name', 'x']] }],
		['a header value with a newline', { headers: [['x-a', 'a\nb']] }],
		['headers that are no array of arrays', { headers: ['content-type: text/plain'] }],
		['a vary entry that is no pair', { vary: [5] }],
		['a vary name fetch refuses', { vary: [['bad name', null]] }],
		['a statusText fetch refuses', { statusText: 'O\nK' }],
		['a statusText that is no string', { statusText: { toString: 5 } }],
		['a negative lifetime', { lifetime: -1e300 }],
	];
	for (const [what, fields] of planted) {
		it(`${what}: skipped, reported as storage:error, removed; the original error is thrown`, async () => {
			const api = kit.make();
			const path = `planted/${what.replaceAll(' ', '-')}`;
			await fetchAndStore(api, path);
			await quiet();
			const [key] = (await kit.store.keys()).filter((name) => name.includes(path));
			const stored = await kit.store.get<Record<string, unknown>>(key!);
			await kit.store.set(key!, { ...good, ...stored, ...fields });
			const errors = collect(api, 'storage:error');
			kit.mode = 'refuse';
			await expect(api.get(path)).rejects.toMatchObject({ name: 'NetworkError' });
			await quiet();
			expect(errors).toMatchObject([{ part: 'cache', operation: 'decode', key }]);
			expect(await kit.store.keys()).not.toContain(key);
		});
	}
});
