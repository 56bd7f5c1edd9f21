/** Hedging, round-4 variants: a keyed write's hedge meets the server's idempotency rules. */
import { describe, expect, it, vi } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { hedge } from '../../src/entries/hedge.js';
import type { FetchInit, FetchLike, Layer, Policy } from '../../src/entries/policy.js';
import { ManualClock } from '../helpers/manual-clock.js';

/**
 * An origin keeping the IETF Idempotency-Key rules (draft-ietf-httpapi-idempotency-key-header, as
 * Stripe does): a request whose key is still being processed is answered `status` (409 Conflict or
 * 425 Too Early) at once; the first one answers 201 once `release()` is called.
 */
const keyedOrigin = (status: number) => {
	const inProgress = new Set<string>();
	const answered: number[] = [];
	let release = (): void => undefined;
	const fetch = (async (request: Request) => {
		const key = request.headers.get('idempotency-key')!;
		if (inProgress.has(key)) {
			answered.push(status);
			return new Response('in progress', { status });
		}

		inProgress.add(key);
		await new Promise<void>((resolve) => {
			release = resolve;
		});
		inProgress.delete(key);
		answered.push(201);
		return new Response('created', { status: 201 });
	}) as typeof globalThis.fetch;
	return { fetch, answered, release: () => release() };
};

describe('hedge: keyed writes', () => {
	for (const status of [409, 425]) {
		it(`a hedge of a keyed POST answered ${status} (its key still in progress) does not win over the attempt still running: the call gets its 201`, async () => {
			const origin = keyedOrigin(status);
			const api = createClient({ retry: 0, retryBudget: false, fetch: origin.fetch, hedge: hedge({ delayMs: 50 }) });
			const call = api.post('https://api.test/orders', { json: { item: 1 }, headers: { 'idempotency-key': 'order-1' } });
			await vi.waitFor(() => expect(origin.answered).toEqual([status]));
			origin.release();
			// Before: the hedge's 409 / 425 won, the first attempt was aborted, and the call failed with HTTP_4XX.
			const response = await call;
			expect([response.status, await response.text()]).toEqual([201, 'created']);
			api.close();
		});
	}

	it('when every attempt of a keyed POST ends, the call gets a server answer: the 409 when it is the only one', async () => {
		let attempts = 0;
		const api = createClient({
			retry: 0, retryBudget: false, hedge: hedge({ delayMs: 50 }),
			fetch: (async (request: Request) => {
				attempts++;
				if (attempts === 1) {
					// The first attempt fails with a network error after its hedge was answered 409.
					await vi.waitFor(() => expect(attempts).toBe(2));
					await new Promise((resolve) => setTimeout(resolve, 10));
					throw new TypeError('fetch failed');
				}

				return new Response('in progress', { status: 409, headers: { 'x-key': request.headers.get('idempotency-key')! } });
			}) as typeof fetch,
		});
		await expect(api.post('https://api.test/orders', { json: {}, headers: { 'idempotency-key': 'k' } })).rejects.toMatchObject({ response: { status: 409 } });
		api.close();
	});
});

describe('hedge: a layer below it that resolves with no Response (an app layer that forgot its `return`)', () => {
	it('fails that call at once, as one that rejects would: never a call held until its totalTimeout, nor an unhandled rejection', async () => {
		const forgetful = (next: FetchLike) => async (request: Request, init?: FetchInit): Promise<void> => {
			await next(request, init);
		};
		const forgot: Policy = { slot: 'forgot', create: () => ({ layer: forgetful as unknown as Layer }) };
		const api = createClient({ retry: 0, fetch: (async () => new Response('ok')) as typeof fetch, hedge: hedge({ delayMs: 10_000 }), forgot } as never);
		const error = await api.get('https://api.test/a', { totalTimeout: 1_000 }).catch((caught: unknown) => caught);
		expect([(error as Error).name, (error as Error).message, classify(error).code]).toEqual(['TypeError', 'A policy\'s layer resolved with no Response', 'UNKNOWN']);
		api.close();
	});
});

describe('hedge: a hedge the spent retry budget refused, then a retry it refuses', () => {
	it('budget:exhausted is still told once for the window: a hedge not sent does not use up its telling', async () => {
		let calls = 0;
		const fetch = (async () => {
			calls++;
			if (calls === 1) {
				// Slower than the hedge's delay: a hedge is asked for, and the budget (none) refuses it.
				await new Promise((resolve) => setTimeout(resolve, 60));
				return new Response('slow but fine');
			}

			return new Response('down', { status: 503 });
		}) as typeof globalThis.fetch;
		const api = createClient({ retry: 1, fetch, hedge: hedge({ delayMs: 10 }), retryBudget: { ratio: 0, minRetries: 0 } });
		const told: unknown[] = [];
		const hedges: unknown[] = [];
		api.on('budget:exhausted', (event) => told.push(event));
		api.on('hedge', (event) => hedges.push(event));
		expect(await api.get('https://api.test/slow').text()).toBe('slow but fine');
		expect([hedges, told]).toEqual([[], []]);
		// A 503 ky would retry: the budget refuses that retry, and says so.
		expect(classify(await api.get('https://api.test/down').catch((error: unknown) => error)).code).toBe('HTTP_5XX');
		// Before: [] (the hedge's refusal had marked the window as told).
		expect(told).toEqual([expect.objectContaining({ type: 'budget:exhausted', scope: 'https://api.test', retries: 0, allowed: 0 })]);
		expect(api.stats()['https://api.test']?.retriesRefused).toBe(1);
		api.close();
	});
});

describe('hedge: the default delay (defect hunt, eleventh round)', () => {
	it('is the scope\'s p90 (nearest rank) of its answer times: with 10, 20 … 60 answers too, not the next one up', async () => {
		const clock = new ManualClock();
		let answerMs = 0;
		const api = createClient({
			clock, retry: 0, retryBudget: false, hedge: hedge(),
			fetch: (async () => {
				clock.advance(answerMs);
				return new Response('ok');
			}) as typeof globalThis.fetch,
		});
		const delays: Array<number | undefined> = [];
		// Of every ten answers, nine take 100 ms and one 1 s: the p90 is 100 ms however many tens were seen.
		for (let tens = 1; tens <= 6; tens++) {
			for (let index = 0; index < 10; index++) {
				answerMs = index === 9 ? 1_000 : 100;
				await api.get('https://api.test/a').text();
			}

			delays.push((api.stats()['https://api.test']?.hedge as { delayMs?: number } | undefined)?.delayMs);
		}

		// Before: [1000, 1000, 1000, 1000, 1000, 1000] (the value above the p90 when 0.9 × answers is a whole number).
		expect(delays).toEqual([100, 100, 100, 100, 100, 100]);
		api.close();
	});
});

describe('hedge: the default delay when hedges win (defect hunt, twelfth round)', () => {
	it('a hedge that wins counts its own answer time, not the delay before it went: the p90 does not climb', async () => {
		const clock = new ManualClock();
		let hangs = false;
		let sent = 0;
		const api = createClient({
			clock, retry: 0, retryBudget: false, hedge: hedge(),
			fetch: (async (request: Request) => {
				// Every answer takes 100 ms (the clock's). A first attempt that hangs does so once its hedge's delay (100 ms) passed.
				clock.advance(100);
				if (hangs && ++sent % 2 === 1) {
					return new Promise<Response>((_resolve, reject) => {
						request.signal.addEventListener('abort', () => reject(request.signal.reason as Error), { once: true });
					});
				}

				return new Response('ok');
			}) as typeof globalThis.fetch,
		});
		const delayMs = () => (api.stats()['https://api.test']?.hedge as { delayMs?: number } | undefined)?.delayMs;
		for (let index = 0; index < 10; index++) {
			await api.get('https://api.test/a').text();
		}

		expect(delayMs()).toBe(100);
		hangs = true;
		for (let index = 0; index < 5; index++) {
			expect(await api.get('https://api.test/a').text()).toBe('ok');
		}

		// Before: 200 (each winning hedge counted 100 ms of delay plus its 100 ms answer; the next delay, 200 ms, then
		// counted again: the delay climbs towards 2 s while every answer takes 100 ms).
		expect([sent, delayMs()]).toEqual([10, 100]);
		api.close();
	});
});

describe('hedge: a losing attempt whose answer arrived before its abort landed (API.md: "a losing hedge counts as neither")', () => {
	/**
	 * The first attempt is answered `status` only after its hedge won (a transport that had the answer before the
	 * abort: it resolves whatever the signal says); `lost()` resolves once that answer was let go (its body cancelled).
	 */
	const race = (status: number, together: boolean) => {
		let release = (): void => undefined;
		const gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		let cancelled = (): void => undefined;
		const lost = new Promise<void>((resolve) => {
			cancelled = resolve;
		});
		let sent = 0;
		const fetch = (async () => {
			if (++sent === 1) {
				await gate;
				return new Response(new ReadableStream({ cancel: () => cancelled() }), { status });
			}

			// Answered in the same tick as the hedge (just behind it), or a task later.
			if (together) {
				release();
			} else {
				setTimeout(release, 0);
			}

			return new Response('hedge');
		}) as typeof globalThis.fetch;
		return { fetch, lost };
	};

	for (const [status, together] of [[200, false], [503, false], [200, true], [503, true]] as const) {
		it(`its ${status}${together ? ', just behind the winner\'s answer,' : ''} is counted by neither the adaptive throttle nor health: the call's 200 is one request, one accept, no failure`, async () => {
			const { adaptiveThrottle } = await import('../../src/entries/throttle.js');
			const { health } = await import('../../src/entries/health.js');
			const origin = race(status, together);
			const api = createClient({ retry: 0, retryBudget: false, fetch: origin.fetch, hedge: hedge({ delayMs: 20 }), adaptiveThrottle: adaptiveThrottle(), health: health() });
			expect(await api.get('https://api.test/items').text()).toBe('hedge');
			await origin.lost;
			const stats = api.stats()['https://api.test'] as { throttle?: { requests: number; accepts: number }; errorRate?: number };
			expect([stats.throttle, stats.errorRate]).toEqual([{ requests: 1, accepts: 1, rejectRatio: 0, rejected: 0 }, 0]);
		});
	}
});
