/**
 * steadfetch/tanstack-query (defect hunt, thirty-fourth round), with the real @tanstack/query-core.
 *
 * - `queryOptionsFor(api, url)`: the resolved URLs a client keeps (`queryOptionsFor` runs at every render) were
 *   keyed by the input's text, so a `url` that is no URL (`5`, an object whose `toString` gives a path: the call
 *   rejects with `InvalidRequestError`) left its own text under the key of the string it reads as: a later
 *   `queryOptionsFor(api, '5')` recorded `meta.steadfetchUrl` `'5'`, not the absolute URL its calls go to, and
 *   `syncInvalidation` never invalidated that query on a write to its URL.
 * - `queryOptionsFor(api, url, options)`: options whose reading throws (a getter, a Proxy whose traps throw) made the
 *   `queryFn` reject with the app's raw error (`UNKNOWN`), where the client's own call rejects with `InvalidRequestError`.
 * - `refetchWhenBack`: the pending retry of a query no observer watches that never settled (a route loader's `fetchQuery`,
 *   a `prefetchQuery`) was cancelled, but TanStack's `refetchQueries` skips such a query (it calls it disabled): the loader
 *   rejected with `CancelledError` and the query stayed `fetching` for ever.
 */
import { QueryClient } from '@tanstack/query-core';
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/index.js';
import { queryOptionsFor, refetchWhenBack, syncInvalidation } from '../../src/entries/tanstack-query.js';
import { waitFor } from '../helpers/wait-for.js';

const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);

describe('queryOptionsFor: a url that is no URL never changes the URL recorded for the string it reads as', () => {
	it('after 5 (or an object whose toString gives a path), the string\'s query records its absolute URL, and a write to it invalidates it', async () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => (sent.push(`${request.method} ${request.url}`), Response.json({ at: request.url }))) as typeof globalThis.fetch;
		const api = createClient({ name: `tq34-${Math.random()}`, retry: 0, staleCache: false, fetch, prefix: 'https://api.test/v1/' });
		try {
			const number = queryOptionsFor(api, 5 as never);
			expect(await code(number.queryFn({ signal: new AbortController().signal }))).toBe('INVALID_REQUEST');
			const text = { toString: () => 'todos' };
			expect(await code(queryOptionsFor(api, text as never).queryFn({ signal: new AbortController().signal }))).toBe('INVALID_REQUEST');
			expect(sent).toEqual([]);

			// Before: '5' and 'todos' (the no-URL inputs' own text, kept under the strings' key).
			expect(queryOptionsFor(api, '5').meta.steadfetchUrl).toBe('https://api.test/v1/5');
			expect(queryOptionsFor(api, 'todos').meta.steadfetchUrl).toBe('https://api.test/v1/todos');
			// And the other way round: the strings first, then the inputs that are no URL: those never take the strings' URL.
			expect(queryOptionsFor(api, 7 as never).meta.steadfetchUrl).not.toBe(queryOptionsFor(api, '7').meta.steadfetchUrl);

			const queryClient = new QueryClient();
			const stop = syncInvalidation(api, queryClient);
			try {
				await queryClient.fetchQuery({ queryKey: ['todos'], ...queryOptionsFor(api, 'todos') });
				await api.post('todos', { json: { title: 'x' } });
				await waitFor(() => queryClient.getQueryState(['todos'])?.isInvalidated === true, 'the todos query invalidated by the POST to its URL');
			} finally {
				stop();
				queryClient.clear();
			}
		} finally {
			api.close();
		}
	});
});

describe('queryOptionsFor: options whose reading throws reject as the client\'s own call does', () => {
	it('a getter that throws (signal, prefix) or a Proxy whose traps throw: INVALID_REQUEST, as api.get, nothing sent', async () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => (sent.push(request.url), Response.json(1))) as typeof globalThis.fetch;
		const api = createClient({ name: `tq34-${Math.random()}`, retry: 0, staleCache: false, fetch, baseUrl: 'https://api.test/v1/' });
		try {
			const cases = (): Array<[string, unknown]> => [
				['a signal getter that throws', { get signal(): AbortSignal { throw new Error('no signal'); } }],
				['a prefix getter that throws', { get prefix(): string { throw new Error('no prefix'); } }],
				['a Proxy whose traps throw', new Proxy({}, { get() { throw new Error('proxy'); }, ownKeys() { throw new Error('keys'); } })],
			];
			for (const [what, options] of cases()) {
				const made = queryOptionsFor(api, 'todos', options as never);
				// Before: UNKNOWN (the getter's own Error, thrown by the queryFn's spread).
				expect([what, await code(made.queryFn({ signal: new AbortController().signal }))]).toEqual([what, await code(api.get('todos', options as never))]);
				expect([what, await code(made.queryFn({ signal: new AbortController().signal }))]).toEqual([what, 'INVALID_REQUEST']);
			}

			expect(sent).toEqual([]);
			// As before: good options, a signal of the app's own included, send the call.
			expect(await queryOptionsFor(api, 'todos', { signal: new AbortController().signal, headers: { 'x-a': '1' } }).queryFn({ signal: new AbortController().signal })).toBe(1);
			expect(sent).toEqual(['https://api.test/v1/todos']);
		} finally {
			api.close();
		}
	});
});

describe('refetchWhenBack: a pending retry no observer watches is replaced by a fetch, never cancelled alone', () => {
	it('a route loader\'s fetchQuery (first load, a 503, its retry pending): the scope back, it resolves with the answer, the query settled', async () => {
		let down = true;
		const sent: string[] = [];
		const fetch = (async (request: Request) => (sent.push(request.url), down ? new Response('busy', { status: 503 }) : Response.json({ url: request.url }))) as typeof globalThis.fetch;
		const api = createClient({ name: `tq34-${Math.random()}`, fetch, retry: 0, staleCache: false, breaker: false });
		const queryClient = new QueryClient();
		const stop = refetchWhenBack(api, queryClient);
		try {
			// TanStack's retry would wait 60 s: refetchWhenBack replaces it once the scope answers.
			const loaded = queryClient.fetchQuery({ queryKey: ['item'], ...queryOptionsFor<unknown>(api, 'https://api.test/item'), retryDelay: 60_000 })
				.then((data) => ['OK', data], (error: unknown) => ['ERR', (error as Error)?.constructor?.name]);
			const prefetched = queryClient.prefetchQuery({ queryKey: ['other'], ...queryOptionsFor<unknown>(api, 'https://api.test/other'), retryDelay: 60_000 });
			await waitFor(() => queryClient.getQueryState(['item'])?.fetchFailureCount === 1 && queryClient.getQueryState(['other'])?.fetchFailureCount === 1, 'both first tries failed, their retries pending');
			down = false;
			await api.get('https://api.test/back');
			// Before: ['ERR', 'CancelledError'], and both queries 'pending' and 'fetching' for ever.
			expect(await loaded).toEqual(['OK', { url: 'https://api.test/item' }]);
			await prefetched;
			expect([queryClient.getQueryState(['item'])?.fetchStatus, queryClient.getQueryState(['other'])?.status, queryClient.getQueryState(['other'])?.fetchStatus]).toEqual(['idle', 'success', 'idle']);
			expect(sent.filter((url) => url.endsWith('/item'))).toHaveLength(2);
		} finally {
			stop();
			queryClient.clear();
			api.close();
		}
	});
});
