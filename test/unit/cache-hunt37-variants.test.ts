/**
 * Defect hunt, thirty-seventh round (the stale cache): the freshness of an answer a cache on the way held, by its `Date`,
 * `Expires` and `Age` (RFC 9111 §4.2). Each test names its claim.
 */
import { describe, expect, it } from 'vitest';
import { answering, copiedUrl, outcome, settle, t0 } from './cache-kit.js';

/** The stale answer (or the error's name) 1 s after an answer with `headers` arrived at `t0`, the origin down then. */
const servedAfter = async (name: string, headers: Record<string, string>): Promise<string> => {
	const { api, clock, state } = answering(name, new Map());
	state.answer = { body: 'v1', headers };
	await api.get(copiedUrl).text();
	await settle();
	clock.advance(1000);
	state.down = true;
	const seen = await outcome(api);
	api.close();
	return seen;
};

/** An HTTP-date `s` seconds from `t0`. */
const at = (s: number): string => new Date(t0 + s * 1000).toUTCString();

describe('an Expires answer a cache on the way held (Date kept from the origin, Age added): its hold counts once (RFC 9111 §4.2.3)', () => {
	it('Date 30 s ago, Expires in 30 s, Age 30: fresh 29 s more when served 1 s on (ttl=29), not 0 s', async () => {
		expect(await servedAfter('h37-expires-age', { date: at(-30), expires: at(30), age: '30' })).toBe('steadfetch; hit; ttl=29; detail=network v1');
	});

	it('with must-revalidate: the copy is kept and answers while fresh, not dropped as expired', async () => {
		expect(await servedAfter('h37-expires-age-mr', { date: at(-30), expires: at(30), age: '30', 'cache-control': 'must-revalidate' })).toBe('steadfetch; hit; ttl=29; detail=network v1');
	});

	it('an Age over the Date\'s lag counts beyond it: Date 10 s ago, Expires in 50 s, Age 30 (ttl=29 at 1 s: 60 − 30 − 1)', async () => {
		expect(await servedAfter('h37-expires-age-over', { date: at(-10), expires: at(50), age: '30' })).toBe('steadfetch; hit; ttl=29; detail=network v1');
	});

	it('neighbour: never fresh past Expires by the client\'s clock: Date 30 s ago, Expires in 30 s, no Age (ttl=29)', async () => {
		expect(await servedAfter('h37-expires-lag', { date: at(-30), expires: at(30) })).toBe('steadfetch; hit; ttl=29; detail=network v1');
	});

	it('neighbour: Date now, Expires in 30 s, Age 30: stale at once, so with must-revalidate no copy', async () => {
		expect(await servedAfter('h37-expires-now', { date: at(0), expires: at(30), age: '30', 'cache-control': 'must-revalidate' })).toBe('NetworkError');
	});

	it('neighbour: Expires passed by the client\'s clock (Date 30 s ago, Expires 5 s ago, Age 30): stale (ttl=-6), never fresh', async () => {
		expect(await servedAfter('h37-expires-past', { date: at(-30), expires: at(-5), age: '30' })).toBe('steadfetch; hit; ttl=-6; detail=network v1');
	});
});
