/**
 * Defect hunt, eighteenth round (area E, the pipeline: one owner per call). Decided by the lead: "A layer
 * or a wrap that returns a `Response` synchronously is taken as if it returned a promise of it (layers and
 * wraps alike); any other value that is not a thenable is a `TypeError` naming the slot, kept to its call."
 * API.md "Your own policies": "a layer or wrap that throws fails that call only, typed by `classify()`".
 */
import { describe, expect, it } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { classify, createClient } from '../../src/entries/core.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { hedge } from '../../src/entries/hedge.js';
import type { FetchLike, Policy } from '../../src/entries/policy.js';
import { ManualClock } from '../helpers/manual-clock.js';

/** Settles with its status and body, or with its error's class, code and message. */
const settled = (call: Promise<Response>): Promise<string> =>
	call.then(async (response) => `${response?.status} ${await response?.text()}`, (error: Error) => `${error?.constructor?.name} ${classify(error).code} ${error?.message}`);

/** An app's layer at `band` that answers the attempts `mine(n)` picks (n from 1) with `value()` at once, else passes them on. */
const syncLayer = (band: number | undefined, value: () => unknown, mine: (n: number) => boolean): Policy<'odd'> => ({
	slot: 'odd',
	...(band === undefined ? {} : { at: { layer: band } }),
	create: () => ({
		layer: (next: FetchLike) => {
			let n = 0;
			return ((request, init) => mine(++n) ? value() : next(request, init)) as FetchLike;
		},
	}),
} as never);

/** Layer bands: outside every built-in, between dedupe and hedge, hedge and bulkhead, bulkhead and breaker, inside every one. */
const layerBands = [50, 420, 500, 650, undefined];

describe('a layer that gives back a Response at once is answered with it, as a wrap\'s is', () => {
	it('at each band, with hedge(), bulkhead(), breaker() and dedupe() around it', async () => {
		for (const band of layerBands) {
			let sent = 0;
			const api = createClient({ fetch: async () => (sent++, new Response('net')), retry: 0, hedge: hedge({ delayMs: 50 }), bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 0 }), breaker: breaker({ consecutiveFailures: 1 }), dedupe: dedupe(), odd: syncLayer(band, () => new Response('sync'), (n) => n === 1) } as never);
			// before: 'TypeError UNKNOWN The `odd` policy's `layer` must return a promise'
			expect([band, await settled(api.get('https://api.test/a'))]).toEqual([band, '200 sync']);
			// What the layers above it held is given back: the next call goes out (a bulkhead slot, the breaker closed).
			expect([band, await settled(api.get('https://api.test/b')), sent]).toEqual([band, '200 net', 1]);
			expect([band, api.breaker('https://api.test').state]).toEqual([band, 'closed']);
			api.close();
		}
	});

	it('a call\'s own `fetch` goes through the same layers', async () => {
		for (const band of layerBands) {
			const api = createClient({ retry: 0, breaker: false, odd: syncLayer(band, () => new Response('sync'), () => true) } as never);
			expect([band, await settled(api.get('https://api.test/a', { fetch: async () => new Response('net') }))]).toEqual([band, '200 sync']);
			api.close();
		}
	});

	it('dedupe() above it: every caller sharing the request gets its answer', async () => {
		const api = createClient({ fetch: async () => new Response('net'), retry: 0, breaker: false, dedupe: dedupe(), odd: syncLayer(undefined, () => new Response('sync'), () => true) } as never);
		expect(await Promise.all([settled(api.get('https://api.test/a')), settled(api.get('https://api.test/a'))])).toEqual(['200 sync', '200 sync']);
		api.close();
	});

	it('hedge() above it: a hedge it answers at once wins over a first attempt still out', async () => {
		let release = (): void => undefined;
		const fetch = (async () => {
			await new Promise<void>((resolve) => {
				release = resolve;
			});
			return new Response('late');
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, retry: 0, totalTimeout: 3000, breaker: false, retryBudget: false, hedge: hedge({ delayMs: 50 }), odd: syncLayer(undefined, () => new Response('hedged'), (n) => n === 2) } as never);
		// before: 'TimeoutError TIMEOUT Request timed out: GET https://api.test/slow' (3 s later: the hedge failed with the TypeError)
		expect(await settled(api.get('https://api.test/slow'))).toBe('200 hedged');
		release();
		api.close();
	});

	it('a half-open probe it answers closes the breaker above it', async () => {
		const fetch = (async () => new Response('down', { status: 503 })) as typeof globalThis.fetch;
		let mine = false;
		const clock = new ManualClock();
		const api = createClient({ fetch, clock, random: () => 0.5, retry: 0, retryBudget: false, breaker: breaker({ consecutiveFailures: 1, openMs: 1000 }), odd: syncLayer(undefined, () => new Response('sync'), () => mine) } as never);
		expect(await settled(api.get('https://api.test/a'))).toMatch(/^HTTPError HTTP_5XX /);
		clock.advance(10_000);
		mine = true;
		expect(await settled(api.get('https://api.test/b'))).toBe('200 sync');
		expect(api.breaker('https://api.test').state).toBe('closed');
		api.close();
	});

	it('anything else that is no thenable still fails that attempt with a TypeError naming the slot', async () => {
		for (const value of [undefined, null, 42, 'text', {}]) {
			const api = createClient({ fetch: async () => new Response('net'), retry: 0, breaker: false, odd: syncLayer(undefined, () => value, () => true) } as never);
			expect([value, await settled(api.get('https://api.test/a'))]).toEqual([value, expect.stringMatching(/^TypeError UNKNOWN The `odd` policy's `layer` must return a promise/)]);
			api.close();
		}
	});
});
