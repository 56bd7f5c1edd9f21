/**
 * Defect hunt, thirty-third round (the stale cache): variants of the thirty-second's "a newer answer the cache does not
 * keep leaves an older copy servable" (RFC 9111 §4: the most recent response decides), and of work that outlives its caller.
 * Each test names its claim.
 */
import { describe, expect, it } from 'vitest';
import { copyPlan } from '../../src/cache/copy-plan.js';
import { isStale } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { afterNewer as newer, afterOtherTabsCopy, type Answer, answering, copiedUrl, next, outcome, settle, t0 } from './cache-kit.js';

const url = copiedUrl;
const origin = (records: Map<string, unknown>, clock?: ManualClock) => answering('hunt33', records, clock);
const afterNewer = async (then: Answer, gapMs: number, requestHeaders: Record<string, string> = {}) => newer('hunt33', then, { gapMs, requestHeaders });

const big = 'v2'.repeat(100);

describe('within 1 s of a copy, a newer answer whose Content-Length is over maxBodyBytes drops the older copy', () => {
	it('500 ms after the copy', async () => {
		// Before: ['v2v2v2v2', 'steadfetch; hit; ttl=0; detail=network v1'] (not copied, 'recent', and the older copy stayed).
		expect(await afterNewer({ body: big, headers: { 'content-length': '200' } }, 500)).toEqual([big.slice(0, 8), 'NetworkError']);
	});

	it('the plan: size and drop within 1 s; at maxBodyBytes, recent (the copy of 500 ms before still answers)', async () => {
		const plan = (length: string) => copyPlan({ headers: new Headers(), credentials: false }, new Response('x', { headers: { 'content-length': length } }), { at: t0 - 500 }, t0, { shared: false, maxStaleMs: 86_400_000, maxBodyBytes: 100 });
		expect([plan('101'), plan('100')]).toEqual([{ store: false, why: 'size', drop: true }, { store: false, why: 'recent', drop: false }]);
		expect(await afterNewer({ body: 'v2', headers: { 'content-length': '2' } }, 500)).toEqual(['v2', 'steadfetch; hit; ttl=0; detail=network v1']);
	});
});

/** A store's records that count the deletes of each key. */
class Records extends Map<string, unknown> {
	readonly deletes: string[] = [];
	override delete(key: string): boolean {
		this.deletes.push(key);
		return super.delete(key);
	}
}

describe('a request that forbids storing (its own Cache-Control: no-store) gets an answer that drops the older copy: it goes', () => {
	it.each([
		['a Content-Length over maxBodyBytes', { body: big, headers: { 'content-length': '200' } }],
		['max-age=0, must-revalidate', { body: 'v2', headers: { 'cache-control': 'max-age=0, must-revalidate' } }],
	] as Array<[string, Answer]>)('%s', async (_, then) => {
		// Before: [<v2>, 'steadfetch; hit; ttl=-5; detail=network v1'] (the plan stopped at 'request': nothing dropped).
		expect(await afterNewer(then, 5000, { 'cache-control': 'no-store' })).toEqual([then.body!.slice(0, 8), 'NetworkError']);
	});

	it('neighbour: an answer that may be copied is not, and leaves the older copy (as documented)', async () => {
		expect(await afterNewer({ body: 'v2' }, 5000, { 'cache-control': 'no-store' })).toEqual(['v2', 'steadfetch; hit; ttl=-5; detail=network v1']);
	});
});

/**
 * Two clients of one name over one store (two tabs): `b` listed the store at its first copy (of another URL), then `a`
 * stored a copy of `url`; `b` then gets `then` for `url`. Whether a copy of `url` is left in the store, and 60 s on with
 * the origin down, what `b` and `a` answer.
 */
const otherTabsCopy = async (then: Answer): Promise<[string, boolean, string, string]> => {
	const records = new Records();
	const clock = new ManualClock(t0);
	const { seen, left, after } = await afterOtherTabsCopy(records, clock, origin(records, clock), origin(records, clock), then);
	return [seen, left, ...after];
};

describe('a newer answer not kept drops a copy another client of the name and store stored after this one listed the store', () => {
	it.each([
		['204 No Content', { body: null, status: 204 }, ''],
		['a Content-Length over maxBodyBytes', { body: big, headers: { 'content-length': '200' } }, big.slice(0, 8)],
		['max-age=0, must-revalidate', { body: 'v2', headers: { 'cache-control': 'max-age=0, must-revalidate' } }, 'v2'],
		['no-store (as before)', { body: 'v2', headers: { 'cache-control': 'no-store' } }, 'v2'],
		['a body over maxBodyBytes (as before)', { body: big }, big.slice(0, 8)],
	] as Array<[string, Answer, string]>)('%s', async (_, then, seen) => {
		// Before (204, Content-Length, must-revalidate): [<seen>, true, 'steadfetch; hit; ttl=-5; detail=network v1', … v1]
		// (`b` knew its listing, which had no copy of the URL: the other tab's copy stayed and answered both).
		expect(await otherTabsCopy(then)).toEqual([seen, false, 'NetworkError', 'NetworkError']);
	});

	it('the key is deleted once for answers of that kind, not per answer; a copy stored after the newest is served', async () => {
		const records = new Records();
		const clock = new ManualClock(t0);
		const a = origin(records, clock);
		const b = origin(records, clock);
		b.state.answer = { body: 'other' };
		const listed = next(b.api, 'cache:stored');
		await b.api.get('https://a.test/other').text();
		await listed;
		b.state.answer = { body: 'v2', headers: { 'cache-control': 'max-age=0, must-revalidate' } };
		for (let round = 0; round < 4; round++) {
			clock.advance(2000);
			await b.api.get(url).text();
			await settle();
		}

		expect(records.deletes.filter((key) => key.endsWith(url))).toHaveLength(1);
		clock.advance(2000);
		a.state.answer = { body: 'v3', headers: { 'cache-control': 'max-age=60' } };
		const stored = next(a.api, 'cache:stored');
		await a.api.get(url).text();
		await stored;
		clock.advance(5000);
		b.state.down = true;
		expect(await outcome(b.api)).toBe('steadfetch; hit; ttl=55; detail=network v3');
		a.api.close();
		b.api.close();
	});
});

describe('a stored record read back is bounded by its own headers, whatever it claims', () => {
	/** A copy of `url` stored with `cacheControl`, its record then changed by `tamper` in the store; 2 days on, what a failed read answers. */
	const tampered = async (cacheControl: string, tamper: (record: Record<string, unknown>) => void, laterMs = 2 * 86_400_000): Promise<string> => {
		const records = new Map<string, unknown>();
		const { api, clock, state } = origin(records);
		state.answer = { body: 'v1', headers: { 'cache-control': cacheControl } };
		const stored = next(api, 'cache:stored');
		await api.get(url).text();
		await stored;
		const [key, record] = [...records].find(([name]) => name.endsWith(url))!;
		const changed = { ...(record as Record<string, unknown>) };
		tamper(changed);
		records.set(key, changed);
		api.close();
		const again = origin(records, clock);
		clock.advance(laterMs);
		again.state.down = true;
		const after = await outcome(again.api);
		again.api.close();
		return after;
	};

	it('a freshness lifetime its Cache-Control does not give does not stretch stale-if-error past maxStaleMs', async () => {
		// Before: 'steadfetch; hit; ttl=2147310848; detail=network v1' (served 2 days on, maxStaleMs 1 day).
		// stale-if-error=60 with no max-age: servable 60 s after it was stored; the record claims 2^31 s of freshness.
		expect(await tampered('stale-if-error=60', (record) => {
			record['lifetime'] = 2 ** 31;
			record['until'] = t0 + 10 * 86_400_000;
		})).toBe('NetworkError');
	});

	it('neighbour: a copy whose max-age gives that freshness is served so (its own headers allow it)', async () => {
		expect(await tampered('max-age=604800, stale-if-error=60', () => undefined)).toBe('steadfetch; hit; ttl=432000; detail=network v1');
	});
});

describe('a stored record read back that holds what a copy never keeps is not served', () => {
	/** A copy of `url` stored, then a header of its record set to `value` in the store; 10 s on, a failed read's answer (its `name` header) or the error's name. */
	const planted = async (name: string, value: string): Promise<string> => {
		const records = new Map<string, unknown>();
		const { api, clock, state } = origin(records);
		state.answer = { body: 'v1', headers: { 'cache-control': 'max-age=60' } };
		const stored = next(api, 'cache:stored');
		await api.get(url).text();
		await stored;
		const [key, record] = [...records].find(([each]) => each.endsWith(url))!;
		const changed = record as { headers: Array<[string, string]> };
		records.set(key, { ...changed, headers: [...changed.headers, [name, value]] });
		clock.advance(10_000);
		state.down = true;
		const after = await api.get(url).then((response) => `${isStale(response)} ${response.headers.get(name)}`, (error: Error) => error.name);
		api.close();
		return after;
	};

	it.each([
		['a URL with a sensitive query value', 'link', '<https://a.test/x?page=2&access_token=secret>; rel="next"'],
		['a URL with userinfo', 'location', 'https://user:secret@a.test/y'],
	])('%s in a header', async (_, name, value) => {
		// Before: 'true <value>' (served with the secret, which the app then sees).
		expect(await planted(name, value)).toBe('NetworkError');
	});

	it('neighbour: a header as a copy keeps it (its URL without them) is served', async () => {
		expect(await planted('link', '<https://a.test/x?page=2&access_token=>; rel="next"')).toBe('true <https://a.test/x?page=2&access_token=>; rel="next"');
	});
});
