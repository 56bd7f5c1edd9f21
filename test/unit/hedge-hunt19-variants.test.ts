/**
 * Defect hunt, nineteenth round (hedge timing). hedge TSDoc (`delayMs`): an attempt is hedged `delayMs`
 * after it was sent ("a hedge tried while it waited below for a bulkhead slot is tried again"), and each
 * latency sample is timed from when its attempt was sent, after any wait below. Also when a layer between
 * the hedge and that wait passes a copy of the init it was given (`{ ...init }`: an app's, or the trace
 * slot's with a listener): the attempt is timed as it goes out (`FetchInit.sending`), not as it is copied.
 */
import { describe, expect, it } from 'vitest';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { createClient } from '../../src/entries/core.js';
import { hedge } from '../../src/entries/hedge.js';
import type { FetchInit, Policy } from '../../src/entries/policy.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { trace } from '../../src/entries/trace.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { held } from './counting-origin-kit.js';

/** An app's layer at `band` that passes a copy of its init, as many do (`{ ...init, headers }`). */
const copying = (band: number): Policy<'copies'> => ({
	slot: 'copies',
	at: { layer: band },
	create: () => ({ layer: (next) => (request, init) => next(request, { ...init }) }),
});

/** An app's layer between the hedge and the trace slot that notes how each hedge ended (the error's name when it was not sent). */
const watching = (hedges: string[], refused?: () => void): Policy<'watches'> => ({
	slot: 'watches',
	at: { layer: 460 },
	create: () => ({ layer: (next) => (request, init?: FetchInit) => {
		const isHedge = typeof Object.getOwnPropertyDescriptor(init ?? {}, 'hedge')?.value === 'function';
		const sent = next(request, init);
		if (isHedge) {
			sent.then(() => hedges.push('sent'), (error: Error) => {
				hedges.push(error.name);
				refused?.();
			});
		}

		return sent;
	} }),
});

/** What sits between the hedge and the wait below: an app's copying layer, or the trace slot with a listener (`listen`). */
const between: Record<string, { options: Record<string, unknown>; listen?: (api: { on(name: 'attempt:start', listener: () => void): unknown }) => unknown }> = {
	'an app\'s layer that copies init': { options: { copies: copying(500) } },
	'trace() with an attempt:start listener': { options: { trace: trace() }, listen: (api) => api.on('attempt:start', () => undefined) },
};

/** The scope's bulkhead now (`stats().bulkhead`). */
const lanesOf = (api: { stats(): Record<string, unknown> }): { running: number; queued: number } | undefined => (api.stats()['https://api.test'] as { bulkhead?: { running: number; queued: number } } | undefined)?.bulkhead;

/** The scope's hedge delay now (`stats().hedge.delayMs`). */
const delayOf = (api: { stats(): Record<string, unknown> }): number | undefined => (api.stats()['https://api.test'] as { hedge?: { delayMs: number } } | undefined)?.hedge?.delayMs;

describe('hedge(): a first attempt that waited below for a slot or a token is hedged `delayMs` after it goes out, through a layer that copies init', () => {
	for (const [name, { options, listen }] of Object.entries(between)) {
		it(`bulkhead, ${name}`, async () => {
			const { pending, fetch } = held();
			const hedges: string[] = [];
			const api = createClient({ fetch, retry: 0, breaker: false, timeout: false, retryBudget: false, bulkhead: bulkhead({ maxConcurrent: 2, maxQueue: 5 }), hedge: hedge({ delayMs: 50 }), watches: watching(hedges), ...options } as never);
			listen?.(api);
			// `/a` and `/c` (not hedged) hold both slots; `/b` waits for one, its hedge is tried meanwhile and refused (no slot at once).
			const others = Promise.all([api.get('https://api.test/a', { hedge: false }).text(), api.get('https://api.test/c', { hedge: false }).text()]);
			await waitFor(() => pending.length === 2, 'the two slots taken');
			const call = api.get('https://api.test/b').text();
			await waitFor(() => hedges.length === 1, 'the hedge tried while /b waited');
			expect(hedges).toEqual(['BulkheadFullError']);
			pending[0]!.release();
			pending[1]!.release();
			await others;
			await waitFor(() => pending.length === 3, '/b sent');
			// /b's first attempt hangs at the origin: a hedge goes 50 ms after it was sent (a slot is free) and answers.
			// before: 2 (its only hedge was tried while it waited; nothing tried again once it went out)
			await expect.poll(() => pending.length, { timeout: 2000 }).toBe(4);
			pending[3]!.release(new Response('hedge'));
			expect(await call).toBe('hedge');
			expect(hedges).toEqual(['BulkheadFullError', 'sent']);
			api.close();
		});
	}

	it('rateLimit, an app\'s layer that copies init', async () => {
		const clock = new ManualClock();
		const { pending, fetch } = held();
		const hedges: string[] = [];
		// Once the hedge tried while /b waited for its token was refused, the clock moves on: a later one finds a token.
		const api = createClient({ fetch, clock, retry: 0, breaker: false, timeout: false, retryBudget: false, rateLimit: rateLimit({ perSecond: 10, burst: 1 }), hedge: hedge({ delayMs: 50 }), watches: watching(hedges, () => clock.advance(1000)), copies: copying(500) } as never);
		const first = api.get('https://api.test/a', { hedge: false }).text();
		await waitFor(() => pending.length === 1, '/a sent');
		pending[0]!.release();
		await first;
		// `/b` waits 100 ms for the next token; its hedge, tried at 50 ms, is refused (no token at once).
		const call = api.get('https://api.test/b').text();
		await waitFor(() => pending.length === 2, '/b sent');
		expect(hedges).toEqual(['RateLimitedError']);
		// before: 2
		await expect.poll(() => pending.length, { timeout: 2000 }).toBe(3);
		pending[2]!.release(new Response('hedge'));
		expect(await call).toBe('hedge');
		expect(hedges).toEqual(['RateLimitedError', 'sent']);
		api.close();
	});
});

describe('hedge(): the latency sample of an attempt that waited below for a bulkhead slot is timed from when it went out, through a layer that copies init', () => {
	for (const [name, { options, listen }] of Object.entries(between)) {
		it(name, async () => {
			const clock = new ManualClock();
			let release = (): void => undefined;
			const fetch = (async (request: Request) => {
				if (request.url.endsWith('/hold')) {
					await new Promise<void>((resolve) => {
						release = resolve;
					});
				}

				return new Response('ok');
			}) as typeof globalThis.fetch;
			const api = createClient({ fetch, clock, retry: 0, breaker: false, retryBudget: false, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 20 }), hedge: hedge(), ...options } as never);
			listen?.(api);
			const hold = api.get('https://api.test/hold').text();
			await waitFor(() => lanesOf(api)?.running === 1, '/hold sent');
			const calls = Array.from({ length: 10 }, (_, index) => api.get(`https://api.test/${index}`).text());
			await waitFor(() => lanesOf(api)?.queued === 10, 'ten calls queued');
			// Five seconds in the queue; each answers at once once it goes out (0 ms), /hold after 5 s.
			clock.advance(5000);
			release();
			await Promise.all([hold, ...calls]);
			// 11 samples, ten of 0 ms: the p90, bounded below. before: 2000 (every sample 5000 ms: the wait included)
			expect(delayOf(api)).toBe(50);
			api.close();
		});
	}

	it('a first attempt refused below (no slot, none to wait for) goes out never: it is no sample', async () => {
		const clock = new ManualClock();
		const { pending, fetch } = held();
		const api = createClient({ fetch, clock, retry: 0, breaker: false, retryBudget: false, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 0 }), hedge: hedge(), copies: copying(500) } as never);
		for (let index = 0; index < 9; index++) {
			const call = api.get(`https://api.test/${index}`).text();
			await waitFor(() => pending.length === index + 1, 'sent');
			pending[index]!.release();
			await call;
		}

		const hold = api.get('https://api.test/hold').text();
		await waitFor(() => pending.length === 10, '/hold sent');
		await expect(api.get('https://api.test/refused').text()).rejects.toMatchObject({ name: 'BulkheadFullError' });
		// Nine samples: still the default.
		expect(delayOf(api)).toBe(2000);
		pending[9]!.release();
		await hold;
		expect(delayOf(api)).toBe(50);
		api.close();
	});
});
