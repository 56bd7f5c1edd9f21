/**
 * Defect hunt, seventeenth round (area G, the pipeline and hedge). API.md "Your own policies": "A policy's
 * faults stay its own: … a layer or wrap that throws fails that call only, typed by `classify()`". A layer
 * that gives back no promise (it forgot its `return`, or returned a plain value) is such a fault: it fails
 * that attempt as a throw does, and every layer above it gives back what it holds (a hedge's race, a
 * bulkhead slot, the breaker's count, a shared request of dedupe).
 */
import { describe, expect, it } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { classify, createClient } from '../../src/entries/core.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { hedge } from '../../src/entries/hedge.js';
import type { FetchLike, Policy } from '../../src/entries/policy.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * What an app's layer gives back in place of `next()`'s promise. A Response given back at once is taken as
 * a promise of it since the eighteenth round (decided: layers and wraps alike; pipeline-hunt18-variants).
 */
const values: Array<[string, unknown]> = [
	['undefined', undefined],
	['null', null],
	['a number', 42],
	['an object', {}],
];

/** An app's policy whose layer gives back `value` for the attempts `odd(n)` picks (n from 1), else passes them on. */
const oddLayer = (value: () => unknown, odd: (n: number) => boolean): Policy<'odd'> => ({
	slot: 'odd',
	create: () => ({
		layer: (next: FetchLike) => {
			let n = 0;
			return ((request, init) => odd(++n) ? value() : next(request, init)) as FetchLike;
		},
	}),
} as never);

/** Settles with its status, or with its error's code and message. */
const settled = (call: Promise<Response>): Promise<string> =>
	call.then((response) => String(response.status), (error: Error) => `${classify(error).code} ${error.message}`);

describe('an app\'s layer that gives back no promise fails that attempt only, naming its slot', () => {
	it('with `hedge()`: a hedge it gave no promise for ends with the first attempt\'s answer, not the call\'s totalTimeout', async () => {
		for (const [label, value] of values) {
			let release = (): void => undefined;
			let sent = 0;
			const fetch = (async () => {
				sent++;
				await new Promise<void>((resolve) => {
					release = resolve;
				});
				return new Response('down', { status: 503 });
			}) as typeof globalThis.fetch;
			let asked = 0;
			const api = createClient({ fetch, retry: 0, totalTimeout: 3000, breaker: false, retryBudget: false, hedge: hedge({ delayMs: 50 }), odd: oddLayer(() => value, (n) => {
				asked = n;
				return n === 2;
			}) } as never);
			const call = settled(api.get('https://api.test/slow'));
			await waitFor(() => asked === 2 && sent === 1, 'the hedge to reach the odd layer');
			release();
			// before: 'TIMEOUT Request timed out: GET https://api.test/slow' (3 s later)
			expect([label, await call]).toEqual([label, expect.stringMatching(/^HTTP_5XX /)]);
			api.close();
		}
	});

	it('the first attempt it gives no promise for fails the call with a TypeError naming the slot', async () => {
		for (const [label, value] of values) {
			const api = createClient({ fetch: async () => new Response('ok'), retry: 0, breaker: false, odd: oddLayer(() => value, () => true) } as never);
			const outcome = await api.get('https://api.test/x').then(() => undefined, (error: unknown) => error as Error);
			expect([label, outcome?.constructor.name, outcome?.message]).toEqual([label, 'TypeError', expect.stringContaining('`odd`')]);
			api.close();
		}
	});

	it('with `bulkhead()` above it: the slot it held is free for the next call at once', async () => {
		for (const [label, value] of values) {
			const api = createClient({ fetch: async () => new Response('ok'), retry: 0, breaker: false, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 0 }), odd: oddLayer(() => value, (n) => n === 1) } as never);
			expect([label, await settled(api.get('https://api.test/a'))]).toEqual([label, expect.stringMatching(/^UNKNOWN /)]);
			// before: 'BULKHEAD_FULL …' (the slot held until the first call's deadline)
			expect([label, await settled(api.get('https://api.test/b'))]).toEqual([label, '200']);
			api.close();
		}
	});

	it('with `breaker()` above it: the half-open probe it failed is over (the next call goes out)', async () => {
		for (const [label, value] of values) {
			let down = true;
			const fetch = (async () => new Response(down ? 'down' : 'up', { status: down ? 503 : 200 })) as typeof globalThis.fetch;
			let fail = false;
			const clock = new ManualClock();
			const api = createClient({ fetch, clock, random: () => 0.5, retry: 0, retryBudget: false, breaker: breaker({ consecutiveFailures: 1, openMs: 1000 }), odd: oddLayer(() => value, () => fail) } as never);
			expect([label, await settled(api.get('https://api.test/a'))]).toEqual([label, expect.stringMatching(/^HTTP_5XX /)]);
			expect([label, api.breaker('https://api.test').state]).toEqual([label, 'open']);
			clock.advance(10_000);
			// The half-open probe reaches the odd layer, which fails it.
			fail = true;
			expect([label, await settled(api.get('https://api.test/b'))]).toEqual([label, expect.stringContaining('`odd`')]);
			fail = false;
			down = false;
			// before: 'CIRCUIT_OPEN …' (its probe counted as running for good: ky had no timer left to abort it)
			expect([label, await settled(api.get('https://api.test/c'))]).toEqual([label, '200']);
			api.close();
		}
	});

	it('with `dedupe()` above it: the callers sharing its request get its TypeError, and the next identical call is sent', async () => {
		for (const [label, value] of values) {
			let sent = 0;
			const api = createClient({ fetch: async () => (sent++, new Response('ok')), retry: 0, breaker: false, dedupe: dedupe(), odd: oddLayer(() => value, (n) => n === 1) } as never);
			const both = await Promise.all([settled(api.get('https://api.test/a')), settled(api.get('https://api.test/a'))]);
			expect([label, both]).toEqual([label, [expect.stringContaining('`odd`'), expect.stringContaining('`odd`')]]);
			expect([label, await settled(api.get('https://api.test/a')), sent]).toEqual([label, '200', 1]);
			api.close();
		}
	});
});

describe('a thenable that is not a native promise is taken as a promise', () => {
	it('an app\'s layer that gives back a thenable of its own is answered, with a bulkhead and the breaker above it', async () => {
		// biome-ignore lint/suspicious/noThenProperty: a thenable of the app's own is the case under test
		const thenable = (response: Response) => ({ then: (resolve: (value: Response) => unknown) => resolve(response) });
		const api = createClient({ fetch: async () => new Response('ok'), retry: 0, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 0 }), odd: oddLayer(() => thenable(new Response('theirs')), () => true) } as never);
		// before: 'next(...).finally is not a function' (the bulkhead chained on a promise it did not get)
		expect(await api.get('https://api.test/a').then((response) => response.text(), (error: Error) => error.message)).toBe('theirs');
		expect(await api.get('https://api.test/b').then((response) => response.text(), (error: Error) => error.message)).toBe('theirs');
		api.close();
	});
});

describe('a custom `fetch` that gives back no promise fails no layer above it (ky awaits what its `fetch` gives)', () => {
	it('a Response given back at once is the answer, as with ky (without its timeout, which chains on a promise)', async () => {
		const fetch = (() => new Response('sync')) as unknown as typeof globalThis.fetch;
		const { default: ky } = await import('ky');
		expect(await ky.get('https://api.test/a', { fetch, retry: 0, timeout: false }).text()).toBe('sync');
		for (const slots of [{}, { bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 0 }) }, { hedge: hedge({ delayMs: 50 }) }, { dedupe: dedupe() }]) {
			const api = createClient({ fetch, retry: 0, ...slots });
			// before: 'sent.then is not a function'
			expect([Object.keys(slots), await api.get('https://api.test/a').then((response) => response.text(), (error: Error) => error.message)]).toEqual([Object.keys(slots), 'sync']);
			api.close();
		}

		// A call's own `fetch` too.
		const api = createClient({ retry: 0 });
		expect(await api.get('https://api.test/a', { fetch }).then((response) => response.text(), (error: Error) => error.message)).toBe('sync');
		api.close();
	});

	it('nothing given back (a test\'s bare `vi.fn()`) fails the attempt saying so, and a bulkhead above it frees its slot', async () => {
		let answer = false;
		const fetch = (() => answer ? new Response('ok') : undefined) as unknown as typeof globalThis.fetch;
		const api = createClient({ fetch, retry: 0, breaker: false, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 0 }) });
		expect(await settled(api.get('https://api.test/a'))).toBe('UNKNOWN `fetch` resolved no Response (got undefined)');
		answer = true;
		// before: 'BULKHEAD_FULL …' (the slot held until the first call's deadline)
		expect(await settled(api.get('https://api.test/b'))).toBe('200');
		api.close();
	});

	it('nothing given back for a half-open probe: the probe is over, the next call goes out', async () => {
		let mode: 'down' | 'none' | 'up' = 'down';
		const fetch = (() => mode === 'none' ? undefined : Promise.resolve(new Response('x', { status: mode === 'down' ? 503 : 200 }))) as unknown as typeof globalThis.fetch;
		const clock = new ManualClock();
		const api = createClient({ fetch, clock, random: () => 0.5, retry: 0, retryBudget: false, breaker: breaker({ consecutiveFailures: 1, openMs: 1000 }) });
		expect(await settled(api.get('https://api.test/a'))).toMatch(/^HTTP_5XX /);
		clock.advance(10_000);
		mode = 'none';
		expect(await settled(api.get('https://api.test/b'))).toBe('UNKNOWN `fetch` resolved no Response (got undefined)');
		mode = 'up';
		// before: 'CIRCUIT_OPEN Circuit open for https://api.test; retry in 10000 ms' (the probe counted as running for good)
		expect(await settled(api.get('https://api.test/c'))).toBe('200');
		api.close();
	});
});
