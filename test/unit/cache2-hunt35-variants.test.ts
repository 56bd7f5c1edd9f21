/**
 * Defect hunt, thirty-fifth round, second pass on the stale cache: sensitive data in stored copies, a store that is full,
 * the request going on after a deadline's copy answered. Each test names its claim.
 */
import { describe, expect, it } from 'vitest';
import { createClient, isStale } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { mapStore } from '../helpers/test-stores.js';
import { waitFor } from '../helpers/wait-for.js';
import { next, t0 } from './cache-kit.js';

const dump = (records: Map<string, unknown>): string => JSON.stringify([...records].map(([key, value]) => [key, value, (value as { body?: ArrayBuffer })?.body ? new TextDecoder().decode((value as { body: ArrayBuffer }).body) : undefined]));

describe('a copy never stores a sensitive value', () => {
	const storeOf = async (url: string, headers: Record<string, string> = {}, init: RequestInit = {}): Promise<{ records: Map<string, unknown>; served: boolean }> => {
		const records = new Map<string, unknown>();
		let down = false;
		const api = createClient({
			name: 'h35c2-sens', clock: new ManualClock(t0), store: mapStore(records), retry: 0, breaker: false,
			fetch: (async () => {
				if (down) {
					throw new TypeError('fetch failed');
				}

				return new Response('body', { headers: { 'cache-control': 'max-age=60', ...headers } });
			}) as typeof fetch,
		});
		const stored = next(api, 'cache:stored');
		await (await api.get(url, init)).text();
		await Promise.race([stored, new Promise((resolve) => setTimeout(resolve, 300))]);
		down = true;
		let served = false;
		try {
			served = isStale(await api.get(url, init));
		} catch {}
		return { records, served };
	};

	for (const url of ['https://h35.test/x?ACCESS_TOKEN=secret1', 'https://h35.test/x?Access%5FToken=secret1', 'https://h35.test/x?access%5ftoken=secret1', 'https://h35.test/x?%61ccess_token=secret1', 'https://h35.test/x?api%5Fkey=secret1&a=1', 'https://h35.test/x?Pass%77ord=secret1']) {
		it(`neighbour: ${url}: its value in no stored key or record`, async () => {
			const { records } = await storeOf(url);
			expect(dump(records)).not.toContain('secret1');
		});
	}

	it('neighbour: a header URL with a percent-encoded sensitive name (Link) keeps no value', async () => {
		const { records } = await storeOf('https://h35.test/y', { link: '<https://h35.test/next?Access%5FToken=secret1>; rel="next"', 'content-location': 'https://h35.test/z?TOKEN=secret1' });
		expect(dump(records)).not.toContain('secret1');
	});

	it('neighbour: Set-Cookie is never stored', async () => {
		const { records } = await storeOf('https://h35.test/c', { 'set-cookie': 'sid=secret1' });
		expect(dump(records)).not.toContain('secret1');
	});

	it('neighbour: Vary: Authorization: the token is never stored', async () => {
		const { records } = await storeOf('https://h35.test/v', { vary: 'Authorization' }, { headers: { authorization: 'Bearer secret1' } });
		expect(dump(records)).not.toContain('secret1');
	});

	it('neighbour: Vary: Cookie, Proxy-Authorization: their values never stored', async () => {
		const { records } = await storeOf('https://h35.test/w', { vary: 'Cookie, Proxy-Authorization' }, { headers: { cookie: 'sid=secret1', 'proxy-authorization': 'Basic secret1' } });
		expect(dump(records)).not.toContain('secret1');
	});
});

describe('a store that is full (QuotaExceededError on set)', () => {
	it('neighbour: the request answers; storage:error told once; the copy is kept in memory (cache:stored)', async () => {
		const records = new Map<string, unknown>();
		const inner = mapStore(records)();
		const quota = () => new DOMException('full', 'QuotaExceededError');
		const api = createClient({
			name: 'h35c2-quota', clock: new ManualClock(t0), retry: 0, breaker: false,
			store: () => ({ ...inner, set: async () => { throw quota(); } }),
			fetch: (async () => new Response('body', { headers: { 'cache-control': 'max-age=60' } })) as typeof fetch,
		});
		const errors: unknown[] = [];
		const stored: unknown[] = [];
		api.on('storage:error', (event) => errors.push(event));
		api.on('cache:stored', (event) => stored.push(event));
		expect(await (await api.get('https://h35.test/q')).text()).toBe('body');
		await waitFor(() => errors.length > 0, 'storage:error');
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect([errors.length, stored.length]).toEqual([1, 1]);
	});
});

describe('a status text naming a URL with userinfo or a sensitive query value (a server\'s) is stored and served without them', () => {
	const statusText = 'OK see https://u:pw1@h35.test/n?token=secret1&page=2';

	it('the record keeps neither; the stale copy shows the text as a header naming it is kept', async () => {
		const records = new Map<string, unknown>();
		let down = false;
		const api = createClient({
			name: 'h35c2-status', clock: new ManualClock(t0), retry: 0, breaker: false, store: mapStore(records),
			fetch: (async () => {
				if (down) {
					throw new TypeError('fetch failed');
				}

				return new Response('b', { statusText, headers: { 'cache-control': 'max-age=60' } });
			}) as typeof fetch,
		});
		const stored = next(api, 'cache:stored');
		await (await api.get('https://h35.test/st')).text();
		await stored;
		down = true;
		const stale = await api.get('https://h35.test/st');
		expect([/pw1|secret1/.test(dump(records)), isStale(stale), stale.statusText]).toEqual([false, true, 'OK see https://h35.test/n?token=&page=2']);
	});

	it('a stored record holding one (an older build\'s) is not served: storage:error (decode)', async () => {
		const records = new Map<string, unknown>();
		const clock = new ManualClock(t0);
		const plant = { v: 2, url: 'https://h35.test/old', storedAt: t0, born: t0, until: t0 + 86_400_000, lifetime: 60, status: 200, statusText, headers: [['cache-control', 'max-age=60']], vary: [], body: new TextEncoder().encode('old').buffer };
		records.set('r:~~https://h35.test/old', plant);
		const api = createClient({
			name: 'h35c2-status-old', clock, retry: 0, breaker: false, store: mapStore(records),
			fetch: (async () => { throw new TypeError('fetch failed'); }) as typeof fetch,
		});
		const errors: string[] = [];
		api.on('storage:error', (event) => errors.push(event.operation));
		const served = await api.get('https://h35.test/old').then((response) => response.statusText, () => 'failed');
		expect([served, errors]).toEqual(['failed', ['decode']]);
	});

	it('neighbour: a plain status text (`All Good`) is kept as it is', async () => {
		const records = new Map<string, unknown>();
		const api = createClient({
			name: 'h35c2-status-plain', clock: new ManualClock(t0), retry: 0, breaker: false, store: mapStore(records),
			fetch: (async () => new Response('b', { statusText: 'All Good', headers: { 'cache-control': 'max-age=60' } })) as typeof fetch,
		});
		const stored = next(api, 'cache:stored');
		await (await api.get('https://h35.test/plain')).text();
		await stored;
		expect((records.get('r:~~https://h35.test/plain') as { statusText: string }).statusText).toBe('All Good');
	});
});
