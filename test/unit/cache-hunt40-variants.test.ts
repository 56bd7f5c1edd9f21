/**
 * Defect hunt, fortieth round (the stale cache and its keys). Each test names its claim.
 */
import { describe, expect, it } from 'vitest';
import { createClient, type ClientOptions } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { mapStore } from '../helpers/test-stores.js';
import { useRedirectingOrigin } from '../helpers/redirecting-origin.js';
import { downable, next, settle, staleOrFresh, t0 } from './cache-kit.js';

/** The origin (test/helpers/redirecting-origin.ts): `GET /me` redirected (302) to `/users/42`, whose body is `v<n>`; `hold()` holds its answer. */
const origin = useRedirectingOrigin();

type Api = ReturnType<typeof createClient>;
/** What changes the world while the redirected answer is held: a logout, a clear, a removal. */
const changes: Array<[string, (api: Api, who: { id: string | undefined }, made: (options?: ClientOptions) => Api) => unknown]> = [
	['clear()', async (api) => api.clear()],
	['clear({ identity }) of its identity', async (api) => api.clear({ identity: 'ann' })],
	['a logout (identity undefined)', (_api, who) => {
		who.id = undefined;
	}],
	['another user (identity bob)', (_api, who) => {
		who.id = 'bob';
	}],
	['cache.delete of the final URL', async (api) => api.cache.delete(`${origin.url}/users/42`)],
	['cache.delete of the URL asked', async (api) => api.cache.delete(`${origin.url}/me`)],
	['cache.clear()', async (api) => api.cache.clear()],
	['an extend() child\'s clear()', async (api) => api.extend({}).clear()],
	['another client of the name and store: clear()', async (_api, _who, made) => made().clear()],
	['a write of the final URL delivered', async (api) => api.put('users/42')],
	['a write of the final URL delivered by another client of the name and store', async (_api, _who, made) => made({ staleCache: false }).put('users/42')],
];

/** The keys in `records` of either URL. */
const copiesIn = (records: Map<string, unknown>): string[] => [...records.keys()].filter((key) => key.endsWith('/me') || key.endsWith('/users/42'));

describe('control: with nothing changed, the late redirected answer is stored', () => {
	it('answered by its copy at networkTimeoutMs, the late answer replaces it', async () => {
		const records = new Map<string, unknown>();
		const clock = new ManualClock(t0);
		const api = createClient({ name: 'h40-redirect-control', clock, store: mapStore(records), retry: 0, breaker: false, baseUrl: `${origin.url}/`, identity: () => 'ann', staleCache: { networkTimeoutMs: 50 } });
		const first = next(api, 'cache:stored');
		await api.get('me').text();
		await first;
		clock.advance(1000);
		const open = origin.hold();
		expect((await api.get('me')).headers.get('cache-status')).toMatch(/detail=slow/);
		const stored = next(api, 'cache:stored');
		open();
		expect((await stored).url).toBe(`${origin.url}/me`);
		expect(copiesIn(records)).toHaveLength(1);
		api.close();
	});
});

describe.each([['fetch follows the redirect', {}], ['steadfetch follows it (deadlineHeader)', { deadlineHeader: 'x-deadline' }]] as const)('a redirected answer (GET /me from /users/42) that comes after the world changed is stored under neither URL: %s', (_how, own) => {
	it.each(changes)('its caller waiting: %s', async (_name, change) => {
		const records = new Map<string, unknown>();
		const clock = new ManualClock(t0);
		const who = { id: 'ann' as string | undefined };
		const made = (options: ClientOptions = {}) => createClient({ name: 'h40-redirect-late', clock, store: mapStore(records), retry: 0, breaker: false, baseUrl: `${origin.url}/`, identity: () => who.id, ...own, ...options });
		const api = made();
		const stored: unknown[] = [];
		api.on('cache:stored', (event) => stored.push(event));
		const open = origin.hold();
		const reading = api.get('me').text();
		await expect.poll(() => origin.gated).toBe(1);
		await change(api, who, made);
		open();
		expect(await reading).toMatch(/^v\d+$/);
		await settle();
		expect([copiesIn(records), stored.length]).toEqual([[], 0]);
		api.close();
	});

	it.each(changes)('answered by its copy at networkTimeoutMs, the late answer after: %s', async (_name, change) => {
		const records = new Map<string, unknown>();
		const clock = new ManualClock(t0);
		const who = { id: 'ann' as string | undefined };
		const made = (options: ClientOptions = {}) => createClient({
			name: 'h40-redirect-slow', clock, store: mapStore(records), retry: 0, breaker: false, baseUrl: `${origin.url}/`, identity: () => who.id,
			staleCache: { networkTimeoutMs: 50 }, ...own, ...options,
		});
		const api = made();
		const first = next(api, 'cache:stored');
		await api.get('me').text();
		await first;
		clock.advance(1000);
		const stored: unknown[] = [];
		api.on('cache:stored', (event) => stored.push(event));
		const open = origin.hold();
		const answer = await api.get('me');
		expect(answer.headers.get('cache-status')).toMatch(/detail=slow/);
		await change(api, who, made);
		await settle();
		const before = [...records.entries()];
		open();
		await expect.poll(() => origin.answered).toBe(1);
		await settle();
		expect([[...records.entries()], stored.length]).toEqual([before, 0]);
		api.close();
	});
});

/**
 * The key of a copy and percent-encodings (RFC 3986 §6.2.2.1-2: hex digits' case, an unreserved character encoded): one
 * resource, one copy. A read stored under one spelling and later under another answers a failure of either with the newer.
 */
describe('one copy per URL however its percent-encodings are spelled', () => {
	const spellings: Array<[string, string, string]> = [
		['hex case in the path', 'x/a%2fb', 'x/a%2Fb'],
		['an unreserved character encoded in the path', 'x/%7Euser', 'x/~user'],
		['an unreserved character encoded in the query', 'x/q?a=%41', 'x/q?a=A'],
		['hex case in the query', 'x/q?a=%c3%a9', 'x/q?a=%C3%A9'],
		['a sensitive parameter\'s value', 'x/s?token=%41b', 'x/s?token=Ab'],
	];

	it.each(spellings)('%s: %s, then %s (newer), then the first fails: answered with the newer copy, one copy listed', async (_name, first, second) => {
		const records = new Map<string, unknown>();
		const clock = new ManualClock(t0);
		// A private cache (`shared: false`): a URL with a sensitive value is stored, keyed by its digest.
		const { api, state } = downable(origin.url, `h40-spelling-${first}`, records, clock, { staleCache: { shared: false } });
		let stored = next(api, 'cache:stored');
		await api.get(first).text();
		await stored;
		clock.advance(5000);
		await api.put('elsewhere'); // version 2 from now on
		stored = next(api, 'cache:stored');
		const newer = await api.get(second).text();
		await stored;
		await settle();
		clock.advance(1000);
		state.down = true;
		expect([await staleOrFresh(api, first), await staleOrFresh(api, second), (await api.cache.list()).length]).toEqual([
			expect.stringMatching(new RegExp(`detail=network ${newer}$`)),
			expect.stringMatching(new RegExp(`detail=network ${newer}$`)),
			1,
		]);
		api.close();
	});

	it('neighbour: an encoded reserved character is another URL (`/x/a%2Fb` is not `/x/a/b`): two copies', async () => {
		const records = new Map<string, unknown>();
		const clock = new ManualClock(t0);
		const { api } = downable(origin.url, 'h40-spelling-reserved', records, clock);
		for (const path of ['x/a%2Fb', 'x/a/b']) {
			const stored = next(api, 'cache:stored');
			await api.get(path).text();
			await stored;
		}

		expect((await api.cache.list()).map((entry) => entry.url.slice(origin.url.length)).sort()).toEqual(['/x/a%2Fb', '/x/a/b']);
		api.close();
	});

	it('cache.delete of one spelling removes the copy stored under the other', async () => {
		const records = new Map<string, unknown>();
		const clock = new ManualClock(t0);
		const { api, state } = downable(origin.url, 'h40-spelling-delete', records, clock);
		const stored = next(api, 'cache:stored');
		await api.get('x/%7Euser').text();
		await stored;
		await api.cache.delete(`${origin.url}/x/~user`);
		state.down = true;
		expect([await staleOrFresh(api, 'x/%7Euser'), await staleOrFresh(api, 'x/~user')]).toEqual(['NetworkError', 'NetworkError']);
		api.close();
	});
});
