/**
 * Defect hunt, eighteenth round (area E, the pipeline: one owner per call). Decided by the lead: "A layer
 * or a wrap that returns a `Response` synchronously is taken as if it returned a promise of it (layers and
 * wraps alike); any other value that is not a thenable is a `TypeError` naming the slot, kept to its call."
 * API.md "Your own policies": "a layer or wrap that throws fails that call only, typed by `classify()`"; "a
 * `checkCall` that throws rejects that call with `InvalidRequestError` … before any I/O"; "the client's `close()`
 * calls every part's `close()` once even when one throws, and does not throw". A part the client calls
 * synchronously that gives back a promise (an `async checkCall`, `settled`, `close`) is held to the same rules.
 */
import { describe, expect, it } from 'vitest';
import { unhandledDuring } from '../helpers/unhandled.js';
import { breaker } from '../../src/entries/breaker.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { classify, createClient } from '../../src/entries/core.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { hedge } from '../../src/entries/hedge.js';
import { memoryStore, outbox, staleCache } from '../../src/entries/index.js';
import type { FetchLike, Policy, PolicyCall } from '../../src/entries/policy.js';
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

/** An app's wrap at `band` that gives back `value()` at once for the calls `mine(n)` picks, else runs the call. */
const syncWrap = (band: number | undefined, value: () => unknown, mine: (n: number) => boolean = () => true): Policy<'odd'> => ({
	slot: 'odd',
	...(band === undefined ? {} : { at: { wrap: band } }),
	create: () => {
		let n = 0;
		return { wrap: (_call: PolicyCall, next: () => Promise<Response>) => mine(++n) ? value() : next() };
	},
} as never);

/** Layer bands: outside every built-in, between dedupe and hedge, hedge and bulkhead, bulkhead and breaker, inside every one. */
const layerBands = [50, 420, 500, 650, undefined];
/** Wrap bands: outside every built-in, between the outbox and the stale cache, inside every one. */
const wrapBands = [50, 250, undefined];

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

describe('a wrap that gives back at once what is neither a Response nor a thenable fails its call with a TypeError naming the slot', () => {
	const values: unknown[] = [undefined, null, 42, 'text', {}];

	it('at each band, the call fails with that TypeError (`UNKNOWN`), nothing sent', async () => {
		for (const band of wrapBands) {
			for (const value of values) {
				let sent = 0;
				const api = createClient({ fetch: async () => (sent++, new Response('net')), retry: 0, breaker: false, odd: syncWrap(band, () => value) } as never);
				// before: undefined resolved the call with `undefined`; others: 'TypeError UNKNOWN A policy's wrap resolved with no Response'
				expect([band, value, await settled(api.get('https://api.test/a'))]).toEqual([band, value, 'TypeError UNKNOWN The `odd` policy\'s `wrap` must return a promise or a Response']);
				expect(sent).toBe(0);
				api.close();
			}
		}
	});

	it('kept to its call: a wrap outside it sees the rejection (and may recover), the next call runs', async () => {
		const outer: Policy<'outer'> = {
			slot: 'outer',
			at: { wrap: 10 },
			create: () => ({ wrap: (_call: PolicyCall, next: () => Promise<Response>) => next().catch((error: Error) => new Response(`recovered: ${error.message}`)) }),
		} as never;
		const api = createClient({ fetch: async () => new Response('net'), retry: 0, breaker: false, outer, odd: syncWrap(undefined, () => undefined, (n) => n === 1) } as never);
		expect(await settled(api.get('https://api.test/a'))).toBe('200 recovered: The `odd` policy\'s `wrap` must return a promise or a Response');
		expect(await settled(api.get('https://api.test/b'))).toBe('200 net');
		api.close();
	});

	it('a Response given back at once is the answer (at each band), with the stale cache and the outbox around it', async () => {
		for (const band of wrapBands) {
			const api = createClient({ fetch: async () => new Response('net'), retry: 0, breaker: false, store: memoryStore, name: `h18-wrap-sync-${band}`, staleCache: staleCache(), outbox: outbox(), odd: syncWrap(band, () => new Response('sync')) } as never);
			expect([band, await settled(api.get('https://api.test/a'))]).toEqual([band, '200 sync']);
			expect([band, await settled(api.post('https://api.test/a', { json: {} }))]).toEqual([band, '200 sync']);
			api.close();
		}
	});
});

describe('a wrap\'s forgotten `return` inside the stale cache and the outbox fails that call only', () => {
	it('a read with a stored copy and a write: that TypeError, no stale copy served, nothing queued', async () => {
		let mine = false;
		const api = createClient({ fetch: async () => new Response('net', { headers: { 'cache-control': 'max-age=0' } }), retry: 0, breaker: false, store: memoryStore, name: 'h18-wrap-forgot', staleCache: staleCache(), outbox: outbox(), odd: syncWrap(undefined, () => undefined, () => mine) } as never);
		expect(await settled(api.get('https://api.test/a'))).toBe('200 net');
		await api.cache.list().then((keys) => expect(keys).toHaveLength(1));
		mine = true;
		// before: 'undefined undefined' (the call resolved with nothing, the stale cache and the outbox none the wiser)
		expect(await settled(api.get('https://api.test/a'))).toBe('TypeError UNKNOWN The `odd` policy\'s `wrap` must return a promise or a Response');
		expect(await settled(api.post('https://api.test/a', { json: { a: 1 } }))).toBe('TypeError UNKNOWN The `odd` policy\'s `wrap` must return a promise or a Response');
		expect(await api.outbox.size()).toBe(0);
		mine = false;
		expect(await settled(api.get('https://api.test/b'))).toBe('200 net');
		api.close();
	});
});

describe('a part the client calls synchronously that gives back a promise (an `async` one) is the policy\'s fault, kept to it', () => {
	it('an async `checkCall` refuses the calls that give its option with InvalidRequestError before any I/O, nothing left unhandled', async () => {
		for (const check of [async () => {
			throw new RangeError('`odd` must be a number');
		}, async () => undefined]) {
			let sent = 0;
			const odd: Policy<'odd'> = { slot: 'odd', create: () => ({ checkCall: check }) } as never;
			const api = createClient({ fetch: async () => (sent++, new Response('net')), retry: 0, breaker: false, odd } as never);
			let outcome = '';
			const unhandled = await unhandledDuring(async () => {
				outcome = await settled(api.get('https://api.test/a', { odd: 'x' } as never));
			});
			// before: '200 net' (sent with the option its check refused), and the check's rejection unhandled (Node exits)
			expect([outcome, sent, unhandled]).toEqual(['InvalidRequestError INVALID_REQUEST The `odd` policy\'s checkCall returned a promise', 0, []]);
			// A call that does not give the option is not checked.
			expect(await settled(api.get('https://api.test/b'))).toBe('200 net');
			api.close();
		}
	});

	it('an async `settled` that rejects fails no call and leaves nothing unhandled', async () => {
		let told = 0;
		const odd: Policy<'odd'> = { slot: 'odd', create: () => ({ settled: async () => {
			told++;
			throw new Error('the log sink is down');
		} }) } as never;
		const api = createClient({ fetch: async () => new Response('net'), retry: 0, breaker: false, odd } as never);
		let outcome = '';
		const unhandled = await unhandledDuring(async () => {
			outcome = await settled(api.get('https://api.test/a'));
		});
		// before: ['the log sink is down'] (the process exits with Node's default `--unhandled-rejections=throw`)
		expect([outcome, told, unhandled]).toEqual(['200 net', 1, []]);
		api.close();
	});

	it('an async `close` that rejects: the client\'s close() closes the others and leaves nothing unhandled', async () => {
		let closed = 0;
		const odd: Policy<'odd'> = { slot: 'odd', create: () => ({ close: async () => {
			throw new Error('already gone');
		} }) } as never;
		const other: Policy<'other'> = { slot: 'other', create: () => ({ close: () => void closed++ }) } as never;
		const unhandled = await unhandledDuring(async () => {
			createClient({ retry: 0, breaker: false, odd, other } as never).close();
		});
		// before: ['already gone']
		expect([closed, unhandled]).toEqual([1, []]);
	});
});
