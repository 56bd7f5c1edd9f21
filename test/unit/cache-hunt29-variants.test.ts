/**
 * Defect hunt, twenty-ninth round (the stale cache and its stores; hedge's and the rate limiter's reading of a server's
 * headers). API.md: a server's `RateLimit` (either draft form) tells when its quota resets, and a reset given as epoch
 * seconds is a time, not a delay; the stale cache bounds what a server's headers and a stored record say by its options,
 * never stores a secret, and never lets a store that fails or stalls fail or stall a call. Each test names its claim.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient as createPreset, isStale, memoryStore, type StorageErrorEvent } from '../../src/entries/index.js';
import { serverQuota } from '../../src/rate-limit/headers.js';
import { hedgedAfter } from '../helpers/hedge-pause.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { heldWrites, mapStore } from '../helpers/test-stores.js';
import { waitFor } from '../helpers/wait-for.js';
import { next } from './cache-kit.js';

const t0 = 1_700_000_000_000;

afterEach(() => {
	vi.unstubAllGlobals();
});

describe('hedge(): a 429\'s RateLimit fields pause the origin\'s hedges as its Retry-After does', () => {
	it.each([
		['RateLimit-Reset: 20', 429, { 'ratelimit-remaining': '0', 'ratelimit-reset': '20' }],
		['RateLimit-Reset as epoch seconds', 429, { 'ratelimit-reset': String(t0 / 1000 + 20) }],
		['RateLimit: limit=10, remaining=0, reset=20', 429, { ratelimit: 'limit=10, remaining=0, reset=20' }],
		['RateLimit structured form', 429, { ratelimit: '"default";r=0;t=20' }],
		['X-RateLimit-Reset as epoch seconds', 429, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(t0 / 1000 + 20) }],
	])('%s: no hedge to the origin before the reset, one after it', async (_, status, headers) => {
		// Before: true (only Retry-After was read: a call 10 s later was hedged into the spent quota).
		expect(await hedgedAfter(status, headers, 10_000)).toBe(false);
		expect(await hedgedAfter(status, headers, 20_001)).toBe(true);
	});

	it('bounded as a Retry-After is (retry.maxRetryAfter, 30 s), and read only on a 429', async () => {
		expect(await hedgedAfter(429, { 'ratelimit-reset': '3600' }, 30_001)).toBe(true);
		expect(await hedgedAfter(429, { ratelimit: '"daily";r=0;t=86400' }, 29_000)).toBe(false);
		// A 200 that tells its quota is the rate limiter's to read: no pause of hedges; nor a 5xx's reset fields, which many APIs
		// send with every answer (a quota with requests left, resetting in an hour): the quota is not what failed.
		expect(await hedgedAfter(200, { 'ratelimit-reset': '20' }, 10_000)).toBe(true);
		expect(await hedgedAfter(503, { 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': String(t0 / 1000 + 3600) }, 10_000)).toBe(true);
		// A 5xx's Retry-After still holds them, as before.
		expect(await hedgedAfter(503, { 'retry-after': '20', 'x-ratelimit-reset': '1' }, 10_000)).toBe(false);
		// Malformed: no pause.
		expect(await hedgedAfter(429, { 'ratelimit-reset': '-5', ratelimit: 'reset=soon' }, 10)).toBe(true);
	});
});

describe('rateLimit(): a reset given as epoch seconds is a time, in every field that gives one', () => {
	const quota = (headers: Record<string, string>) => serverQuota(new Response(null, { headers }), t0);

	it.each([
		['RateLimit: limit=10, remaining=0, reset=<epoch>', { ratelimit: `limit=10, remaining=0, reset=${t0 / 1000 + 2}` }],
		['RateLimit structured, t=<epoch>', { ratelimit: `"default";r=0;t=${t0 / 1000 + 2}` }],
		['RateLimit-Remaining + RateLimit-Reset (draft fields)', { 'ratelimit-limit': '10', 'ratelimit-remaining': '0', 'ratelimit-reset': '2' }],
		['RateLimit-Reset as epoch seconds', { 'ratelimit-remaining': '0', 'ratelimit-reset': String(t0 / 1000 + 2) }],
	])('%s: nothing left for 2 s', (_, headers) => {
		// Before: resetMs 1,700,000,002,000 (capped by maxResetMs, a minute, by the caller), or nothing read from the draft fields (undefined).
		expect(quota(headers)).toMatchObject({ remaining: 0, resetMs: 2000 });
	});

	it('an epoch already past is a reset now; a delta stays a delta', () => {
		expect(quota({ ratelimit: `limit=10, remaining=0, reset=${t0 / 1000 - 60}` })).toMatchObject({ resetMs: 0 });
		expect(quota({ ratelimit: 'limit=10, remaining=0, reset=86400' })).toMatchObject({ resetMs: 86_400_000 });
		expect(quota({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2' })).toMatchObject({ resetMs: 2000 });
	});
});

describe('a malformed stored record is ignored and reported as storage:error (API.md "Sensitive data") wherever it is read', () => {
	/** A client over `records` whose one stored copy (of https://a.test/x, with an ETag) is then replaced by `corrupt(record)`. */
	const corrupted = async (corrupt: (record: Record<string, unknown>) => unknown) => {
		const records = new Map<string, unknown>();
		const api = createPreset({
			name: 'hunt29-corrupt', clock: new ManualClock(t0), store: mapStore(records), retry: 0, breaker: false,
			fetch: (async () => new Response('ok', { headers: { 'cache-control': 'max-age=60', etag: '"v1"' } })) as typeof fetch,
		});
		const stored = next(api, 'cache:stored');
		await api.get('https://a.test/x').text();
		await stored;
		const [key, record] = [...records].find(([each]) => each.startsWith('r:'))!;
		records.set(key, corrupt(record as Record<string, unknown>));
		const errors: StorageErrorEvent[] = [];
		api.on('storage:error', (event) => errors.push(event));
		return { api, key, errors };
	};

	it.each([
		['headers that are no list', (record: Record<string, unknown>) => ({ ...record, headers: 'set-cookie: x' })],
		['a head over what a record holds', (record: Record<string, unknown>) => ({ ...record, statusText: 'x'.repeat(2000) })],
		['a Set-Cookie kept', (record: Record<string, unknown>) => ({ ...record, headers: [...record['headers'] as unknown[], ['set-cookie', 'sid=1']] })],
		['no record at all', () => 'garbage'],
	])('cache.list(): %s', async (_, corrupt) => {
		const { api, key, errors } = await corrupted(corrupt);
		expect(await api.cache.list()).toEqual([]);
		// Before: [] (ignored, never reported).
		expect(errors.map(({ part, operation, key: named }) => [part, operation, named])).toEqual([['cache', 'decode', key]]);
		api.close();
	});

	it('a record that is well formed but past its limit is no fault: ignored, not reported', async () => {
		const { api, errors } = await corrupted((record) => ({ ...record, until: t0 - 1 }));
		expect(await api.cache.list()).toEqual([]);
		expect(errors).toEqual([]);
		api.close();
	});
});

describe('a server\'s Date far in the past gives no decades of freshness (bounded by the stale cache\'s options, RFC 9111 §4.2.3)', () => {
	/** A client whose origin answers with `headers`, or fails as a dropped connection while `down`. */
	const origin = (headers: Record<string, string>) => {
		const state = { down: false };
		const clock = new ManualClock(t0);
		const api = createPreset({
			name: 'hunt29-date', clock, store: mapStore(new Map()), retry: 0, breaker: false, staleCache: { maxStaleMs: 3_600_000 },
			fetch: (async () => {
				if (state.down) {
					throw new TypeError('fetch failed');
				}

				return new Response('ok', { headers });
			}) as typeof fetch,
		});
		return { api, state, clock };
	};

	/** The `Cache-Status` a failed GET is answered with `laterMs` after its copy was stored, or the error's name. */
	const answered = async (headers: Record<string, string>, laterMs: number): Promise<string> => {
		const { api, state, clock } = origin(headers);
		const stored = next(api, 'cache:stored');
		await api.get('https://a.test/x').text();
		await stored;
		clock.advance(laterMs);
		state.down = true;
		const answer = await api.get('https://a.test/x').then((response) => response.headers.get('cache-status') ?? 'fresh', (error: Error) => error.name);
		api.close();
		return answer;
	};

	const expires = new Date(t0 + 60_000).toUTCString();

	it('Date: 1 January 2000 with Expires a minute ahead and stale-if-error=60: fresh for a minute, servable for two', async () => {
		const headers = { date: 'Sat, 01 Jan 2000 00:00:00 GMT', expires, 'cache-control': 'stale-if-error=60' };
		// Before: 'steadfetch; hit; ttl=1699999910; detail=network' (fresh for 23 years, as Expires − Date), and served 23 years on.
		expect(await answered(headers, 30_000)).toBe('steadfetch; hit; ttl=30; detail=network');
		expect(await answered(headers, 119_000)).toBe('steadfetch; hit; ttl=-59; detail=network');
		// Before: served (ttl=1699999880).
		expect(await answered(headers, 121_000)).toBe('NetworkError');
	});

	it('with must-revalidate: only while fresh, a minute — not past maxStaleMs either', async () => {
		const headers = { date: 'Sat, 01 Jan 2000 00:00:00 GMT', expires, 'cache-control': 'must-revalidate' };
		expect(await answered(headers, 59_000)).toBe('steadfetch; hit; ttl=1; detail=network');
		expect(await answered(headers, 61_000)).toBe('NetworkError');
	});

	it('a Date ahead of the client\'s clock (the server\'s runs fast) still gives Expires − Date, and no Date the time received', async () => {
		expect(await answered({ date: new Date(t0 + 30_000).toUTCString(), expires, 'cache-control': 'must-revalidate' }, 29_000)).toBe('steadfetch; hit; ttl=1; detail=network');
		expect(await answered({ date: new Date(t0 + 30_000).toUTCString(), expires, 'cache-control': 'must-revalidate' }, 31_000)).toBe('NetworkError');
		expect(await answered({ expires, 'cache-control': 'must-revalidate' }, 59_000)).toBe('steadfetch; hit; ttl=1; detail=network');
	});
});

describe('neighbours that hold: a clear made while a copy is on its way to the store leaves nothing it removed (API.md "Identity")', () => {
	const clears = [
		['client.clear()', (api: ReturnType<typeof createPreset>) => api.clear()],
		['client.cache.clear()', (api: ReturnType<typeof createPreset>) => api.cache.clear()],
		['client.cache.delete(url)', (api: ReturnType<typeof createPreset>) => api.cache.delete('https://a.test/x')],
		['client.clear({ identity })', (api: ReturnType<typeof createPreset>) => api.clear({ identity: 'alice' })],
	] as const;

	/** A client of alice's over `store` whose origin answers with a copy, or fails as a dropped connection while `state.down`. */
	const client = (store: () => ReturnType<typeof memoryStore>, state: { down: boolean }, clock: ManualClock) => createPreset({
		name: 'hunt29-neighbours', clock, store, retry: 0, breaker: false, identity: () => 'alice',
		fetch: (async () => {
			if (state.down) {
				throw new TypeError('fetch failed');
			}

			return new Response('ok', { headers: { 'cache-control': 'max-age=60' } });
		}) as typeof fetch,
	});

	/** How a GET of https://a.test/x is answered by `api` while the origin is down: 'stale', or the error's name. */
	const whileDown = async (api: ReturnType<typeof createPreset>): Promise<string> =>
		api.get('https://a.test/x').then((response) => isStale(response) ? 'stale' : 'fresh', (error: Error) => error.name);

	it.each(clears)('%s while the store holds the copy\'s write: it lands, and is deleted again; no client serves it', async (_, clear) => {
		const held = heldWrites('r:');
		const state = { down: false };
		const clock = new ManualClock(t0);
		const api = client(() => held.store, state, clock);
		held.hold();
		await api.get('https://a.test/x').text();
		await waitFor(() => held.holding(), 'the copy\'s write, held');
		await clear(api);
		held.release();
		await waitFor(async () => (await held.inner.keys()).every((key) => !key.startsWith('r:')), 'the landed copy deleted again');
		state.down = true;
		expect([await whileDown(api), await whileDown(client(() => held.store, state, clock))]).toEqual(['NetworkError', 'NetworkError']);
		api.close();
	});

	it.each(clears)('%s while the store refused the copy (a quota error) and kept it in memory: not written again with the next copy', async (_, clear) => {
		const inner = memoryStore('hunt29-kept');
		const state = { down: false, refusing: true };
		const store = { ...inner, async set(key: string, value: unknown) {
			if (state.refusing && key.startsWith('r:')) {
				throw new DOMException('The quota has been exceeded', 'QuotaExceededError');
			}

			return inner.set(key, value);
		} };
		const clock = new ManualClock(t0);
		const api = client(() => store, state, clock);
		const refused = next(api, 'storage:error');
		await api.get('https://a.test/x').text();
		expect((await refused).operation).toBe('set');
		await clear(api);
		state.refusing = false;
		clock.advance(2000);
		const stored = next(api, 'cache:stored');
		await api.get('https://a.test/y').text();
		await stored;
		state.down = true;
		expect((await inner.keys()).filter((key) => key.startsWith('r:')).map((key) => key.split('~')[2])).toEqual(['https://a.test/y']);
		expect([await whileDown(api), await whileDown(client(() => store, state, clock))]).toEqual(['NetworkError', 'NetworkError']);
		api.close();
	});
});
