/**
 * Defect hunt, thirty-eighth round (traffic: hedge, dedupe, bulkhead, rateLimit, the throttle, the retry budget).
 */
import { describe, expect, it, vi } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { hedge } from '../../src/entries/hedge.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { held } from './counting-origin-kit.js';

const t0 = 1_700_000_000_000;

/** How many of `pending`'s attempts are of `path` (a call's first attempt and its hedges). */
const attemptsOf = (pending: ReturnType<typeof held>['pending'], path: string): number => pending.filter(({ request }) => new URL(request.url).pathname === path).length;

/** Waits for `check` between the event loop's turns (setImmediate: not among the timers a test fakes), at most `turnsMax` of them. */
const turns = async (check: () => boolean, what: string, turnsMax = 100_000): Promise<void> => {
	for (let turn = 0; !check(); turn++) {
		if (turn === turnsMax) {
			throw new Error(`${what}: not after ${turnsMax} turns`);
		}

		await new Promise((resolve) => setImmediate(resolve));
	}
};

describe('hedge(): an origin\'s pause is on the family\'s clock, whichever client of an extend() family set or reads it', () => {
	it('a child given a clock an hour behind hedges once the pause its parent heard has passed', async () => {
		const clock = new ManualClock(t0);
		const { pending, fetch } = held();
		const parent = createClient({ clock, fetch, retry: 0, timeout: false, retryBudget: false, breaker: false, hedge: hedge({ delayMs: 30 }) } as never);
		const childClock = new ManualClock(t0 - 3_600_000);
		const child = parent.extend({ clock: childClock });
		const hedged: string[] = [];
		parent.on('hedge', ({ url }) => hedged.push(new URL(url).pathname));
		child.on('hedge', ({ url }) => hedged.push(new URL(url).pathname));
		// The parent's race: its hedge answered 429 Retry-After: 20 (the origin's pause: 20 s on the family's clock).
		const first = parent.get('https://api.test/first');
		await waitFor(() => pending.length === 2, 'the first call\'s hedge');
		pending[1]!.release(new Response('busy', { status: 429, headers: { 'retry-after': '20' } }));
		pending[0]!.release(new Response('ok'));
		expect(await first.text()).toBe('ok');
		// 21 s later on every clock: the pause is over.
		clock.advance(21_000);
		childClock.advance(21_000);
		const later = child.get('https://api.test/later');
		// Before the fix the pause held it (hedged ['/first']): this wait timed out.
		await waitFor(() => hedged.includes('/later') && attemptsOf(pending, '/later') === 2, 'the later call\'s hedge sent');
		for (const attempt of pending.slice(2)) {
			attempt.release(new Response('ok'));
		}

		expect(await later.text()).toBe('ok');
		parent.close();
		child.close();
		expect(hedged).toEqual(['/first', '/later']);
	});
});

describe('dedupe() with rateLimit(): a request dedupe shares waits for its token as a call of its own does', () => {
	it('the first caller\'s wait is bounded by its budget, not refused at once', async () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(new URL(request.url).pathname);
			return new Response('ok');
		}) as typeof globalThis.fetch;
		const waits: number[] = [];
		const outcomes: string[] = [];
		for (const shared of [false, true]) {
			// The bucket on an injected clock: '/next' finds '/spent''s token 200 ms away however long a busy machine took
			// between them (on the real clock, 200 ms of a pause refilled it: no wait, `waits` 1 where 2).
			const api = createClient({ clock: new ManualClock(t0), fetch, retry: 0, breaker: false, ...shared && { dedupe: dedupe() }, rateLimit: rateLimit({ perSecond: 5, burst: 1 }) } as never);
			api.on('ratelimit:wait', ({ waitMs }) => waits.push(waitMs));
			for (const path of ['/spent', '/next']) {
				outcomes.push(await api.get(`https://api.test${path}`).text().then(() => 'OK', (error: unknown) => classify(error).code));
			}

			api.close();
		}

		// Before: ['OK', 'OK', 'OK', 'RATE_LIMITED'], one wait (the shared request's budget the longest of no callers: -Infinity).
		expect([outcomes, waits, sent]).toEqual([['OK', 'OK', 'OK', 'OK'], [200, 200], ['/spent', '/next', '/spent', '/next']]);
	});
});

describe('dedupe(): a call that joined a request of another client of its extend() family is not ended by that client\'s close()', () => {
	it('the parent closes while its request waits for a token: the child\'s call that joined it goes on alone', async () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(new URL(request.url).pathname);
			return new Response('ok');
		}) as typeof globalThis.fetch;
		// The bucket on an injected clock and the token's wait on fake timers, ended by hand once the parent closed: on the real
		// clock a busy machine let the 200 ms wait end before close() (['OK', 'OK'] where ['CLIENT_CLOSED', 'OK']), or refilled
		// the bucket before '/shared' (no wait to wait for). Conditions are polled between the loop's turns (setImmediate).
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		try {
			const parent = createClient({ clock: new ManualClock(t0), fetch, retry: 0, breaker: false, dedupe: dedupe(), rateLimit: rateLimit({ perSecond: 5, burst: 1 }) } as never);
			const child = parent.extend({ timeout: 9000 });
			const waits: number[] = [];
			parent.on('ratelimit:wait', ({ waitMs }) => waits.push(waitMs));
			expect(await parent.get('https://api.test/spent').text()).toBe('ok');
			const parents = parent.get('https://api.test/shared').text().then(() => 'OK', (error: unknown) => classify(error).code);
			await turns(() => waits.length === 1, 'the parent\'s wait for its token');
			const childs = child.get('https://api.test/shared').text().then(() => 'OK', (error: unknown) => classify(error).code);
			await turns(() => (child.stats()['https://api.test']?.dedupe as { shared?: number } | undefined)?.shared === 1, 'the child joining');
			parent.close();
			expect(await parents).toBe('CLIENT_CLOSED');
			await vi.advanceTimersByTimeAsync(200); // The token's time: the request, the child's alone now, goes.
			// Before: ['CLIENT_CLOSED', 'CLIENT_CLOSED'] (the parent's refusal was the child's outcome), nothing sent for the child.
			expect([await childs, sent, waits]).toEqual(['OK', ['/spent', '/shared'], [200]]);
			child.close();
		} finally {
			vi.useRealTimers();
		}
	});
});

describe('rateLimit() and hedge(): a steadfetch service worker\'s refusal is no word of the origin\'s', () => {
	/** The worker's answer for a call its own client refused (steadfetch/sw): its breaker open for 30 s more. */
	const refusal = (): Response => Response.json({ error: 'CIRCUIT_OPEN', message: 'open' }, { status: 503, headers: { 'steadfetch-error': 'CIRCUIT_OPEN', 'retry-after': '30' } });

	it('rateLimit(): the worker\'s 503 with Retry-After: 30 does not hold the scope 30 s', async () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(new URL(request.url).pathname);
			return sent.length === 1 ? refusal() : new Response('ok');
		}) as typeof globalThis.fetch;
		const api = createClient({ clock: new ManualClock(t0), fetch, retry: 0, breaker: false, rateLimit: rateLimit() } as never);
		const outcomes: string[] = [];
		for (const path of ['/refused', '/next']) {
			outcomes.push(await api.get(`https://api.test${path}`).text().then(() => 'OK', (error: unknown) => classify(error).code));
		}

		api.close();
		// Before: ['HTTP_5XX', 'RATE_LIMITED'], ['/refused'] (the worker's Retry-After read as the origin's spent quota).
		expect([outcomes, sent]).toEqual([['HTTP_5XX', 'OK'], ['/refused', '/next']]);
	});

	it('hedge(): the worker\'s 503 with Retry-After: 30 does not pause the scope\'s hedges', async () => {
		const clock = new ManualClock(t0);
		const { pending, fetch } = held();
		const api = createClient({ clock, fetch, retry: 0, timeout: false, retryBudget: false, breaker: false, hedge: hedge({ delayMs: 30 }) } as never);
		const hedged: string[] = [];
		api.on('hedge', ({ url }) => hedged.push(new URL(url).pathname));
		const first = api.get('https://api.test/first');
		await waitFor(() => pending.length === 2, 'the first call\'s hedge');
		pending[1]!.release(refusal());
		pending[0]!.release(new Response('ok'));
		expect(await first.text()).toBe('ok');
		clock.advance(10);
		const later = api.get('https://api.test/later');
		// Before the fix the worker's Retry-After paused it (hedged ['/first']): this wait timed out.
		await waitFor(() => hedged.includes('/later') && attemptsOf(pending, '/later') === 2, 'the later call\'s hedge sent');
		for (const attempt of pending.slice(2)) {
			attempt.release(new Response('ok'));
		}

		expect(await later.text()).toBe('ok');
		api.close();
		// Before: ['/first'] (the worker's Retry-After held the origin's hedges 30 s).
		expect(hedged).toEqual(['/first', '/later']);
	});
});

describe('hedge(): a clock that stepped back moves an origin\'s pause back with it', () => {
	it('a 429\'s Retry-After: 20, then the clock set an hour back: hedged once the 20 s have passed, not an hour later', async () => {
		const clock = new ManualClock(t0);
		const { pending, fetch } = held();
		const api = createClient({ clock, fetch, retry: 0, timeout: false, retryBudget: false, breaker: false, hedge: hedge({ delayMs: 30 }) } as never);
		const hedged: string[] = [];
		api.on('hedge', ({ url }) => hedged.push(new URL(url).pathname));
		const first = api.get('https://api.test/first');
		await waitFor(() => pending.length === 2, 'the first call\'s hedge');
		pending[1]!.release(new Response('busy', { status: 429, headers: { 'retry-after': '20' } }));
		pending[0]!.release(new Response('ok'));
		expect(await first.text()).toBe('ok');
		// The device's clock is set an hour back; a quick call to the origin then; 21 s later a slow one.
		clock.set(t0 - 3_600_000);
		const quick = api.get('https://api.test/quick');
		await waitFor(() => pending.length === 3, 'the quick call');
		pending[2]!.release(new Response('ok'));
		expect(await quick.text()).toBe('ok');
		clock.advance(21_000);
		const later = api.get('https://api.test/later');
		// Before the fix the pause stood an hour ahead (hedged ['/first']): this wait timed out.
		await waitFor(() => hedged.includes('/later') && attemptsOf(pending, '/later') === 2, 'the later call\'s hedge sent');
		for (const attempt of pending.slice(3)) {
			attempt.release(new Response('ok'));
		}

		expect(await later.text()).toBe('ok');
		api.close();
		// Before: ['/first'] (the pause an hour and 20 s ahead of the clock set back: hedging off for the hour).
		expect(hedged).toEqual(['/first', '/later']);
	});
});
