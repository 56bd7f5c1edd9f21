/**
 * steadfetch/tanstack-query, steadfetch/sw, `classify()` and the request context's `deadlineHeader`
 * (defect hunt, twenty-first round): signals, causes and values from outside.
 *
 * - `queryOptionsFor(api, url, { signal })`: the `queryFn` put TanStack's `signal` over the options'
 *   own, so aborting the app's controller did not end the query's call (it stayed pending until the
 *   origin answered), and an options signal aborted already still sent the request.
 * - `fetchHandler`: an error's `retryAfterMs` too long for a plain number (a rate limiter's bucket of a
 *   few tokens a year) gave the page `Retry-After: 1e+22`, which no reader of delta-seconds takes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NetworkError } from 'ky';
import { classify, createClient, HTTPError } from '../../src/entries/core.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { queryOptionsFor, shown, syncInvalidation } from '../../src/entries/tanstack-query.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';

const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);

/** A fetch that answers only when its request's signal aborts (then rejects with its reason); it records every request. */
const hanging = () => {
	const sent: Request[] = [];
	const fetch = (async (request: Request): Promise<Response> => {
		sent.push(request);
		return new Promise<Response>((_, reject) => {
			request.signal.addEventListener('abort', () => reject(request.signal.reason as Error));
		});
	}) as typeof globalThis.fetch;
	return { sent, fetch };
};

describe('queryOptionsFor: the options\' own signal and TanStack\'s both end the call', () => {
	it('aborting the app\'s own controller (the options\' signal) ends the query\'s call: ABORTED, its request aborted', async () => {
		const { sent, fetch } = hanging();
		const api = createClient({ retry: 0, staleCache: false, fetch });
		const mine = new AbortController();
		const query = queryOptionsFor(api, 'https://api.example/todos', { signal: mine.signal });
		const outcome = code(query.queryFn({ signal: new AbortController().signal }));
		await waitFor(() => sent.length === 1, 'the request');
		mine.abort();
		// Before: the call stayed pending (TanStack's signal replaced the app's), until the origin answered.
		expect(await outcome).toBe('ABORTED');
		expect(sent[0]!.signal.aborted).toBe(true);
		api.close();
	});

	it('cancelling the query (TanStack\'s signal) still ends it when the options give a signal of their own', async () => {
		const { sent, fetch } = hanging();
		const api = createClient({ retry: 0, staleCache: false, fetch });
		const tanstack = new AbortController();
		const query = queryOptionsFor(api, 'https://api.example/todos', { signal: new AbortController().signal });
		const outcome = code(query.queryFn({ signal: tanstack.signal }));
		await waitFor(() => sent.length === 1, 'the request');
		tanstack.abort();
		expect(await outcome).toBe('ABORTED');
		api.close();
	});

	it('an options signal aborted already rejects ABORTED with no request sent', async () => {
		const sent: Request[] = [];
		const api = createClient({ retry: 0, staleCache: false, fetch: (async (request: Request) => (sent.push(request), Response.json(1))) as typeof globalThis.fetch });
		const query = queryOptionsFor(api, 'https://api.example/todos', { signal: AbortSignal.abort() });
		// Before: 'OK' (the request went out with TanStack's signal alone).
		expect(await code(query.queryFn({ signal: new AbortController().signal }))).toBe('ABORTED');
		expect(sent).toHaveLength(0);
		api.close();
	});

	it('signal: null is none (TanStack\'s ends the call); one that is no AbortSignal rejects InvalidRequestError before any I/O, as the client\'s own call does', async () => {
		const { sent, fetch } = hanging();
		const api = createClient({ retry: 0, staleCache: false, fetch });
		const tanstack = new AbortController();
		const outcome = code(queryOptionsFor(api, 'https://api.example/todos', { signal: null }).queryFn({ signal: tanstack.signal }));
		await waitFor(() => sent.length === 1, 'the request');
		tanstack.abort();
		expect(await outcome).toBe('ABORTED');
		for (const signal of [{}, 5, 'abort']) {
			expect(await code(queryOptionsFor(api, 'https://api.example/todos', { signal } as never).queryFn({ signal: new AbortController().signal }))).toBe('INVALID_REQUEST');
		}

		expect(sent).toHaveLength(1);
		api.close();
	});

	it('without options, or options without a signal, TanStack\'s signal is the call\'s as before', async () => {
		const { sent, fetch } = hanging();
		const api = createClient({ retry: 0, staleCache: false, fetch });
		for (const options of [undefined, { headers: { 'x-app': '1' } }]) {
			const tanstack = new AbortController();
			const outcome = code(queryOptionsFor(api, 'https://api.example/todos', options).queryFn({ signal: tanstack.signal }));
			await waitFor(() => sent.length > 0, 'the request');
			tanstack.abort();
			expect(await outcome).toBe('ABORTED');
			sent.length = 0;
		}

		api.close();
	});
});

describe('classify(): an error of the app\'s that wraps one of ky\'s in `cause` is the app\'s (UNKNOWN)', () => {
	// API.md "Errors": any other error (one thrown by the app's own code, a custom fetch…) is UNKNOWN, counted by
	// neither the breaker, reachability nor health; "What counts as unreachable": a custom fetch's own error says
	// nothing about the origin. So `cause` is not followed: a wrapper of a network failure is the app's.
	const request = new Request('https://api.example/todos');
	it('a wrapper of a NetworkError, of a raw network TypeError or of an HTTPError is UNKNOWN; a cause cycle returns', () => {
		const network = new NetworkError(request, { cause: new TypeError('fetch failed') });
		const http = new HTTPError(new Response(null, { status: 503 }), request, {} as never);
		const cycle = new Error('a');
		(cycle as { cause?: unknown }).cause = new Error('b', { cause: cycle });
		expect([network, http].map((error) => classify(error).code)).toEqual(['NETWORK', 'HTTP_5XX']);
		expect([network, new TypeError('fetch failed'), http, cycle].map((cause) => classify(new Error('load todos', { cause })))).toEqual(Array.from({ length: 4 }, () => ({ code: 'UNKNOWN', transient: false })));
	});

	it('queryOptionsFor\'s retry does not retry such a wrapper (the app\'s queryFn rethrew it), nor null or a string', () => {
		const { retry } = queryOptionsFor(createClient({ retry: 0 }), 'https://api.example/todos');
		const network = new NetworkError(request, { cause: new TypeError('fetch failed') });
		expect([retry(0, network), retry(0, new Error('wrapped', { cause: network })), retry(0, null as never), retry(0, 'boom' as never)]).toEqual([true, false, false, false]);
	});
});

describe('deadlineHeader: the incoming value read defensively, bounded by totalTimeout', () => {
	/** The deadline each call of a request context with `value` under the header carries to the client's own origin (totalTimeout 5 000 ms). */
	const stamped = async (values: string[]): Promise<Array<string | null>> => {
		const seen: Array<string | null> = [];
		const api = createClient({ clock: new ManualClock(), baseUrl: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0, totalTimeout: 5_000, staleCache: false,
			fetch: (async (request: Request) => (seen.push(request.headers.get('request-timeout-ms')), new Response('ok'))) as typeof globalThis.fetch });
		for (const value of values) {
			await api.withContext({ waitUntil: () => undefined }, { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': value } }) }).get('v');
		}

		api.close();
		return seen;
	};

	it('a header sent twice (\'100, 100\'), a hex, signed, decimal or exponent form is no non-negative integer: ignored (the call\'s totalTimeout)', async () => {
		expect(await stamped(['100, 100', '100,100', '0x10', '-5', '+5', '1e3', '1.0', '1_000', '', 'Infinity'])).toEqual(Array.from({ length: 10 }, () => '5000'));
	});

	it('whitespace around the value is no part of it (fetch trims it); leading zeros are the integer; beyond 2 147 483 647 a far deadline', async () => {
		expect(await stamped(['  100 ', '\t250', '007', '4999', '2147483648', '9'.repeat(400)])).toEqual(['100', '250', '7', '4999', '5000', '5000']);
	});

	it('0 is a deadline now: the call ends with TIMEOUT, nothing sent', async () => {
		let sent = 0;
		const api = createClient({ clock: new ManualClock(), baseUrl: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0, staleCache: false,
			fetch: (async () => (sent++, new Response('ok'))) as typeof globalThis.fetch });
		const here = api.withContext({ waitUntil: () => undefined }, { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '0' } }) });
		expect([await code(here.get('v')), sent]).toEqual(['TIMEOUT', 0]);
		api.close();
	});
});

describe('fetchHandler: the page\'s Retry-After is delta-seconds', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
	});

	/** The page's Retry-After when the worker's client fails the call with an error of `retryAfterMs`. */
	const retryAfterFor = async (retryAfterMs: number): Promise<string | null> => {
		vi.stubGlobal('location', new URL('https://app.example/sw.js'));
		const api = createClient({ name: `sw-h21-${Math.random()}`, retry: 0, hooks: { beforeRequest: [() => {
			throw Object.assign(new Error('later'), { retryAfterMs });
		}] } });
		let answer: Promise<Response> | undefined;
		fetchHandler(api, { match: () => true })({ request: new Request('https://app.example/api/todos'), respondWith: (response) => {
			answer = Promise.resolve(response);
		} });
		try {
			return (await answer!).headers.get('retry-after');
		} finally {
			api.close();
		}
	};

	it('a wait too long for a plain number is 2^31 s (RFC 9111\'s cap of delta-seconds), never 1e+22', async () => {
		// Before: '1e+22' and '1e+305'.
		expect([await retryAfterFor(1e25), await retryAfterFor(1e308), await retryAfterFor(2 ** 31 * 1_000 + 1)]).toEqual(['2147483648', '2147483648', '2147483648']);
	});

	it('a shorter wait is its whole seconds, at least 1, as before', async () => {
		expect([await retryAfterFor(2_500), await retryAfterFor(0), await retryAfterFor(2_147_483_647), await retryAfterFor(2e12)]).toEqual(['3', '1', '2147484', '2000000000']);
	});
});

describe('shown and syncInvalidation: odd values', () => {
	it('shown: an invalid Date, a string or null as `now` is a TypeError; a valid Date is its time; a `now` before the data is age 0', () => {
		const result = { data: 1, dataUpdatedAt: 10_000, failureReason: null };
		for (const now of [new Date(Number.NaN), '5', null, Number.NaN, Number.POSITIVE_INFINITY]) {
			expect(() => shown(result, now as number)).toThrow(TypeError);
		}

		expect([shown(result, new Date(15_000) as never).ageMs, shown(result, 5_000).ageMs]).toEqual([5_000, 0]);
	});

	it('syncInvalidation: touches returning a Set or a promise (an async touches) adds nothing for that write (reported); its valid entries in a list still go', async () => {
		const listeners: Array<(event: { method: string; url: string }) => void> = [];
		const api = { on: (_type: string, listener: (event: { method: string; url: string }) => void) => (listeners.push(listener), () => undefined) };
		const filters: unknown[] = [];
		const queryClient = { invalidateQueries: async (filter: unknown) => void filters.push(filter) };
		// What is rethrown asynchronously is caught here instead (every other microtask runs as it would).
		const reported: unknown[] = [];
		const queue = globalThis.queueMicrotask.bind(globalThis);
		const microtask = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => queue(() => {
			try {
				task();
			} catch (error) {
				reported.push(error);
			}
		}));
		let answer: unknown = new Set([['cart']]);
		try {
			syncInvalidation(api as never, queryClient, { touches: () => answer as never });
			listeners[0]!({ method: 'POST', url: 'https://api.example/todos' });
			answer = Promise.resolve([['cart']]);
			listeners[0]!({ method: 'POST', url: 'https://api.example/todos' });
			answer = [['cart'], 'https://api.example/stock', Symbol('odd')];
			listeners[0]!({ method: 'POST', url: 'https://api.example/todos' });
			await vi.waitFor(() => expect(reported).toHaveLength(3));
		} finally {
			microtask.mockRestore();
		}

		expect(reported.map((error) => (error as Error).name)).toEqual(['TypeError', 'TypeError', 'TypeError']);
		expect(filters.filter((filter) => 'queryKey' in (filter as object))).toEqual([{ queryKey: ['cart'] }]);
		const { predicate } = filters.at(-2) as { predicate: (query: { meta?: Record<string, unknown> }) => boolean };
		expect(['https://api.example/todos?page=2', 'https://api.example/stock', 'https://api.example/a', 'not a url', 5].map((steadfetchUrl) => predicate({ meta: { steadfetchUrl } }))).toEqual([true, true, false, false, false]);
	});
});
