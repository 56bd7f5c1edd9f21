/**
 * Defect hunt, fifth round (area O, the newcomer's frictions): what a newcomer meets who follows the
 * README — here, the browsers it says it runs in. README, "Install": "Runs in browsers (any with
 * `fetch`, `AbortSignal.any` and `structuredClone`: Chrome/Edge 116+, Firefox 124+, Safari 17.4+)".
 * Chrome and Edge 116 to 119 have no `URL.canParse` (it came in 120): a member that takes a URL, a
 * query's options and `syncInvalidation`'s `touches` must work without it.
 */
import { QueryClient } from '@tanstack/query-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { queryOptionsFor, syncInvalidation } from '../../src/entries/tanstack-query.js';

const ok = (async (request: Request) => Response.json({ url: request.url })) as typeof fetch;

describe('in a browser the README supports without `URL.canParse` (Chrome/Edge 116 to 119)', () => {
	const canParse = Object.getOwnPropertyDescriptor(URL, 'canParse')!;
	beforeEach(() => {
		delete (URL as { canParse?: unknown }).canParse;
	});
	afterEach(() => {
		Object.defineProperty(URL, 'canParse', canParse);
	});

	it('the members that take a URL resolve a relative one against `prefix`/`baseUrl`, and a query\'s options name its absolute URL', async () => {
		for (const options of [{ prefix: 'https://api.example.com/v1/' }, { baseUrl: 'https://api.example.com/v1/' }]) {
			const api = createClient({ ...options, fetch: ok, retry: 0, store: memoryStore });
			await api.get('users/1');
			expect(api.breaker('users/1').scope).toBe('https://api.example.com');
			expect(await api.cache.list()).toHaveLength(1);
			await api.cache.delete('users/1');
			expect(await api.cache.list()).toEqual([]);
			await api.breaker.isolate('users/1');
			expect(api.breaker('https://api.example.com').state).toBe('open');
			await api.breaker.reset('users/1');
			await api.waitForHealthy('users/1', { timeoutMs: 1_000 });
			expect(queryOptionsFor(api, 'users/1').meta.steadfetchUrl).toBe('https://api.example.com/v1/users/1');
			api.close();
		}
	});

	it('`syncInvalidation`\'s `touches` takes an absolute URL', async () => {
		const api = createClient({ prefix: 'https://api.example.com/v1/', fetch: ok, retry: 0, store: memoryStore, staleCache: false });
		const queryClient = new QueryClient();
		await queryClient.fetchQuery({ queryKey: ['stats'], ...queryOptionsFor(api, 'stats') });
		const errors: unknown[] = [];
		const onError = (error: unknown) => errors.push(error);
		process.on('uncaughtException', onError);
		const stop = syncInvalidation(api, queryClient, { touches: () => ['https://api.example.com/v1/stats'] });
		try {
			await api.post('todos', { json: { title: 'Milk' } });
			await expect.poll(() => queryClient.getQueryCache().find({ queryKey: ['stats'] })?.state.isInvalidated).toBe(true);
		} finally {
			stop();
			process.off('uncaughtException', onError);
			queryClient.clear();
			api.close();
		}

		expect(errors).toEqual([]);
	});
});
