/**
 * Defect hunt, thirty-fifth round (traffic policies). hedge()'s TSDoc: a 429's quota reset holds the origin's hedges
 * only for a quota not said to have requests left, each quota of a `RateLimit` field read on its own. Its `delayMs`: the
 * p90 of the scope's answers, each timed from when its attempt was sent (an answer of an app's layer below, never sent, is none).
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { hedge } from '../../src/entries/hedge.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import type { Policy } from '../../src/entries/policy.js';
import { hedgedAfter } from '../helpers/hedge-pause.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { held } from './counting-origin-kit.js';

describe('hedge(): each quota of a 429\'s RateLimit field is read on its own (a quota starts at its name)', () => {
	it('a quota with no reset never lends its remaining to the next one\'s reset, nor takes it', async () => {
		// "burst" (spent, no reset said) and "daily" (its reset before its 500 left): the daily quota is not what is spent.
		// Before: false (the burst's r=0 with the daily reset: the origin's hedges held for 30 s).
		expect(await hedgedAfter(429, { ratelimit: '"burst";r=0, "daily";t=86400;r=500' }, 10)).toBe(true);
		// "burst" (reset said, no remaining: not said to have requests left) beside a "daily" quota with 500 left: a 20 s pause.
		expect(await hedgedAfter(429, { ratelimit: '"burst";t=20, "daily";r=500;t=86400' }, 10_000)).toBe(false);
		expect(await hedgedAfter(429, { ratelimit: '"burst";t=20, "daily";r=500;t=86400' }, 20_001)).toBe(true);
	});
});

describe('hedge(): an answer an app\'s layer below gave without sending the attempt is no latency of the scope', () => {
	it('12 answers of a memo layer leave the delay at 2 s (fewer than 10 seen), and the next real call unhedged', async () => {
		const clock = new ManualClock();
		const { pending, fetch } = held();
		const memo: Policy<'memo'> = {
			slot: 'memo',
			create: () => ({ layer: (next) => async (request, init) => new URL(request.url).pathname.startsWith('/memo/') ? new Response('memo') : next(request, init) }),
		};
		const api = createClient({ clock, fetch, retry: 0, timeout: false, breaker: false, hedge: hedge(), memo } as never);
		const hedged: string[] = [];
		api.on('hedge', ({ url }) => hedged.push(new URL(url).pathname));
		for (let index = 0; index < 12; index++) {
			expect(await api.get(`https://api.test/memo/${index}`).text()).toBe('memo');
		}

		// Before: 50 (twelve 0 ms "answers": the real call below was hedged after 50 ms, two requests where one).
		expect((api.stats()['https://api.test'] as { hedge?: { delayMs: number } } | undefined)?.hedge?.delayMs ?? 2000).toBe(2000);
		const real = api.get('https://api.test/real');
		await waitFor(() => pending.length === 1, 'the real call sent');
		pending[0]!.release(new Response('origin'));
		expect(await real.text()).toBe('origin');
		expect(hedged).toEqual([]);
		api.close();
	});
});

describe('rateLimit(): an answer an app\'s layer below gave without sending the attempt is not the server\'s word', () => {
	it('a memo\'s kept answer saying remaining=0, reset=30 does not block the scope', async () => {
		let sent = 0;
		const fetch = (async () => {
			sent++;
			return new Response('origin');
		}) as typeof globalThis.fetch;
		const memo: Policy<'memo'> = {
			slot: 'memo',
			create: () => ({ layer: (next) => async (request, init) => new URL(request.url).pathname.startsWith('/memo/') ? new Response('kept', { headers: { ratelimit: 'limit=10, remaining=0, reset=30' } }) : next(request, init) }),
		};
		const api = createClient({ fetch, retry: 0, breaker: false, rateLimit: rateLimit(), memo } as never);
		expect(await api.get('https://api.test/memo/1').text()).toBe('kept');
		// Before: RateLimitedError (retry in 30 s: the scope blocked by a word no server said now), no request sent.
		expect(await api.get('https://api.test/real').text()).toBe('origin');
		expect(sent).toBe(1);
		api.close();
	});

	it('the server\'s own word still blocks it', async () => {
		const fetch = (async () => new Response('origin', { headers: { ratelimit: 'limit=10, remaining=0, reset=30' } })) as typeof globalThis.fetch;
		const api = createClient({ fetch, retry: 0, breaker: false, rateLimit: rateLimit() });
		expect(await api.get('https://api.test/one').text()).toBe('origin');
		await expect(api.get('https://api.test/two').text()).rejects.toMatchObject({ code: 'RATE_LIMITED' });
		api.close();
	});
});

describe('hedge(): a 429 an app\'s layer below gave without sending the attempt is no pause of the origin\'s', () => {
	it('a memo\'s kept 429 with Retry-After: 20 leaves the next real call hedged', async () => {
		const { pending, fetch } = held();
		const memo: Policy<'memo'> = {
			slot: 'memo',
			create: () => ({ layer: (next) => async (request, init) => new URL(request.url).pathname.startsWith('/memo/') ? new Response('busy', { status: 429, headers: { 'retry-after': '20' } }) : next(request, init) }),
		};
		const api = createClient({ clock: new ManualClock(), fetch, retry: 0, timeout: false, retryBudget: false, hedge: hedge({ delayMs: 30 }), memo } as never);
		const hedged: string[] = [];
		api.on('hedge', ({ url }) => hedged.push(new URL(url).pathname));
		await expect(api.get('https://api.test/memo/1').text()).rejects.toMatchObject({ response: { status: 429 } });
		const real = api.get('https://api.test/real');
		// Before: never hedged (its hedges held for 20 s by the memo's word).
		await waitFor(() => hedged.includes('/real'), 'the real call\'s hedge');
		for (const attempt of pending) {
			attempt.release(new Response('origin'));
		}

		expect(await real.text()).toBe('origin');
		api.close();
	});
});
