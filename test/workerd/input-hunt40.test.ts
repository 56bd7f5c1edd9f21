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
 */
import { describe, expect, it } from 'vitest';
import { breaker, classify, createClient, memoryStore } from '../../src/entries/index.js';

let made = 0;

/** A call's end (`call` given the client and a URL), read by `classify`, and how many times the client's `fetch` was called; or what createClient threw. */
const outcome = async (call: (api: any, url: string) => Promise<Response>, clientOptions: object = {}): Promise<string> => {
	let fetched = 0;
	let api: any;
	try {
		api = createClient({ store: memoryStore, name: `h40-workerd-${++made}`, retry: 0, fetch: async () => {
			fetched++;
			return new Response('ok');
		}, ...clientOptions });
	} catch (error) {
		return `createClient throws ${(error as Error).constructor.name} ${(error as Error).message}`;
	}

	const result = await call(api, 'https://api.test/x').then((response: Response) => String(response.status), (error: unknown) => `${classify(error).code} ${(error as Error).message}`);
	api.close();
	return `${result}; fetch ${fetched}`;
};

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

describe('a client-level `method` fetch forbids, in workerd: a RangeError naming `method` at createClient and extend()', () => {
	it.each(['TRACE', 'CONNECT', 'track', 'a b'])('%j', async (method) => {
		// Before: '200; fetch 1' (made, and the call inheriting it sent it).
		expect(await outcome((api, url) => api(url), { method })).toBe(`createClient throws RangeError \`method\` must be a token, not CONNECT, TRACE or TRACK; got ${JSON.stringify(method)}`);
		const api = createClient({ name: `h40-workerd-${++made}` });
		expect(() => api.extend({ method })).toThrow('`method` must be a token, not CONNECT, TRACE or TRACK');
		api.close();
	});
});
