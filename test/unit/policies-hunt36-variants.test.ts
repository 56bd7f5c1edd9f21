/**
 * Defect hunt, thirty-sixth round (traffic policies). API.md, adaptiveThrottle(): `requests` counts every attempt that
 * reaches the throttle, `accepts` those answered with a status `classify()` does not call transient; a losing hedge counts
 * as neither, whatever a layer above the throttle made of the winner's Response.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { hedge } from '../../src/entries/hedge.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { held } from './counting-origin-kit.js';

/** The throttle's counts after a race whose first attempt is answered 503 and whose hedge then wins with a 200. */
const countsAfterRace = async (options: object): Promise<unknown> => {
	const { pending, fetch } = held();
	const api = createClient({ fetch, retry: 0, timeout: false, retryBudget: false, breaker: false, hedge: hedge({ delayMs: 30 }), adaptiveThrottle: adaptiveThrottle(), ...options } as never);
	const call = api.get('https://api.test/x');
	await waitFor(() => pending.length === 2, 'the hedge');
	pending[0]!.release(new Response('busy', { status: 503 }));
	pending[1]!.release(new Response('ok'));
	expect(await call.text()).toBe('ok');
	const { throttle } = api.stats()['https://api.test'] as { throttle?: { requests: number; accepts: number } };
	api.close();
	return throttle && [throttle.requests, throttle.accepts];
};

describe('adaptiveThrottle(): a race\'s loser counts as neither, whatever Response the call settles with', () => {
	it('without a layer above that re-makes the Response: the winner alone', async () => {
		expect(await countsAfterRace({})).toEqual([1, 1]);
	});

	it('with dedupe (each caller gets its own Response of the shared one): the winner alone', async () => {
		// Before: [2, 1] (the 503 loser counted as a failed request: the call's Response was dedupe's copy, not the winner's).
		expect(await countsAfterRace({ dedupe: dedupe() })).toEqual([1, 1]);
	});

	it('with an afterResponse hook that returns a new Response: the winner alone', async () => {
		// Before: [2, 1].
		const hooks = { afterResponse: [({ response }: { response: Response }) => new Response(response.body, response)] };
		expect(await countsAfterRace({ hooks })).toEqual([1, 1]);
	});
});

describe('hedge(): an origin\'s pause is kept while 1 000 other scopes are met (it is no idle scope)', () => {
	it('a 429\'s Retry-After: 20 still holds the origin\'s hedges after calls to 1 000 other origins', async () => {
		const clock = new ManualClock();
		const { pending, fetch: slow } = held();
		const fetch = (async (request: Request) => new URL(request.url).hostname.endsWith('.many.test') ? new Response('ok') : slow(request)) as typeof globalThis.fetch;
		const api = createClient({ clock, fetch, retry: 0, timeout: false, retryBudget: false, breaker: false, hedge: hedge({ delayMs: 30 }) } as never);
		const hedged: string[] = [];
		api.on('hedge', ({ url }) => hedged.push(new URL(url).pathname));
		const first = api.get('https://api.test/first');
		await waitFor(() => pending.length === 2, 'the first call\'s hedge');
		pending[1]!.release(new Response('busy', { status: 429, headers: { 'retry-after': '20' } }));
		pending[0]!.release(new Response('ok'));
		expect(await first.text()).toBe('ok');
		for (let index = 0; index < 1000; index++) {
			await api.get(`https://s${index}.many.test/`).text();
		}

		clock.advance(10);
		const calls = [api.get('https://api.test/same'), api.get('https://other.test/other')];
		await waitFor(() => hedged.includes('/other'), 'the other origin\'s hedge');
		for (const attempt of pending.slice(2)) {
			attempt.release(new Response('ok'));
		}

		expect(await Promise.all(calls.map(async (call) => call.text()))).toEqual(['ok', 'ok']);
		api.close();
		// Before: ['/first', '/same', '/other'] (the paused origin's latency forgotten with the idle ones: its pause with it).
		expect(hedged).toEqual(['/first', '/other']);
	});
});
