/**
 * Defect hunt, thirtieth round (the stale cache, the records it reads back from storage, `client.cache`, and the
 * readers of a server's timing headers). API.md "Sensitive data": records read from storage are validated before use,
 * a malformed one is ignored and reported as `storage:error`; the standards: what comes from outside is parsed
 * defensively and bounded by the options. Each test names its claim.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isRecord } from '../../src/cache/record.js';
import { createClient as createPreset, type StorageErrorEvent } from '../../src/entries/index.js';
import { serverQuota } from '../../src/rate-limit/headers.js';
import { resetMsOf } from '../../src/utils/runtime.js';
import { hedgedAfter } from '../helpers/hedge-pause.js';
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

describe('a quota reset given in epoch milliseconds is a time too (resetMsOf: one rule for every reader of a reset field)', () => {
	const quota = (headers: Record<string, string>) => serverQuota(new Response(null, { headers }), t0);

	it.each([
		['X-RateLimit-Reset', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(t0 + 2000) }],
		['RateLimit-Reset (the draft\'s earlier field)', { 'ratelimit-remaining': '0', 'ratelimit-reset': String(t0 + 2000) }],
		['RateLimit: limit=10, remaining=0, reset=<epoch ms>', { ratelimit: `limit=10, remaining=0, reset=${t0 + 2000}` }],
		['RateLimit structured, t=<epoch ms>', { ratelimit: `"default";r=0;t=${t0 + 2000}` }],
	])('%s: nothing left for 2 s', (_, headers) => {
		// Before: resetMs 1698300000000000 (read as epoch seconds: 54,000 years, then cut to maxResetMs, a minute, by the caller).
		expect(quota(headers)).toMatchObject({ remaining: 0, resetMs: 2000 });
	});

	it('the neighbours: delta seconds, epoch seconds, an epoch already past, a huge value, and what is malformed', () => {
		expect([2, 3600, t0 / 1000 + 2, t0 / 1000 - 60, t0 - 60_000, t0 + 2000.5].map((reset) => resetMsOf(reset, t0))).toEqual([2000, 3_600_000, 2000, 0, 0, 2000.5]);
		// A value too long for a double: a reset the caller bounds (maxResetMs), as before.
		expect(quota({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '9'.repeat(400) })?.resetMs).toBe(Number.POSITIVE_INFINITY);
		for (const reset of ['-5', 'soon', '1e12', '']) {
			expect(quota({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset })).toBeUndefined();
		}
	});

	it('hedge() reads it so too: a 429 whose X-RateLimit-Reset is 2 s ahead in epoch ms pauses the hedges 2 s, not 30', async () => {
		// Before: false (the origin paused for retry.maxRetryAfter, 30 s, as for a reset 54,000 years ahead).
		expect(await hedgedAfter(429, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(t0 + 2000) }, 2001)).toBe(true);
	});
});

describe('hedge(): a 429 whose RateLimit lists several policies pauses the hedges until the spent one resets (as rateLimit() reads it)', () => {
	it.each([
		['structured form', { ratelimit: '"burst";r=0;t=2, "daily";r=500;t=86400' }],
		['first form, a policy per field line', { ratelimit: 'limit=10, remaining=0, reset=2, limit=1000, remaining=500, reset=86400' }],
		['the spent policy listed last', { ratelimit: '"daily";r=500;t=86400, "burst";r=0;t=2' }],
	])('%s: the burst policy (0 left, 2 s) is the pause, not the daily one with requests left', async (_, headers) => {
		expect(await hedgedAfter(429, headers, 1000)).toBe(false);
		// Before: false (paused for retry.maxRetryAfter, 30 s: the daily policy's reset, a day, was taken though its quota has 500 left).
		expect(await hedgedAfter(429, headers, 2001)).toBe(true);
	});

	it('neighbours that hold: a reset with no remaining said, and a Retry-After, still pause', async () => {
		expect(await hedgedAfter(429, { 'x-ratelimit-reset': '20' }, 10_000)).toBe(false);
		expect(await hedgedAfter(429, { ratelimit: '"burst";r=0;t=2', 'retry-after': '20' }, 10_000)).toBe(false);
		expect(await hedgedAfter(429, { ratelimit: '"daily";r=500;t=86400, "burst";r=0;t=20' }, 10_000)).toBe(false);
	});
});
