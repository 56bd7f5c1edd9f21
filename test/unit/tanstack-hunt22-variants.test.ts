/**
 * steadfetch/tanstack-query (defect hunt, twenty-second round), with the real @tanstack/query-core:
 * errors and URLs from outside the client.
 *
 * - `refetchWhenBack`: an error the app made (an `HTTPError` or a timeout whose request URL is relative,
 *   missing or no string, a `StaleAnswerError` with a relative URL) threw a raw `TypeError: Invalid URL`
 *   inside TanStack's filters, so on `scope:back` no query was refetched (the error reported as a
 *   throwing listener's).
 * - `queryOptionsFor`'s `retryDelay`: TanStack calls it at every failure, before `retry`; for a URL the
 *   client cannot resolve it threw the breaker's `InvalidRequestError`, so the query stayed fetching for
 *   ever instead of rejecting with that error.
 * - `queryOptionsFor(api, url, options)` threw at the call (a raw `TypeError: Cannot convert a Symbol value
 *   to a string`, or the app's own error) for a `url`, `prefix` or `baseUrl` no text is made of, where
 *   `api.get` rejects with `InvalidRequestError`.
 * - `mutationOptionsFor`: a write the client's `fallback` answered (it never reached the origin; the client
 *   tells no `write:delivered` for it) resolved `{ queued: false, data: <the fallback's> }`, a delivery.
 * - `queryOptionsFor`'s `queryFn` called by the app without TanStack's context (a route loader) rejected with
 *   a raw `TypeError` (destructuring `signal`, or `AbortSignal.any` given `undefined` with the options' own signal).
 */
import { QueryClient, QueryObserver } from '@tanstack/query-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { classify, createClient } from '../../src/entries/index.js';
import { createClient as createCore } from '../../src/entries/core.js';
import { mutationOptionsFor, queryOptionsFor, refetchWhenBack, StaleAnswerError } from '../../src/entries/tanstack-query.js';

/** What a throwing event listener rethrows asynchronously (queueMicrotask), caught here; every other microtask runs as it would. */
const reportedDuring = () => {
	const reported: unknown[] = [];
	const queue = globalThis.queueMicrotask.bind(globalThis);
	const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => queue(() => {
		try {
			task();
		} catch (error) {
			reported.push(error);
		}
	}));
	return { reported, restore: () => spy.mockRestore() };
};

afterEach(() => {
	vi.restoreAllMocks();
});

/** Errors an app's own queryFn may throw, transient by classify(), whose URL gives no scope. */
const appErrors = (): Array<[string, unknown]> => [
	['an HTTPError-named error with a relative request URL', Object.assign(new Error('503'), { name: 'HTTPError', response: new Response(null, { status: 503 }), request: { url: '/todos' } })],
	['an HTTPError-named error whose request URL is no string', Object.assign(new Error('503'), { name: 'HTTPError', response: new Response(null, { status: 502 }), request: { url: 5 } })],
	['a TimeoutError-named error with a relative request URL', Object.assign(new Error('slow'), { name: 'TimeoutError', request: { url: 'todos' } })],
	['a StaleAnswerError with a relative URL', new StaleAnswerError({ stale: true }, 0, 'network', undefined, '/todos')],
	['an HTTPError-named error whose request URL getter throws', Object.assign(new Error('503'), { name: 'HTTPError', response: new Response(null, { status: 503 }), request: { get url(): string { throw new TypeError('gone'); } } })],
];

describe('refetchWhenBack: an error whose URL gives no scope is not waited for, and never keeps the others from being refetched', () => {
	for (const create of [createClient, createCore] as const) {
		it(`idle queries (${create === createClient ? 'steadfetch' : 'steadfetch/core'}): the good one is refetched on scope:back, nothing reported`, async () => {
			let down = true;
			const fetch = (async (request: Request) => down ? new Response('busy', { status: 503 }) : Response.json({ url: request.url })) as typeof globalThis.fetch;
			const client = (create as typeof createClient)({ name: `tq22-${Math.random()}`, fetch, retry: 0, staleCache: false, breaker: false });
			const queryClient = new QueryClient();
			const stop = refetchWhenBack(client, queryClient);
			const { reported, restore } = reportedDuring();
			try {
				// The app's queries first: TanStack's filters meet them before the good one.
				for (const [what, error] of appErrors()) {
					await queryClient.prefetchQuery({ queryKey: ['app', what], queryFn: async () => { throw error; }, retry: false });
					const failed = queryClient.getQueryState(['app', what])?.error;
					// Each is one refetchWhenBack reads a URL of: transient by classify(), or a stale answer.
					expect(failed instanceof StaleAnswerError || classify(failed).transient, what).toBe(true);
				}

				await queryClient.prefetchQuery({ queryKey: ['good'], ...queryOptionsFor<unknown>(client, 'https://api.test/item'), retry: false });
				expect(queryClient.getQueryState(['good'])?.status).toBe('error');
				down = false;
				await client.get('https://api.test/other');
				// Before: still 'error', and reported: TypeError: Invalid URL (originOf('/todos') inside refetchQueries' predicate).
				await vi.waitFor(() => expect(queryClient.getQueryState(['good'])?.status).toBe('success'));
				expect(queryClient.getQueryData(['good'])).toEqual({ url: 'https://api.test/item' });
				expect(reported.map(String)).toEqual([]);
				for (const [what] of appErrors()) {
					expect(queryClient.getQueryState(['app', what])?.status, what).toBe('error');
				}
			} finally {
				restore();
				stop();
				queryClient.clear();
				client.close();
			}
		});
	}

	it('a query whose retry of such an error is pending: the good pending one is still replaced by a fetch at once', async () => {
		let down = true;
		const fetch = (async (request: Request) => down ? new Response('busy', { status: 503 }) : Response.json({ url: request.url })) as typeof globalThis.fetch;
		const client = createClient({ name: `tq22-${Math.random()}`, fetch, retry: 0, staleCache: false, breaker: false });
		const queryClient = new QueryClient();
		const stop = refetchWhenBack(client, queryClient);
		const { reported, restore } = reportedDuring();
		// Retries an hour away: only refetchWhenBack ends them early.
		const later = { retry: 1, retryDelay: 3_600_000 };
		let unmount = (): void => undefined;
		try {
			for (const [what, error] of appErrors()) {
				void queryClient.fetchQuery({ queryKey: ['app', what], queryFn: async () => { throw error; }, ...later }).catch(() => undefined);
				await vi.waitFor(() => expect(queryClient.getQueryState(['app', what])?.fetchFailureReason, what).toBe(error));
			}

			// Mounted, as a component's useQuery is (TanStack refetches no query that has neither an observer nor ever settled).
			const observer = new QueryObserver(queryClient, { queryKey: ['good'], ...queryOptionsFor<unknown>(client, 'https://api.test/item'), ...later });
			unmount = observer.subscribe(() => undefined);
			await vi.waitFor(() => expect(classify(queryClient.getQueryState(['good'])?.fetchFailureReason).status).toBe(503));
			down = false;
			await client.get('https://api.test/other');
			// Before: pending for an hour (cancelQueries' predicate threw on the app's errors first).
			await vi.waitFor(() => expect(queryClient.getQueryState(['good'])?.status).toBe('success'));
			expect(queryClient.getQueryData(['good'])).toEqual({ url: 'https://api.test/item' });
			expect(reported.map(String)).toEqual([]);
		} finally {
			restore();
			stop();
			unmount();
			await queryClient.cancelQueries();
			queryClient.clear();
			client.close();
		}
	});
});

describe('queryOptionsFor: a URL the client cannot resolve rejects with InvalidRequestError, never a fetch pending for ever', () => {
	it('retryDelay never throws: TanStack\'s fetch of such a query rejects INVALID_REQUEST, no request sent', async () => {
		const sent: string[] = [];
		const client = createClient({ name: `tq22-${Math.random()}`, retry: 0, staleCache: false, fetch: (async (request: Request) => (sent.push(request.url), Response.json(1))) as typeof globalThis.fetch });
		const queryClient = new QueryClient();
		try {
			// 'todos' has no page to resolve against in Node, nor a prefix or baseUrl here.
			for (const url of ['http://[bad', 'todos', 'https://api.test:99999/x']) {
				const options = queryOptionsFor<unknown>(client, url);
				// Before: the breaker's InvalidRequestError thrown by retryDelay.
				expect(options.retryDelay(0, new Error('x'))).toBe(1_000);
				const outcome = queryClient.fetchQuery({ queryKey: ['bad', url], ...options });
				// Before: pending for ever (TanStack's retryer threw inside its catch, before asking `retry`).
				expect(await outcome.then(() => 'OK', (error: unknown) => classify(error).code), url).toBe('INVALID_REQUEST');
			}

			expect(sent).toEqual([]);
		} finally {
			queryClient.clear();
			client.close();
		}
	});

	it('a resolvable URL keeps the breaker\'s wait: open after a 503 with Retry-After, retryDelay is until it lets a request through', async () => {
		const client = createClient({ name: `tq22-${Math.random()}`, retry: 0, staleCache: false, breaker: { consecutiveFailures: 1 }, fetch: (async () => new Response('busy', { status: 503, headers: { 'retry-after': '30' } })) as typeof globalThis.fetch });
		try {
			const options = queryOptionsFor<unknown>(client, 'https://api.test/x');
			const error = await client.get('https://api.test/x').then(() => undefined, (failure: Error) => failure);
			expect(client.breaker('https://api.test/x').state).toBe('open');
			const delay = options.retryDelay(0, error!);
			expect(delay).toBeGreaterThan(20_000);
			expect(delay).toBeLessThanOrEqual(30_000);
		} finally {
			client.close();
		}
	});
});

describe('queryOptionsFor: a URL, prefix or baseUrl no text is made of is never a throw at the call', () => {
	const bad = (): Array<[string, unknown, unknown]> => [
		['a Symbol as url', Symbol('todos'), undefined],
		['a null-prototype object as url', Object.create(null), undefined],
		['an object whose toString throws as url', { toString: () => { throw new Error('no text'); } }, undefined],
		['a Symbol as the call\'s prefix', 'todos', { prefix: Symbol('prefix') }],
		['a null-prototype object as the call\'s baseUrl', 'todos', { baseUrl: Object.create(null) }],
	];

	it('steadfetch, steadfetch/core and a stand-in client: the options are made (meta a string), the queryFn rejects INVALID_REQUEST, nothing sent', async () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => (sent.push(request.url), Response.json(1))) as typeof globalThis.fetch;
		for (const create of [createClient, createCore] as const) {
			const client = (create as typeof createClient)({ name: `tq22-${Math.random()}`, retry: 0, staleCache: false, fetch });
			try {
				for (const api of [client, { get: client.get }]) {
					for (const [what, url, options] of bad()) {
						// Before: TypeError: Cannot convert a Symbol value to a string (or the app's own Error) thrown by queryOptionsFor itself.
						const made = queryOptionsFor<unknown>(api as never, url as never, options as never);
						expect(typeof made.meta.steadfetchUrl, what).toBe('string');
						expect(await made.queryFn({ signal: new AbortController().signal }).then(() => 'OK', (error: unknown) => classify(error).code), what).toBe('INVALID_REQUEST');
						expect(made.retryDelay(0, new Error('x')), what).toBe(1_000);
					}
				}
			} finally {
				client.close();
			}
		}

		expect(sent).toEqual([]);
	});

	it('what resolves is as before: the absolute URL, sensitive values and a userinfo password removed', () => {
		const client = createClient({ name: `tq22-${Math.random()}`, sensitiveParams: ['token'], prefix: 'https://api.test/v1/' });
		try {
			expect(queryOptionsFor(client, 'todos?token=S1').meta.steadfetchUrl).toBe('https://api.test/v1/todos?token=');
			expect(queryOptionsFor(client, new URL('https://u:S2@api.test/x?token=S3')).meta.steadfetchUrl).toBe('https://u:@api.test/x?token=');
			expect(queryOptionsFor(client, 'todos', { searchParams: { token: 'S4', page: 2 } }).meta.steadfetchUrl).toBe('https://api.test/v1/todos?token=&page=2');
			expect(queryOptionsFor(client, 'http://[bad?token=S5').meta.steadfetchUrl).not.toContain('S5');
		} finally {
			client.close();
		}
	});
});

describe('mutationOptionsFor: a write the client\'s fallback answered is no delivery', () => {
	const failing = (how: 'http' | 'network') => (async () => {
		if (how === 'network') {
			throw new TypeError('fetch failed');
		}

		return new Response('busy', { status: 503 });
	}) as typeof globalThis.fetch;

	it('a client-level or call-level fallback: the mutation rejects StaleAnswerError (reason fallback, the fallback\'s data), never { queued: false, data }', async () => {
		for (const how of ['http', 'network'] as const) {
			for (const level of ['client', 'call'] as const) {
				const client = createClient({ name: `tq22-${Math.random()}`, retry: 0, fetch: failing(how), ...(level === 'client' ? { fallback: { degraded: true } } : {}) });
				const delivered: unknown[] = [];
				client.on('write:delivered', (event) => void delivered.push(event));
				try {
					const { mutationFn } = mutationOptionsFor((order: { id: number }) => client.post('https://api.test/orders', { json: order, ...(level === 'call' ? { fallback: { degraded: true } } : {}) }));
					const outcome = await mutationFn({ id: 1 }).then((value) => value, (error: unknown) => error);
					// Before: { queued: false, data: { degraded: true } }: the app told the write was sent.
					expect(outcome, `${how} ${level}`).toBeInstanceOf(StaleAnswerError);
					expect([(outcome as StaleAnswerError).reason, (outcome as StaleAnswerError).staleData], `${how} ${level}`).toEqual(['fallback', { degraded: true }]);
					// The client says the same: no delivery.
					expect(delivered).toEqual([]);
				} finally {
					client.close();
				}
			}
		}
	});

	it('as before: a delivered write resolves { queued: false, data }, a refusal without fallback rejects HTTPError', async () => {
		const ok = createClient({ name: `tq22-${Math.random()}`, retry: 0, fallback: { degraded: true }, fetch: (async () => Response.json({ id: 7 }, { status: 201 })) as typeof globalThis.fetch });
		const refusing = createClient({ name: `tq22-${Math.random()}`, retry: 0, fetch: failing('http') });
		try {
			expect(await mutationOptionsFor(() => ok.post('https://api.test/orders', { json: {} })).mutationFn(undefined)).toEqual({ queued: false, data: { id: 7 } });
			const refused = await mutationOptionsFor(() => refusing.post('https://api.test/orders', { json: {} })).mutationFn(undefined).then(() => undefined, (error: unknown) => error);
			expect(classify(refused)).toEqual({ code: 'HTTP_5XX', transient: true, status: 503 });
		} finally {
			ok.close();
			refusing.close();
		}
	});
});

describe('queryOptionsFor: the queryFn called by the app without TanStack\'s context', () => {
	it('no context, an empty one or null: the call goes with the options\' own signal (or none), never a raw TypeError', async () => {
		const sent: Request[] = [];
		const client = createClient({ name: `tq22-${Math.random()}`, retry: 0, staleCache: false, fetch: (async (request: Request) => (sent.push(request), Response.json({ n: sent.length }))) as typeof globalThis.fetch });
		try {
			const mine = new AbortController();
			for (const context of [undefined, {}, null]) {
				for (const options of [undefined, { signal: mine.signal }]) {
					const { queryFn } = queryOptionsFor<unknown>(client, 'https://api.test/todos', options);
					// Before, with the options' own signal: TypeError: The "signals[1]" argument must be an instance of AbortSignal (and
					// "Cannot destructure property 'signal'" for no context or null, with or without it).
					expect(await queryFn(context as never).then(() => 'OK', (error: unknown) => String(error)), `${JSON.stringify(context)} ${options ? 'own signal' : ''}`).toBe('OK');
				}
			}

			// The options' own signal still ends it: aborted already, nothing sent.
			const before = sent.length;
			const aborted = queryOptionsFor<unknown>(client, 'https://api.test/todos', { signal: AbortSignal.abort() }).queryFn(undefined as never);
			expect(await aborted.then(() => 'OK', (error: unknown) => classify(error).code)).toBe('ABORTED');
			expect(sent.length).toBe(before);
		} finally {
			client.close();
		}
	});
});
