/**
 * Bad input in real workerd (defect hunt, forty-first round): this project runs src/ with the edge build's stand-ins
 * (vitest.config.ts). The same cases against Node's `fetch`: test/unit/input-hunt41-variants.test.ts.
 *
 * - workerd's `Request` ignores `referrer` and `window`: a `referrer` that is no URL (`'x'`, `'http://[x'`) or a `window`
 *   that is not null was taken at `createClient` and sent per call (`200`), where Node's and browsers' `fetch` refuse
 *   them. Now refused in every build before any I/O, in Node's words naming the option.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient, memoryStore } from '../../src/entries/index.js';
import { countedOutcome } from '../helpers/outcome.js';

/** A call's end (`call` given the client and a URL), read by `classify`, and how many times the client's `fetch` was called; or what createClient threw. */
const outcome = countedOutcome({ classify, createClient, memoryStore }, 'h41-workerd-call');
let made = 0;

describe('`referrer` and `window` in workerd: a value fetch refuses is refused, as in Node and browsers', () => {
	const given: Array<[string, unknown, string]> = [
		['referrer', 'x', 'Referrer "x" is not a valid URL.'],
		['referrer', 'http://[x', 'Referrer "http://[x" is not a valid URL.'],
		['referrer', 5, 'Referrer "5" is not a valid URL.'],
		['window', {}, "'window' option 'client' must be null"],
		['window', 'x', "'window' option 'client' must be null"],
	];

	it.each(given)('%s: %j per call, through an extend() child; at createClient and extend()', async (name, value, words) => {
		const said = `\`${name}\` is refused by fetch: ${words}`;
		// Before: '200; fetch 1' (workerd's Request ignores it).
		expect(await outcome((api, url) => api.get(url, { [name]: value }))).toBe(`INVALID_REQUEST Invalid request: ${said}; fetch 0`);
		expect(await outcome((api, url) => api.extend({}).post(url, { [name]: value }))).toBe(`INVALID_REQUEST Invalid request: ${said}; fetch 0`);
		// Before: made, and each call sent.
		expect(await outcome(async () => new Response(), { [name]: value })).toBe(`createClient throws TypeError ${said}`);
		const api = createClient({ name: `h41-workerd-${++made}` });
		expect(() => api.extend({ [name]: value } as never)).toThrow(said);
		api.close();
	});

	it('a value fetch takes still goes out (a guard): an absolute referrer, \'\', about:client, window null', async () => {
		expect(await outcome((api, url) => api.get(url, { referrer: 'https://app.test/page', window: null }))).toBe('200; fetch 1');
		expect(await outcome((api, url) => api.get(url, { referrer: '' }))).toBe('200; fetch 1');
		expect(await outcome((api, url) => api.get(url, { referrer: 'about:client' }), { referrer: 'https://app.test/' })).toBe('200; fetch 1');
	});
});
