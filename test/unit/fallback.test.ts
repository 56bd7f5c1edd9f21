/** The `fallback` option (issue 15): a degraded answer when nothing else answered, marked and counted. */
import { describe, expect, it } from 'vitest';
import { classify, createClient as createCore } from '../../src/entries/core.js';
import { InvalidRequestError, createClient, isFallback, isStale, memoryStore } from '../../src/entries/index.js';

const down = (async () => {
	throw new TypeError('fetch failed');
}) as typeof fetch;

describe('fallback', () => {
	it('a value answers a failed call as JSON, marked (isFallback, not isStale) and counted', async () => {
		const api = createCore({ fetch: down, retry: 0, fallback: { items: [] } });
		const response = await api.get('https://api.test/items');
		expect(isFallback(response)).toBe(true);
		expect(isStale(response)).toBe(false);
		expect(response.headers.get('cache-status')).toBe('steadfetch; fwd=miss; detail=fallback');
		expect(await api.get('https://api.test/items').json()).toEqual({ items: [] });
		expect(api.stats()['https://api.test']).toMatchObject({ fallbacks: 2, failures: { NETWORK: 2 } });
	});

	it('a function gets the error and the request; a per-call fallback wins over the client\'s', async () => {
		const seen: string[] = [];
		const api = createCore({
			fetch: down, retry: 0,
			fallback: (error: unknown, request: Request | undefined) => {
				seen.push(`${(error as Error).name} ${request?.url}`);
				return new Response('degraded', { status: 203 });
			},
		});
		const response = await api.get('https://api.test/a');
		expect([response.status, await response.text(), isFallback(response)]).toEqual([203, 'degraded', true]);
		expect(seen).toEqual(['NetworkError https://api.test/a']);
		expect(await api.get('https://api.test/b', { fallback: 'per call' }).json()).toBe('per call');
	});

	it('a per-call `fallback: undefined` is not given (API.md "Option values"): the client\'s answers, core and preset; `null` is a value (JSON null)', async () => {
		for (const api of [createCore({ fetch: down, retry: 0, fallback: 'the client\'s' }), createClient({ fetch: down, store: memoryStore, retry: 0, fallback: 'the client\'s' })]) {
			expect(await api.get('https://api.test/a', { fallback: undefined }).json()).toBe('the client\'s');
			expect(await api('https://api.test/a', { fallback: undefined, method: 'get' }).json()).toBe('the client\'s');
			expect(await api.get('https://api.test/a', { fallback: null }).json()).toBe(null);
			api.close();
		}
	});

	it('never for the caller\'s abort or bad input; a stale copy answers before it', async () => {
		const api = createCore({ fetch: down, retry: 0, fallback: 'x' });
		const reason = new Error('left');
		await expect(api.get('https://api.test/a', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
		await expect(api.get('https://api.test/a', { timeout: -1 })).rejects.toBeInstanceOf(InvalidRequestError);

		let up = true;
		const cached = createClient({
			store: memoryStore, retry: 0, breaker: false, fallback: 'fallback',
			fetch: (async () => up ? new Response('"fresh"', { headers: { 'content-type': 'application/json' } }) : Promise.reject(new TypeError('fetch failed'))) as typeof fetch,
		});
		await cached.get('https://api.test/c').json();
		await new Promise((resolve) => setTimeout(resolve, 20));
		up = false;
		const response = await cached.get('https://api.test/c');
		expect(isStale(response)).toBe(true);
		expect(await cached.get('https://api.test/never').json()).toBe('fallback');
		cached.close();
	});

	it('a fallback no answer can be made of (a function\'s BigInt or cycle, a Response whose body was read) rejects with an InvalidRequestError naming `fallback`, the call\'s own error its cause: never a raw TypeError (defect hunt, eleventh round)', async () => {
		const cycle: Record<string, unknown> = {};
		cycle.self = cycle;
		const read = new Response('read');
		await read.text();
		const locked = new Response('locked');
		locked.body!.getReader();
		const given = new Response('given');
		const api = createCore({ fetch: down, retry: 0 });
		for (const fallback of [() => 10n, () => cycle, async () => cycle, () => read, () => locked, read, locked, given]) {
			if (fallback === given) {
				await given.text(); // Read after it was given (it passed the check at the call).
			}

			const failure = await api.get('https://api.test/f', { fallback }).then(() => undefined, (error: unknown) => error);
			expect(failure).toBeInstanceOf(InvalidRequestError);
			expect([classify(failure).code, (failure as Error).message]).toEqual(['INVALID_REQUEST', expect.stringContaining('`fallback`')]);
			expect(((failure as Error).cause as Error).name).toBe('NetworkError');
		}

		expect(api.stats()['https://api.test']).toMatchObject({ failures: { NETWORK: 8 } });
		expect(api.stats()['https://api.test']?.fallbacks ?? 0).toBe(0);
		api.close();
	});
});
