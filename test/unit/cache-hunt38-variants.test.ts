/**
 * Defect hunt, thirty-eighth round (the stale cache). Each test names its claim.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { copyPlan } from '../../src/cache/copy-plan.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { afterNewer, answering, collect, copiedUrl, outcome, settle, t0 } from './cache-kit.js';

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

describe('a stored record read back whose freshness lifetime its own headers do not give (another build\'s, a tampered store)', () => {
	/** The stale answer 1 s after a copy with `headers` was stored, its record's `lifetime` then set to `lifetime`. */
	const servedWith = async (name: string, headers: Record<string, string>, lifetime: number): Promise<string> => {
		const records = new Map<string, unknown>();
		const { api, clock, state } = answering(name, records);
		state.answer = { body: 'v1', headers };
		await api.get(copiedUrl).text();
		await expect.poll(() => records.size).toBe(1);
		const [[key, record]] = [...records] as Array<[string, Record<string, unknown>]>;
		records.set(key, { ...record, lifetime });
		clock.advance(1000);
		state.down = true;
		const seen = await outcome(api);
		api.close();
		return seen;
	};

	it('no freshness in its headers, 2^31 s claimed: served stale (ttl=-1), not fresh for 68 years (ttl=2147483647)', async () => {
		expect(await servedWith('h38-lifetime-none', {}, 2 ** 31)).toBe('steadfetch; hit; ttl=-1; detail=network v1');
	});

	it('max-age=60, 2^31 s claimed: ttl=59 (what max-age gives)', async () => {
		expect(await servedWith('h38-lifetime-maxage', { 'cache-control': 'max-age=60' }, 2 ** 31)).toBe('steadfetch; hit; ttl=59; detail=network v1');
	});

	it('neighbour: a lifetime under what its headers give stands (max-age=60, 10 s claimed: ttl=9)', async () => {
		expect(await servedWith('h38-lifetime-under', { 'cache-control': 'max-age=60' }, 10)).toBe('steadfetch; hit; ttl=9; detail=network v1');
	});
});

describe('an unchanged answer after another client of the name removed the copy', () => {
	it('cache.delete() through another client (same name and store): the next unchanged answer is stored again', async () => {
		const records = new Map<string, unknown>();
		const a = answering('h38-unchanged-delete', records);
		const b = answering('h38-unchanged-delete', records);
		const headers = { 'cache-control': 'max-age=60', etag: '"e1"' };
		a.state.answer = { body: 'v1', headers };
		await a.api.get(copiedUrl).text();
		await expect.poll(() => records.size).toBe(1);
		await b.api.cache.delete(copiedUrl);
		expect(records.size).toBe(0);
		a.clock.advance(5000);
		await a.api.get(copiedUrl).text();
		await settle();
		a.clock.advance(1000);
		a.state.down = true;
		expect(await outcome(a.api)).toBe('steadfetch; hit; ttl=59; detail=network v1');
		a.api.close();
		b.api.close();
	});
});

describe('a 304 to the app\'s own conditional request updates the stored copy (RFC 9111 §4.3.4)', () => {
	const conditional = { requestHeaders: { 'if-none-match': '"e1"' } };

	it('one that says no-store drops the copy: a later failure is no stale v1 (as a 200 saying no-store drops it)', async () => {
		expect(await afterNewer('h38-304-nostore', { body: null, status: 304, headers: { 'cache-control': 'no-store' } }, conditional)).toEqual(['HTTPError', 'NetworkError']);
	});

	it('one that says no-cache drops it too', async () => {
		expect(await afterNewer('h38-304-nocache', { body: null, status: 304, headers: { 'cache-control': 'no-cache' } }, conditional)).toEqual(['HTTPError', 'NetworkError']);
	});

	it('after a reload (the copy found in the store, not in the view)', async () => {
		expect(await afterNewer('h38-304-reload', { body: null, status: 304, headers: { 'cache-control': 'no-store' } }, { ...conditional, reload: true })).toEqual(['HTTPError', 'NetworkError']);
	});

	it('neighbour: one that allows a copy leaves it (served on a later failure)', async () => {
		const [seen, after] = await afterNewer('h38-304-keep', { body: null, status: 304, headers: { 'cache-control': 'max-age=600' } }, conditional);
		expect([seen, after.replace(/ttl=-?\d+/, 'ttl')]).toEqual(['HTTPError', 'steadfetch; hit; ttl; detail=network v1']);
	});
});

describe('copyPlan of a 304 (pure)', () => {
	const rules = { shared: false, maxStaleMs: 86_400_000, maxBodyBytes: 1000 };
	const plan = (headers: Record<string, string>, { credentials = false, shared = false } = {}) =>
		copyPlan({ headers: new Headers(), credentials }, { status: 304, headers: new Headers(headers) }, { at: 0 }, t0, { ...rules, shared });

	it.each([
		['no-store: forbidden, the last copy goes', { 'cache-control': 'no-store' }, {}, { store: false, why: 'forbidden', drop: true }],
		['Vary: *: forbidden, the last copy goes', { vary: '*' }, {}, { store: false, why: 'forbidden', drop: true }],
		['private in a shared cache: forbidden, the last copy goes', { 'cache-control': 'private' }, { shared: true }, { store: false, why: 'forbidden', drop: true }],
		['max-age=60: status, the last copy stays', { 'cache-control': 'max-age=60' }, {}, { store: false, why: 'status', drop: false }],
		['no-store to a request with credentials in a shared cache (no key): status, nothing dropped', { 'cache-control': 'no-store' }, { credentials: true, shared: true }, { store: false, why: 'status', drop: false }],
	] as const)('%s', (_, headers, options, expected) => {
		expect(plan(headers, options)).toEqual(expected);
	});
});

describe('a listing of the store that fails (keys() rejects once) leaves the client\'s view of its copies', () => {
	it('a copy it stored still answers the networkTimeoutMs deadline (detail=slow), not the slow origin', async () => {
		const inner = memoryStore('h38-keys-fail');
		let failKeys = false;
		const store: KeyValueStore = { ...inner, keys: async () => (failKeys ? Promise.reject(new Error('listing failed')) : inner.keys()) };
		let hold: Promise<void> | undefined;
		let release = (): void => {};
		const api = createClient({
			name: 'h38-keys-fail', clock: new ManualClock(t0), store: () => store, retry: 0, breaker: false, storageTimeoutMs: 200,
			staleCache: { maxEntries: 4, networkTimeoutMs: 40 },
			fetch: (async (request: Request) => {
				await hold;
				return new Response(`v ${new URL(request.url).pathname}`, { headers: { 'cache-control': 'max-age=60' } });
			}) as typeof fetch,
		});
		const errors = collect(api, 'storage:error');
		await api.get('https://a.test/a').text();
		await expect.poll(async () => (await inner.keys()).length).toBe(1);
		failKeys = true;
		await api.get('https://a.test/b').text(); // Its write lists the store again (maxEntries / 4 copies since): the listing fails.
		await expect.poll(() => errors.some(({ operation }) => operation === 'keys')).toBe(true);
		await settle();
		failKeys = false;
		hold = new Promise((resolve) => {
			release = resolve;
		});
		const answer = api.get('https://a.test/a').then(async (response) => `${response.headers.get('cache-status')} ${await response.text()}`);
		const seen = await Promise.race([answer, new Promise<string>((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5000))]);
		release();
		await answer;
		expect(seen).toBe('steadfetch; hit; ttl=60; detail=slow v /a');
		api.close();
	});
});
