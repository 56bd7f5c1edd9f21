/**
 * The forty-second round on the stale cache, variants: a 304 to the app's own conditional request updates the stored
 * copy's headers (RFC 9111 §4.3.4), so one whose headers let no stale copy answer from now on drops it, as a 200 saying
 * so does (copy-plan.ts step 4, `expired`); the hunt-38 neighbours (no-store, no-cache) dropped it already.
 */
import { describe, expect, it } from 'vitest';
import { copyPlan } from '../../src/cache/copy-plan.js';
import { afterNewer, answering, copiedUrl, outcome, settle, t0 } from './cache-kit.js';

const conditional = { requestHeaders: { 'if-none-match': '"e1"' } };

describe('a 304 to the app\'s own conditional request whose headers allow no stale copy from now drops the copy', () => {
	it('max-age=0, must-revalidate: a later failure is no stale v1 (as a 200 saying so drops it)', async () => {
		expect(await afterNewer('h42-304-mustrevalidate', { body: null, status: 304, headers: { 'cache-control': 'max-age=0, must-revalidate' } }, conditional)).toEqual(['HTTPError', 'NetworkError']);
	});

	it('max-age=0, stale-if-error=0: the same', async () => {
		expect(await afterNewer('h42-304-sie0', { body: null, status: 304, headers: { 'cache-control': 'max-age=0, stale-if-error=0' } }, conditional)).toEqual(['HTTPError', 'NetworkError']);
	});

	it('after a reload (the copy found in the store, not in the view)', async () => {
		expect(await afterNewer('h42-304-reload', { body: null, status: 304, headers: { 'cache-control': 'max-age=0, must-revalidate' } }, { ...conditional, reload: true })).toEqual(['HTTPError', 'NetworkError']);
	});

	it('neighbour: max-age=600 without a revalidation directive leaves it (served on a later failure)', async () => {
		const [seen, after] = await afterNewer('h42-304-keep', { body: null, status: 304, headers: { 'cache-control': 'max-age=600' } }, conditional);
		expect([seen, after.replace(/ttl=-?\d+/, 'ttl')]).toEqual(['HTTPError', 'steadfetch; hit; ttl; detail=network v1']);
	});
});

describe('copyPlan of a 304 whose headers allow no stale copy from now (pure)', () => {
	const rules = { shared: false, maxStaleMs: 86_400_000, maxBodyBytes: 1000 };
	const plan = (headers: Record<string, string>, shared = false) =>
		copyPlan({ headers: new Headers(), credentials: false }, { status: 304, headers: new Headers(headers) }, { at: 0 }, t0, { ...rules, shared });

	it.each([
		['max-age=0, must-revalidate: expired, the last copy goes', { 'cache-control': 'max-age=0, must-revalidate' }, false, { store: false, why: 'expired', drop: true }],
		['proxy-revalidate, no freshness: expired, the last copy goes', { 'cache-control': 'proxy-revalidate' }, false, { store: false, why: 'expired', drop: true }],
		['s-maxage=0 in a shared cache: expired, the last copy goes', { 'cache-control': 's-maxage=0' }, true, { store: false, why: 'expired', drop: true }],
		['stale-if-error=0, no freshness: expired, the last copy goes', { 'cache-control': 'stale-if-error=0' }, false, { store: false, why: 'expired', drop: true }],
		['max-age=60, must-revalidate (fresh): status, the last copy stays', { 'cache-control': 'max-age=60, must-revalidate' }, false, { store: false, why: 'status', drop: false }],
		['s-maxage=0 in a private cache: status, the last copy stays', { 'cache-control': 's-maxage=0' }, false, { store: false, why: 'status', drop: false }],
	] as const)('%s', (_, headers, shared, expected) => {
		expect(plan(headers, shared)).toEqual(expected);
	});
});

describe('the clock set back past a copy (NTP, a device clock corrected): the next answer of its URL is stored', () => {
	/** A copy of `copiedUrl` (`headers`) stored at t0, the clock set back 10 min, a new answer v2: what a failure then answers. */
	const afterClockBack = async (name: string, headers: Record<string, string>): Promise<[number, string]> => {
		const records = new Map<string, unknown>();
		const { api, clock, state } = answering(name, records);
		const stored: string[] = [];
		api.on('cache:stored', ({ url }) => stored.push(url));
		state.answer = { body: 'v1', headers };
		await api.get(copiedUrl).text();
		await expect.poll(() => stored.length).toBe(1);
		clock.set(t0 - 600_000);
		state.answer = { body: 'v2', headers };
		await api.get(copiedUrl).text();
		await settle();
		const count = stored.length;
		clock.advance(1000);
		state.down = true;
		const after = await outcome(api);
		api.close();
		return [count, after];
	};

	it('no validator: v2 stored, and a failure answers it (not no copy at all: v1 is "stored ahead of the clock")', async () => {
		expect(await afterClockBack('h42-clock-back', { 'cache-control': 'max-age=60' })).toEqual([2, 'steadfetch; hit; ttl=59; detail=network v2']);
	});

	it('the same ETag (an unchanged answer): stored again, and answered', async () => {
		expect(await afterClockBack('h42-clock-back-etag', { 'cache-control': 'max-age=60', etag: '"e1"' })).toEqual([2, 'steadfetch; hit; ttl=59; detail=network v2']);
	});
});
