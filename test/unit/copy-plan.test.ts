/**
 * The stale cache's copy decision (src/cache/copy-plan.ts), as a pure function: whether a GET's
 * answer is copied, why not, whether the last copy under its key goes, and the timing and validator
 * a copy records. The same rules end to end against a loopback API: cache-storing.test.ts,
 * cache-validators.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { type CopyPlan, type CopyRequest, copyPlan, type LastCopy } from '../../src/cache/copy-plan.js';

const now = 1_700_000_000_000;
const day = 86_400_000;
const own = { shared: false, maxStaleMs: day, maxBodyBytes: 1000 };
const shared = { ...own, shared: true };
const request = (headers: Record<string, string> = {}, credentials = false): CopyRequest => ({ headers: new Headers(headers), credentials });
const answer = (status: number, headers: Record<string, string> = {}) => new Response(status === 204 ? null : 'x', { status, headers });
const stored = (lifetime: number, until: number, born = now): CopyPlan => ({ store: true, timing: { lifetime, born, until }, copied: undefined });
const not = (why: string, drop = false): CopyPlan => ({ store: false, why, drop } as CopyPlan);
const etag = { etag: '"v1"' };
/** A last copy taken 5 s ago with the ETag "v1", not renewed before `renew`. */
const copiedV1 = (renew = now + 1): LastCopy => ({ at: now - 5000, copied: { signature: '200 "v1"', renew } });

describe('copyPlan: the stale cache\'s copy decision table', () => {
	it.each([
		// [what, request, answer, last copy, rules, → plan]
		['a 200 without Cache-Control: servable maxStaleMs', request(), answer(200), undefined, own, stored(0, now + day)],
		['a 203', request(), answer(203), undefined, own, stored(0, now + day)],
		['a 204: status not copied', request(), answer(204), undefined, own, not('status')],
		['a 206: status', request(), answer(206), undefined, own, not('status')],
		['a 404: status', request(), answer(404), undefined, own, not('status')],
		['a 500: status', request(), answer(500), undefined, own, not('status')],
		['a 500 no-store: status first, the last copy kept', request(), answer(500, { 'cache-control': 'no-store' }), { at: 0 }, own, not('status')],
		['a request with credentials in a shared cache: no key, nothing dropped', request({}, true), answer(200, { 'cache-control': 'no-store' }), undefined, shared, not('credentials')],
		['a request with credentials in a private cache', request({}, true), answer(200), undefined, own, stored(0, now + day)],
		['no-store: forbidden, the last copy goes', request(), answer(200, { 'cache-control': 'no-store' }), undefined, own, not('forbidden', true)],
		['no-cache: forbidden', request(), answer(200, { 'cache-control': 'max-age=60, no-cache' }), undefined, own, not('forbidden', true)],
		['NO-STORE in capitals: forbidden', request(), answer(200, { 'cache-control': 'NO-STORE' }), undefined, own, not('forbidden', true)],
		['Vary: *: forbidden', request(), answer(200, { vary: '*' }), undefined, own, not('forbidden', true)],
		['Vary: Accept, *: forbidden', request(), answer(200, { vary: 'Accept, *' }), undefined, own, not('forbidden', true)],
		['Vary: Accept: stored (the record keeps the request\'s Accept)', request(), answer(200, { vary: 'Accept' }), undefined, own, stored(0, now + day)],
		['Vary: Accept , Origin,X-Api_Version.2~ (field names, white space around commas): stored', request(), answer(200, { vary: 'Accept , Origin,X-Api_Version.2~' }), undefined, own, stored(0, now + day)],
		['Vary: Accept, x y (white space within a member: no field name): forbidden', request(), answer(200, { vary: 'Accept, x y' }), undefined, own, not('forbidden', true)],
		['Vary: "accept" (a quoted string: no field name): forbidden', request(), answer(200, { vary: '"accept"' }), undefined, own, not('forbidden', true)],
		['private in a shared cache: forbidden', request(), answer(200, { 'cache-control': 'private, max-age=60' }), undefined, shared, not('forbidden', true)],
		['private in a private cache: stored', request(), answer(200, { 'cache-control': 'private, max-age=60' }), undefined, own, stored(60, now + day)],
		['no-store less than 1 s after the last copy: still forbidden, the copy goes', request(), answer(200, { 'cache-control': 'no-store' }), { at: now - 10 }, own, not('forbidden', true)],
		['private in a shared cache less than 1 s after the last copy: forbidden, the copy goes (was: left, by a regex reading)', request(), answer(200, { 'cache-control': 'private' }), { at: now - 10 }, shared, not('forbidden', true)],
		['no-transform less than 1 s after the last copy: recent (was: copied again, by a regex reading)', request(), answer(200, { 'cache-control': 'no-transform' }), { at: now - 10 }, own, not('recent')],
		['the last copy 999 ms ago: recent', request(), answer(200), { at: now - 999 }, own, not('recent')],
		['the last copy 1000 ms ago: stored', request(), answer(200), { at: now - 1000 }, own, stored(0, now + day)],
		['a key found in the store (at 0): stored', request(), answer(200), { at: 0 }, own, stored(0, now + day)],
		['the last copy\'s validator, before its renew: unchanged', request(), answer(200, etag), copiedV1(), own, not('unchanged')],
		['the last copy\'s validator at its renew: stored', request(), answer(200, etag), copiedV1(now), own, { store: true, timing: { lifetime: 0, born: now, until: now + day }, copied: { signature: '200 "v1"', renew: now + 60_000 } }],
		['another ETag: stored', request(), answer(200, { etag: '"v2"' }), copiedV1(), own, { store: true, timing: { lifetime: 0, born: now, until: now + day }, copied: { signature: '200 "v2"', renew: now + 60_000 } }],
		['a 203 with the 200\'s ETag: stored', request(), answer(203, etag), copiedV1(), own, { store: true, timing: { lifetime: 0, born: now, until: now + day }, copied: { signature: '203 "v1"', renew: now + 60_000 } }],
		['a weak ETag: never unchanged, no signature', request(), answer(200, { etag: 'W/"v1"' }), { at: now - 5000, copied: { signature: '200 W/"v1"', renew: now + 1 } }, own, stored(0, now + day)],
		['Last-Modified as the validator: unchanged', request(), answer(200, { 'last-modified': 'Tue, 14 Nov 2023 22:13:20 GMT' }), { at: now - 5000, copied: { signature: '200 Tue, 14 Nov 2023 22:13:20 GMT', renew: now + 1 } }, own, not('unchanged')],
		['the request\'s own no-store: not copied, nothing dropped', request({ 'cache-control': 'no-store' }), answer(200), undefined, own, not('request')],
		['the request\'s no-cache: stored', request({ 'cache-control': 'no-cache' }), answer(200), undefined, own, stored(0, now + day)],
		['max-age=60', request(), answer(200, { 'cache-control': 'max-age=60' }), undefined, own, stored(60, now + day)],
		['max-age="60" (quoted)', request(), answer(200, { 'cache-control': 'max-age="60"' }), undefined, own, stored(60, now + day)],
		['max-age=abc: no freshness', request(), answer(200, { 'cache-control': 'max-age=abc' }), undefined, own, stored(0, now + day)],
		['max-age past 2³¹ s: capped', request(), answer(200, { 'cache-control': 'max-age=99999999999' }), undefined, own, stored(2 ** 31, now + day)],
		['the first max-age wins', request(), answer(200, { 'cache-control': 'max-age=60, max-age=10' }), undefined, own, stored(60, now + day)],
		['Age: 10: born 10 s ago', request(), answer(200, { 'cache-control': 'max-age=60', age: '10' }), undefined, own, stored(60, now + day, now - 10_000)],
		['immutable: no meaning of its own here', request(), answer(200, { 'cache-control': 'max-age=60, immutable' }), undefined, own, stored(60, now + day)],
		['s-maxage in a private cache: max-age counts', request(), answer(200, { 'cache-control': 's-maxage=30, max-age=60' }), undefined, own, stored(60, now + day)],
		['s-maxage in a shared cache: only while fresh', request(), answer(200, { 'cache-control': 's-maxage=30, max-age=60' }), undefined, shared, stored(30, now + 30_000)],
		['must-revalidate: only while fresh', request(), answer(200, { 'cache-control': 'max-age=60, must-revalidate' }), undefined, own, stored(60, now + 60_000)],
		['proxy-revalidate, in a private cache too: only while fresh', request(), answer(200, { 'cache-control': 'max-age=60, proxy-revalidate' }), undefined, own, stored(60, now + 60_000)],
		['must-revalidate without freshness: expired', request(), answer(200, { 'cache-control': 'must-revalidate' }), undefined, own, not('expired')],
		['must-revalidate with an Age past max-age: expired', request(), answer(200, { 'cache-control': 'max-age=60, must-revalidate', age: '60' }), undefined, own, not('expired')],
		['stale-if-error=120: until freshness + 120 s', request(), answer(200, { 'cache-control': 'max-age=60, stale-if-error=120' }), undefined, own, stored(60, now + 180_000)],
		['stale-if-error=0 without freshness: expired', request(), answer(200, { 'cache-control': 'stale-if-error=0' }), undefined, own, not('expired')],
		['maxStaleMs 0: expired', request(), answer(200), undefined, { ...own, maxStaleMs: 0 }, not('expired')],
		['Expires − Date = 30 s', request(), answer(200, { date: 'Tue, 14 Nov 2023 22:13:20 GMT', expires: 'Tue, 14 Nov 2023 22:13:50 GMT' }), undefined, own, stored(30, now + day)],
		['Expires before Date: no freshness', request(), answer(200, { date: 'Tue, 14 Nov 2023 22:13:20 GMT', expires: 'Tue, 14 Nov 2023 22:12:50 GMT' }), undefined, own, stored(0, now + day)],
		['max-age over Expires', request(), answer(200, { 'cache-control': 'max-age=5', date: 'Tue, 14 Nov 2023 22:13:20 GMT', expires: 'Tue, 14 Nov 2023 22:13:50 GMT' }), undefined, own, stored(5, now + day)],
		['Content-Length over maxBodyBytes: size', request(), answer(200, { 'content-length': '1001' }), undefined, own, not('size')],
		['Content-Length at maxBodyBytes: stored', request(), answer(200, { 'content-length': '1000' }), undefined, own, stored(0, now + day)],
		['Set-Cookie: stored (the header is not: copy.ts write)', request(), answer(200, { 'set-cookie': 'a=1' }), undefined, own, stored(0, now + day)],
	] as const)('%s', (_name, asked, response, last, rules, expected) => {
		expect(copyPlan(asked, response, last, now, rules)).toEqual(expected);
	});

	// Defect hunt, ninth round: a freshness directive that is present but invalid (RFC 9111 §4.2.1: "consider
	// the response to be stale") still overrides Expires (§5.3: "MUST ignore the Expires header field").
	it.each([
		['max-age=abc with an Expires 30 s ahead: no freshness (Expires ignored)', request(), answer(200, { 'cache-control': 'max-age=abc', date: 'Tue, 14 Nov 2023 22:13:20 GMT', expires: 'Tue, 14 Nov 2023 22:13:50 GMT' }), own, stored(0, now + day)],
		['max-age=-1, must-revalidate with an Expires 30 s ahead: expired', request(), answer(200, { 'cache-control': 'max-age=-1, must-revalidate', date: 'Tue, 14 Nov 2023 22:13:20 GMT', expires: 'Tue, 14 Nov 2023 22:13:50 GMT' }), own, not('expired')],
		['max-age= (empty) with an Expires 30 s ahead, stale-if-error=60: 60 s from now', request(), answer(200, { 'cache-control': 'max-age=, stale-if-error=60', date: 'Tue, 14 Nov 2023 22:13:20 GMT', expires: 'Tue, 14 Nov 2023 22:13:50 GMT' }), own, stored(0, now + 60_000)],
		['s-maxage=1.5 with max-age=60 in a shared cache: stale at once, so expired', request(), answer(200, { 'cache-control': 's-maxage=1.5, max-age=60' }), shared, not('expired')],
	] as const)('%s', (_name, asked, response, rules, expected) => {
		expect(copyPlan(asked, response, undefined, now, rules)).toEqual(expected);
	});

	// Defect hunt, tenth round: an Expires that is no HTTP-date is already expired (RFC 9111 §5.3), also one that
	// looks like one at both ends (a day's name, a time, GMT) but that the runtime's lenient Date.parse reads as a year.
	it.each(['Sun, 3000 00:00:00 GMT', 'Wed, 2099-01-01 00:00:00 GMT', 'Mon, 30 Feb 2099 08:49:37 GMT'])('Expires %j (no HTTP-date) gives no freshness', (expires) => {
		expect(copyPlan(request(), answer(200, { expires, 'cache-control': 'must-revalidate' }), undefined, now, own)).toEqual(not('expired'));
	});

	it('renews an unchanged answer after at most 60 s, or half of the copy\'s servable window', () => {
		const renewOf = (cacheControl: string) => {
			const plan = copyPlan(request(), answer(200, { ...etag, 'cache-control': cacheControl }), undefined, now, own);
			return plan.store ? plan.copied?.renew : undefined;
		};
		expect(renewOf('max-age=600')).toBe(now + 60_000);
		expect(renewOf('max-age=10, must-revalidate')).toBe(now + 5000);
	});

	it('reads the answer\'s Cache-Control through one parser: the same header decides the same way however often it comes', () => {
		const header = { 'cache-control': 'max-age=60, must-revalidate' };
		const plans = [0, 1, 2].map(() => copyPlan(request(), answer(200, header), undefined, now, own));
		expect(plans).toEqual([stored(60, now + 60_000), stored(60, now + 60_000), stored(60, now + 60_000)]);
		// Another header between two reads of the first: the memo holds one header, never a stale one.
		expect(copyPlan(request(), answer(200, { 'cache-control': 'no-store' }), undefined, now, own)).toEqual(not('forbidden', true));
		expect(copyPlan(request(), answer(200, header), undefined, now, own)).toEqual(stored(60, now + 60_000));
	});
});
