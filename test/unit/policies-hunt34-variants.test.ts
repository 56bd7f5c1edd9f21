/**
 * Defect hunt, thirty-fourth round (traffic policies). API.md / hedge()'s TSDoc: a 429's quota reset holds the
 * origin's hedges only for a quota not said to have requests left (its `RateLimit-Remaining` or
 * `X-RateLimit-Remaining` as much as `RateLimit`'s `r`), the longest reset it says kept.
 */
import { describe, expect, it } from 'vitest';
import { hedgedAfter } from '../helpers/hedge-pause.js';

describe('hedge(): a 429\'s reset pauses hedges only for a quota said to be spent', () => {
	it.each([
		['X-RateLimit-Remaining: 100', { 'x-ratelimit-remaining': '100', 'x-ratelimit-reset': '3600' }],
		['RateLimit-Remaining: 100', { 'ratelimit-remaining': '100', 'ratelimit-reset': '3600' }],
	])('%s with an hour\'s reset (a quota with requests left: not what is spent) is no pause', async (_, headers) => {
		// Before: false (the reset was read without its remaining: the origin's hedges held for 30 s).
		expect(await hedgedAfter(429, headers, 10)).toBe(true);
	});

	it('a spent quota of those fields still pauses them', async () => {
		expect(await hedgedAfter(429, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '20' }, 10_000)).toBe(false);
		expect(await hedgedAfter(429, { 'ratelimit-remaining': '0', 'ratelimit-reset': '20' }, 10_000)).toBe(false);
		// A reset without its remaining: a quota not said to have requests left.
		expect(await hedgedAfter(429, { 'x-ratelimit-reset': '20' }, 10_000)).toBe(false);
	});
});

describe('hedge(): a 429\'s reset fields sent twice (by the origin and a gateway) are read whole', () => {
	it('each remaining with its reset, the longest reset of a spent quota kept', async () => {
		// Before: true (only the first pair was read: the origin's 100 left; the gateway's spent quota was not).
		expect(await hedgedAfter(429, { 'x-ratelimit-remaining': '100, 0', 'x-ratelimit-reset': '3600, 20' }, 10_000)).toBe(false);
		// Before: true (the second reset was not read: a 5 s pause where 20 s).
		expect(await hedgedAfter(429, { 'ratelimit-remaining': '0, 0', 'ratelimit-reset': '5, 20' }, 10_000)).toBe(false);
		expect(await hedgedAfter(429, { 'x-ratelimit-reset': '5, 20' }, 10_000)).toBe(false);
		expect(await hedgedAfter(429, { 'x-ratelimit-remaining': '100, 0', 'x-ratelimit-reset': '3600, 20' }, 20_001)).toBe(true);
	});
});
