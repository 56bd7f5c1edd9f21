/**
 * The sixteenth round on the stale cache (area E): records read from storage that `write` never gives (another tab
 * of another build, a broken store, a record planted by someone else) were served. API.md "Sensitive data": "Records
 * read from storage or received from another tab are validated before use: a malformed record is ignored and
 * reported as `storage:error`; no time read from one … is used beyond the bounds its options allow".
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';

const key = 'r:~~https://api.example/doc';

/** A client (one user's: `shared: false`) whose origin is down (503), over a store the test plants records in. */
const setup = (name: string, staleCache: Record<string, unknown> = { shared: false }) => {
	const store = memoryStore(name);
	const clock = new ManualClock();
	const api = createClient({
		baseUrl: 'https://api.example/', name, store: () => store, clock, retry: 0, breaker: false, staleCache,
		fetch: async () => new Response('down', { status: 503 }),
	} as never);
	const errors: Array<{ operation?: string }> = [];
	api.on('storage:error', (event) => errors.push(event as never));
	/** The answer to a GET of `doc` while the origin is down: the copy's body and its Age and Cache-Status, or 'none'. */
	const stale = async (headers: Record<string, string> = {}) => api.get('doc', { headers }).then(
		async (response) => [await response.text(), response.headers.get('age'), response.headers.get('cache-status')],
		() => 'none',
	);
	return { store, clock, api, errors, stale };
};

/** A record as `write` gives it, made now, servable for a day, with `extra` over it. */
const planted = (now: number, extra: Record<string, unknown> = {}) => ({
	v: 2, url: 'https://api.example/doc', storedAt: now, born: now, until: now + 86_400_000, lifetime: 0, status: 200, statusText: 'OK',
	headers: [['content-type', 'text/plain']], vary: [], body: new TextEncoder().encode('planted').buffer, ...extra,
});

describe('a stored record whose Vary no request could be matched against, or whose Vary values it does not hold', () => {
	// `write` keeps no copy of a `Vary: *` answer (nor `x y`, a member that is no header name), and keeps the request's
	// value of every header its Vary names (the credential ones aside): a record without them answered every request.
	for (const [label, headers, vary] of [
		['Vary: *', [['vary', '*']], []],
		['Vary: Accept, x y (a member that is no field name)', [['vary', 'Accept, x y']], [['accept', null]]],
		['Vary: Accept-Language without its value kept', [['vary', 'Accept-Language']], []],
		['a second Vary header (spelled `Vary`) naming a header whose value is not kept', [['vary', 'Accept'], ['Vary', 'Accept-Language']], [['accept', null]]],
	] as const) {
		it(`${label}: not served (storage:error, removed), never the copy another request's answer was`, async () => {
			const { store, clock, api, errors, stale } = setup(`vary-${label}`);
			await store.set(key, planted(clock.now(), { headers: [['content-type', 'text/plain'], ...headers], vary }));
			// Before: ['planted', '0', 'steadfetch; hit; ttl=0; detail=http-5xx'].
			expect(await stale({ 'accept-language': 'fr' })).toBe('none');
			expect(errors.map((error) => error.operation)).toEqual(['decode']);
			await waitFor(async () => await store.get(key) === undefined, 'the record removed');
			api.close();
		});
	}

	it('a record as `write` gives it still answers: Vary naming a credential header (kept out of its values), in any case', async () => {
		const { store, clock, api, errors, stale } = setup('vary-kept');
		await store.set(key, planted(clock.now(), { headers: [['content-type', 'text/plain'], ['vary', 'Authorization, ACCEPT-language, ,']], vary: [['accept-language', 'fr']] }));
		expect((await stale({ 'accept-language': 'fr' }))[0]).toBe('planted');
		expect(await stale({ 'accept-language': 'de' })).toBe('none');
		expect(errors).toEqual([]);
		api.close();
	});
});

describe('a stored record whose times no answer gives: an Age or a ttl past what a copy holds, a limit past its own', () => {
	const day = 86_400_000;
	it('`born` further before `storedAt` than any Age an answer gives (2^31 s): unreadable (storage:error), never `Age: 1e+297`', async () => {
		const { store, clock, api, errors, stale } = setup('born');
		await store.set(key, planted(clock.now(), { born: -1e300 }));
		// Before: ['planted', '1e+297', 'steadfetch; hit; ttl=-1e+297; detail=http-5xx'].
		expect(await stale()).toBe('none');
		expect(errors.map((error) => error.operation)).toEqual(['decode']);
		await waitFor(async () => await store.get(key) === undefined, 'the record removed');
		api.close();
	});

	it('a freshness lifetime past any max-age an answer gives (2^31 s): unreadable, never `ttl=4503599627370496`', async () => {
		const { store, clock, api, errors, stale } = setup('lifetime');
		await store.set(key, planted(clock.now(), { lifetime: 2 ** 52 }));
		expect(await stale()).toBe('none');
		expect(errors.map((error) => error.operation)).toEqual(['decode']);
		api.close();
	});

	for (const [label, cacheControl, storedAgoMs] of [
		['`stale-if-error=1`, stored 10 days ago (its own limit, past `maxStaleMs`)', 'max-age=0, stale-if-error=1', 10 * day],
		['`stale-if-error=1`, stored an hour ago (within `maxStaleMs`: its own limit is shorter)', 'max-age=0, stale-if-error=1', 3_600_000],
		['`must-revalidate`, stale for a minute', 'max-age=60, must-revalidate', 120_000],
		['`proxy-revalidate`, stale for a minute', 'max-age=60, proxy-revalidate', 120_000],
	] as const) {
		it(`an \`until\` past the copy's own limit (${label}): not served, removed`, async () => {
			const { store, clock, api, stale } = setup(`until-${label}`);
			const now = clock.now();
			const lifetime = Number(/max-age=(\d+)/.exec(cacheControl)![1]);
			await store.set(key, planted(now - storedAgoMs, { lifetime, until: now + 1e15, headers: [['content-type', 'text/plain'], ['cache-control', cacheControl]] }));
			// Before: served, e.g. ['planted', '864000', 'steadfetch; hit; ttl=-864000; detail=http-5xx'].
			expect(await stale()).toBe('none');
			await waitFor(async () => await store.get(key) === undefined, 'the record removed');
			api.close();
		});
	}

	it('in a shared cache, `s-maxage` allows a copy only while fresh: one stored with a later `until` is not served', async () => {
		const { store, clock, api, stale } = setup('until-s-maxage', { shared: true });
		const now = clock.now();
		await store.set(key, planted(now - 120_000, { lifetime: 60, until: now + day, headers: [['content-type', 'text/plain'], ['cache-control', 's-maxage=60']] }));
		expect(await stale()).toBe('none');
		api.close();
	});

	it('records as `write` gives them still answer: their own `stale-if-error` longer than `maxStaleMs`, shorter and not reached, and none', async () => {
		const { store, clock, api, errors, stale } = setup('until-kept', { shared: false, maxStaleMs: 3_600_000 });
		const now = clock.now();
		// Stored 2 days ago with stale-if-error=3 days: its own limit overrides the client's hour (API: "longer or shorter").
		await store.set(key, planted(now - 2 * day, { until: now - 2 * day + 3 * day, headers: [['content-type', 'text/plain'], ['cache-control', 'max-age=0, stale-if-error=259200']] }));
		expect((await stale())[1]).toBe(String(2 * day / 1000));
		// Stored 5 minutes ago with stale-if-error=600, and with no stale-if-error at all.
		for (const headers of [[['cache-control', 'max-age=0, stale-if-error=600']], []]) {
			await store.set(key, planted(now - 300_000, { until: now + 300_000, headers: [['content-type', 'text/plain'], ...headers] }));
			expect((await stale())[0]).toBe('planted');
		}

		// An Age on arrival as large as an answer gives (2^31 s): read, and shown in whole seconds. Its freshness as `write`
		// gives it: from its own `max-age` (2^31 s at most), which the served `ttl` counts from.
		await store.set(key, planted(now, { born: now - 2 ** 31 * 1000, lifetime: 2 ** 31, headers: [['content-type', 'text/plain'], ['cache-control', `max-age=${2 ** 31}`]] }));
		expect((await stale()).slice(1)).toEqual([String(2 ** 31), 'steadfetch; hit; ttl=0; detail=http-5xx']);
		expect(errors).toEqual([]);
		api.close();
	});
});

describe('a stored record whose URL is not the one its key names', () => {
	// `write` stores a copy's URL as its key names it (sensitive query values removed): a record that says another
	// answered the request with that URL as `response.url` and in `cache:stale`, a secret in it shown as it was.
	for (const [label, url] of [
		['its URL with a sensitive query value (an older build\'s, a planted one)', 'https://api.example/doc?token=secret'],
		['another path\'s URL', 'https://api.example/other'],
		['another origin\'s URL', 'https://elsewhere.example/doc'],
	] as const) {
		it(`${label}: unreadable (storage:error, removed), never served or named in an event`, async () => {
			const { store, clock, api, errors } = setup(`url-${label}`);
			const stale: string[] = [];
			api.on('cache:stale', (event) => stale.push(event.url));
			await store.set(key, planted(clock.now(), { url }));
			// Before: served, its `response.url` and the cache:stale event's URL the record's (`…?token=secret`).
			expect(await api.get('doc').then((response) => response.url, () => 'none')).toBe('none');
			expect(stale).toEqual([]);
			expect(errors.map((error) => error.operation)).toEqual(['decode']);
			await waitFor(async () => await store.get(key) === undefined, 'the record removed');
			api.close();
		});
	}

	it('a record whose URL is its key\'s answers, with that URL', async () => {
		const { store, clock, api, errors } = setup('url-kept');
		await store.set('r:~~https://api.example/doc?page=2', planted(clock.now(), { url: 'https://api.example/doc?page=2' }));
		expect(await api.get('doc?page=2').then((response) => response.url, () => 'none')).toBe('https://api.example/doc?page=2');
		expect(errors).toEqual([]);
		api.close();
	});
});
