/**
 * Defect hunt, thirtieth round (the stale cache, the records it reads back from storage, `client.cache`, and the
 * readers of a server's timing headers). API.md "Sensitive data": records read from storage are validated before use,
 * a malformed one is ignored and reported as `storage:error`; the standards: what comes from outside is parsed
 * defensively and bounded by the options. Each test names its claim.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isRecord } from '../../src/cache/record.js';
import { createClient as createPreset, type StorageErrorEvent } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { mapStore } from '../helpers/test-stores.js';
import { next } from './cache-kit.js';

const t0 = 1_700_000_000_000;

afterEach(() => {
	vi.unstubAllGlobals();
});

describe('a stored record\'s head is bounded before it is walked (isRecord)', () => {
	/** A list of `count` well-formed pairs whose items read are counted in `seen`. */
	const counted = (count: number, seen: { items: number }): [string, string][] => new Proxy(Array.from({ length: count }, (_, index): [string, string] => [`x-h${index}`, 'v']), {
		get(target, property, receiver) {
			if (typeof property === 'string' && /^\d+$/.test(property)) {
				seen.items++;
			}

			return Reflect.get(target, property, receiver) as unknown;
		},
	});

	const record = (headers: unknown, vary: unknown) => ({
		v: 2, url: 'https://a.test/x', storedAt: t0, born: t0, until: t0 + 60_000, lifetime: 60, status: 200, statusText: 'OK', headers, vary, body: new ArrayBuffer(2),
	});

	it.each([
		['headers', (list: unknown) => record(list, [])],
		['vary', (list: unknown) => record([], list)],
	])('a record with 1,000,000 %s is refused having read at most the 256 a record may hold', (_, make) => {
		const seen = { items: 0 };
		expect(isRecord(make(counted(1_000_000, seen)))).toBe(false);
		// Before: 1000000 items read (every pair checked, then the count found over 256), on a request's path.
		expect(seen.items).toBeLessThanOrEqual(257);
	});

	it('a record of 256 header fields in all is still one', () => {
		const seen = { items: 0 };
		expect(isRecord(record(counted(200, seen), Array.from({ length: 56 }, (_, index) => [`x-v${index}`, null])))).toBe(true);
		expect(isRecord(record(counted(200, seen), Array.from({ length: 57 }, (_, index) => [`x-v${index}`, null])))).toBe(false);
	});
});

describe('cache.list() meets an unusable stored record as a request\'s read does: reported once, and removed', () => {
	/** A client over `records` whose one stored copy (of https://a.test/x) is then replaced by `corrupt(record)`. */
	const corrupted = async (corrupt: (record: Record<string, unknown>) => unknown) => {
		const records = new Map<string, unknown>();
		const api = createPreset({
			name: 'hunt30-list', clock: new ManualClock(t0), store: mapStore(records), retry: 0, breaker: false,
			fetch: (async () => new Response('ok', { headers: { 'cache-control': 'max-age=60' } })) as typeof fetch,
		});
		const stored = next(api, 'cache:stored');
		await api.get('https://a.test/x').text();
		await stored;
		const [key, record] = [...records].find(([each]) => each.startsWith('r:'))!;
		records.set(key, corrupt(record as Record<string, unknown>));
		const errors: StorageErrorEvent[] = [];
		api.on('storage:error', (event) => errors.push(event));
		return { api, key, errors, records };
	};

	it.each([
		['a Set-Cookie kept', (record: Record<string, unknown>) => ({ ...record, headers: [...record['headers'] as unknown[], ['set-cookie', 'sid=1']] })],
		['no record at all', () => 'garbage'],
	])('unreadable (%s): one storage:error over three list() calls, and the record is gone', async (_, corrupt) => {
		const { api, key, errors, records } = await corrupted(corrupt);
		for (let index = 0; index < 3; index++) {
			expect(await api.cache.list()).toEqual([]);
		}

		// Before: 3 reports (one per list(), the record never removed) and the record still stored.
		expect([errors.length, records.has(key)]).toEqual([1, false]);
		api.close();
	});

	it('past its limit (maxStaleMs): removed when met, not reported (no fault)', async () => {
		const { api, key, errors, records } = await corrupted((record) => ({ ...record, storedAt: t0 - 2 * 86_400_000, born: t0 - 2 * 86_400_000 }));
		expect(await api.cache.list()).toEqual([]);
		// Before: [0, true] (ignored, kept stored though `maxStaleMs` says "A copy past its limit is removed when met").
		expect([errors.length, records.has(key)]).toEqual([0, false]);
		api.close();
	});

	it('a usable record stays listed and stored (as before)', async () => {
		const { api, key, errors, records } = await corrupted((record) => record);
		expect((await api.cache.list()).map(({ url }) => url)).toEqual(['https://a.test/x']);
		expect([errors.length, records.has(key)]).toEqual([0, true]);
		api.close();
	});
});
