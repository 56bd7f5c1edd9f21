/**
 * Bad input in real workerd (defect hunt, fortieth round): this project runs src/ with the edge build's stand-ins
 * (vitest.config.ts). The same cases against Node's `fetch`, per build: test/unit/input-hunt40-variants.test.ts.
 *
 * - A boxed Number, String or Boolean where an options object goes (`retry: new Number(5)`, a call's options, the preset's
 *   `breaker: new Boolean(false)`) was read as options of no keys (every default, the breaker on). Now refused.
 * - workerd takes any `mode`, `credentials`, `priority` or `referrerPolicy` (its `Request` ignores them): `credentials: 'bogus'`
 *   per call or at createClient was sent, where Node's and browsers' `fetch` refuse it. Now refused in every build, in the
 *   same words, naming the option.
 * - A client-level `method: 'TRACE'` (CONNECT, TRACK, no token) was taken at createClient, and every call inheriting it sent
 *   it. Now a RangeError naming `method` at createClient and extend(), as a call's own is refused.
 * - A placeholder of `outbox.ref()` a `beforeRequest` hook put in a header was not checked: a dependent whose hook added
 *   `Authorization: Bearer <placeholder>` was queued (stored without it), a call of no placeholder of its own sent it as
 *   written. Now `InvalidRequestError`, nothing sent or stored (test/unit/outbox-refs-hunt40-variants.test.ts in Node).
 */
import { describe, expect, it } from 'vitest';
import { breaker, classify, createClient, InvalidRequestError, memoryStore, outbox, type OutboxQueuedError } from '../../src/entries/index.js';
import { countedOutcome } from '../helpers/outcome.js';

/** A call's end (`call` given the client and a URL), read by `classify`, and how many times the client's `fetch` was called; or what createClient threw. */
const outcome = countedOutcome({ classify, createClient, memoryStore }, 'h40-workerd-call');
let made = 0;

describe('a boxed value where an options object goes, in workerd: refused, never read as no options', () => {
	it.each([[Object(5)], [Object(false)]])('%o as `retry`, a call\'s options, `staleCache` per call; the preset\'s `breaker`; breaker()', async (value) => {
		// Before: '200; fetch 1' each (ky's default retry limit; the options as none; the stale cache on for the call).
		expect(await outcome((api, url) => api.get(url, { retry: value }))).toBe('INVALID_REQUEST `retry` must be a number or an object; got object; fetch 0');
		expect(await outcome((api, url) => api.get(url, value))).toBe('INVALID_REQUEST `options` must be an object; got object; fetch 0');
		expect(await outcome((api, url) => api.get(url, { staleCache: value }))).toMatch(/^INVALID_REQUEST `staleCache` must be false or \{ networkTimeoutMs \} .*; fetch 0$/);
		// Before: made, with the breaker on (its defaults).
		expect(await outcome(async () => new Response(), { breaker: value })).toMatch(/^createClient throws RangeError `breaker` must be its options .*; got object$/);
		expect(() => breaker(value)).toThrow('`breaker()` takes an options object; got object');
	});
});

describe('fetch\'s RequestInit enumerations in workerd: a value fetch does not list is refused, as in Node and browsers', () => {
	const given: Array<[string, unknown, string]> = [['credentials', 'bogus', 'omit, same-origin, include'], ['mode', 'navigate', 'same-origin, no-cors, cors'],
		['priority', 'urgent', 'high, low, auto'], ['referrerPolicy', 'nobody', ', no-referrer, no-referrer-when-downgrade, same-origin, origin, strict-origin, origin-when-cross-origin, strict-origin-when-cross-origin, unsafe-url'],
		['redirect', 'sometimes', 'follow, manual, error']];
	const said = (name: string, value: unknown, listed: string): string => `\`${name}\` is refused by fetch: ${String(value)} is not an accepted type. Expected one of ${listed}.`;

	it.each(given)('%s: %j per call, through get() and an extend() child; at createClient and extend()', async (name, value, listed) => {
		// Before: '200; fetch 1' (but `redirect`, which workerd refuses in its own words).
		expect(await outcome((api, url) => api.post(url, { [name]: value }))).toBe(`INVALID_REQUEST Invalid request: ${said(name, value, listed)}; fetch 0`);
		expect(await outcome((api, url) => api.extend({}).get(url, { [name]: value }))).toBe(`INVALID_REQUEST Invalid request: ${said(name, value, listed)}; fetch 0`);
		expect(await outcome(async () => new Response(), { [name]: value })).toBe(`createClient throws TypeError ${said(name, value, listed)}`);
		const api = createClient({ name: `h40-workerd-${++made}` });
		expect(() => api.extend({ [name]: value } as never)).toThrow(said(name, value, listed));
		api.close();
	});

	it('a value fetch lists still goes out (a guard)', async () => {
		expect(await outcome((api, url) => api.get(url, { credentials: 'include', mode: 'cors', priority: 'low', referrerPolicy: '' }))).toBe('200; fetch 1');
	});
});

describe('a client-level `method` fetch forbids, in workerd: a TypeError naming `method` at createClient and extend()', () => {
	it.each(['TRACE', 'CONNECT', 'track', 'a b'])('%j', async (method) => {
		// Before: '200; fetch 1' (made, and the call inheriting it sent it).
		expect(await outcome((api, url) => api(url), { method })).toBe(`createClient throws TypeError \`method\` is refused by fetch: ${JSON.stringify(method)} is not a method fetch sends: a token, not CONNECT, TRACE or TRACK.`);
		const api = createClient({ name: `h40-workerd-${++made}` });
		expect(() => api.extend({ method })).toThrow(new TypeError(`\`method\` is refused by fetch: ${JSON.stringify(method)} is not a method fetch sends: a token, not CONNECT, TRACE or TRACK.`));
		api.close();
	});
});

describe('a placeholder of outbox.ref() a hook puts in a header, in workerd: never sent or stored as written', () => {
	it('a dependent of a pending entry (its Authorization) and a call of no placeholder of its own (any header)', async () => {
		const sent: string[] = [];
		let down = true;
		let header: [string, string] | undefined;
		const api = createClient({ store: memoryStore, name: `h40-workerd-${++made}`, retry: 0, outbox: outbox(), hooks: { beforeRequest: [({ request }) => {
			if (header) {
				request.headers.set(...header);
			}
		}] }, fetch: (async (request: Request) => {
			if (down) {
				throw new TypeError('fetch failed');
			}

			sent.push(`${request.method} ${[...request.headers].filter(([, value]) => value.includes('steadfetch-ref-')).join()}`);
			return Response.json({ id: 7 }, { status: 201 });
		}) as typeof fetch });
		const parent = await api.post('https://api.test/todos', { json: {} }).then(() => '', (error: OutboxQueuedError) => error.entryId);
		const id = api.outbox.ref(parent, '/id');
		header = ['authorization', `Bearer ${id}`];
		// Before: OutboxQueuedError (stored without the header, replayed without it).
		expect(await api.patch(`https://api.test/todos/${id}`, { json: {} }).catch((error: unknown) => error)).toBeInstanceOf(InvalidRequestError);
		header = ['x-parent', id];
		down = false;
		// Before: queued behind the parent, then sent with `x-parent: <placeholder>`.
		expect(await api.get('https://api.test/todos/1').catch((error: unknown) => error)).toBeInstanceOf(InvalidRequestError);
		header = undefined;
		await api.outbox.flush();
		expect(`${sent.join('; ')}; pending ${await api.outbox.size()}`).toBe('POST ; pending 0');
		api.close();
	});
});
