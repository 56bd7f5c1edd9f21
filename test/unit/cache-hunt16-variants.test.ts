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
