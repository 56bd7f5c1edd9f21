/**
 * Defect hunt, thirty-first round (the stale cache: which answer decides the copy kept). RFC 9111 §4: the most recent
 * response decides; a copy the server no longer allows is not served. Each test names its claim.
 */
import { describe, expect, it } from 'vitest';
import { createClient, isStale } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { mapStore } from '../helpers/test-stores.js';
import { collect, next, settle } from './cache-kit.js';

const t0 = 1_700_000_000_000;
const hour = 3_600_000;

/** A client whose origin answers `body` with `headers`, or fails as a dropped connection while `down`. */
const origin = (maxStaleMs?: number) => {
	const records = new Map<string, unknown>();
	const clock = new ManualClock(t0);
	const state = { down: false, headers: {} as Record<string, string> };
	const api = createClient({
		name: `hunt31-${Math.random()}`, clock, store: mapStore(records), retry: 0, breaker: false, ...(maxStaleMs === undefined ? {} : { staleCache: { maxStaleMs } }),
		fetch: (async () => {
			if (state.down) {
				throw new TypeError('fetch failed');
			}

			return new Response('v1', { headers: state.headers });
		}) as typeof fetch,
	});
	/** Stored with `headers`, then `laterMs` on with the origin down: the `Cache-Status` of the answer, or the error's name. */
	const servedAfter = async (url: string, headers: Record<string, string>, laterMs: number): Promise<string> => {
		state.headers = headers;
		const stored = next(api, 'cache:stored');
		await api.get(url).text();
		await stored;
		clock.advance(laterMs);
		state.down = true;
		try {
			const response = await api.get(url);
			return isStale(response) ? response.headers.get('cache-status')! : 'fresh';
		} catch (error) {
			return (error as Error).name;
		} finally {
			state.down = false;
		}
	};

	return { api, clock, state, records, servedAfter };
};

/**
 * A copy of https://a.test/x answered with `first` (and `etag`), then 5 s on an answer with `then`: the `Cache-Status` 2 h on
 * with the origin down (or the error's name), and how many copies were stored.
 */
const overwritten = async (first: string, then: string, etag?: string): Promise<[string, number]> => {
	const { api, clock, state, servedAfter } = origin();
	const stored = collect(api, 'cache:stored');
	const tag: Record<string, string> = etag === undefined ? {} : { etag };
	expect(await servedAfter('https://a.test/x', { ...tag, 'cache-control': first }, 5000)).toMatch(/^steadfetch; hit;/);
	state.headers = { ...tag, 'cache-control': then };
	await api.get('https://a.test/x').text();
	await settle();
	clock.advance(2 * hour);
	state.down = true;
	const answer = await api.get('https://a.test/x').then((response) => response.headers.get('cache-status')!, (error: Error) => error.name);
	api.close();
	return [answer, stored.length];
};

describe('a newer answer that allows no stale copy at all drops the older copy (RFC 9111 §4: the most recent response decides)', () => {
	it.each([
		['max-age=0, must-revalidate'],
		['must-revalidate'],
		['max-age=0, proxy-revalidate'],
		['max-age=0, stale-if-error=0'],
	])('max-age=60, then %s', async (then) => {
		// Before: ['steadfetch; hit; ttl=-7145; detail=network', 1] (the newer answer was not copied, 'expired', and the older copy stayed).
		expect(await overwritten('max-age=60', then)).toEqual(['NetworkError', 1]);
	});

	it('neighbours: a newer answer that may be served is stored in its place; a no-cache one drops it (as before)', async () => {
		expect(await overwritten('max-age=60', 'max-age=30')).toEqual(['steadfetch; hit; ttl=-7170; detail=network', 2]);
		expect(await overwritten('max-age=60', 'no-cache')).toEqual(['NetworkError', 1]);
	});
});

describe('an answer of the copy\'s ETag whose Cache-Control says otherwise is no unchanged answer: it replaces the copy', () => {
	it.each([
		// Stored in its place: servable two minutes.
		['max-age=60, stale-if-error=60', 2],
		// Allows no stale copy: the older one goes.
		['max-age=0, must-revalidate', 1],
	])('ETag "a" with max-age=60, then ETag "a" with %s', async (then, copies) => {
		// Before: ['steadfetch; hit; ttl=-7145; detail=network', 1] (taken as unchanged, not copied: the first copy served under its own word).
		expect(await overwritten('max-age=60', then, '"a"')).toEqual(['NetworkError', copies]);
	});

	it('a wider Cache-Control of the same ETag is copied too (its Age and ttl as the newer answer says)', async () => {
		// Before: ['steadfetch; hit; ttl=-7145; detail=network', 1].
		expect(await overwritten('max-age=60', 'max-age=30, stale-if-error=86400', '"a"')).toEqual(['steadfetch; hit; ttl=-7170; detail=network', 2]);
	});

	it('neighbour: the same answer again within 60 s is not copied again, and is served as the copy says', async () => {
		expect(await overwritten('max-age=60', 'max-age=60', '"a"')).toEqual(['steadfetch; hit; ttl=-7145; detail=network', 1]);
	});
});
