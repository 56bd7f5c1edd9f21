/**
 * Variants of steadfetch/tanstack-query's claims, with the real @tanstack/query-core: several
 * `followReachability` at once (each unsubscribe takes only its own back), `shown` with results
 * TanStack gives that hold no fetched data (a placeholder); `queryOptionsFor` with ky's call options
 * (`parseJson`); the helpers given what they cannot use (a QueryClient that is not one, a missing
 * client, a `send` that is not a function): a TypeError naming the helper at the call, never a failure
 * later inside an event listener or a query. A loopback API.
 */
import { onlineManager, QueryClient, QueryObserver } from '@tanstack/query-core';
import ky, { HTTPError, isHTTPError } from 'ky';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { classify, createClient, memoryStore } from '../../src/entries/index.js';
import { followReachability, mutationOptionsFor, queryOptionsFor, refetchWhenBack, shown, StaleAnswerError } from '../../src/entries/tanstack-query.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { standInClient } from '../helpers/reachability-stand-ins.js';
let api: RunningServer;
let down = false;
beforeAll(async () => {
	api = await serve((request) => down ? new Response('down', { status: 503 }) : request.url.endsWith('/refused') ? Response.json({ error: 'no such item' }, { status: 422 }) : request.url.endsWith('/busy') ? new Response('busy', { status: 503 }) : request.url.endsWith('/empty') ? new Response(null, { status: 204 }) : Response.json({ at: '2026-01-02T03:04:05.000Z', path: new URL(request.url).pathname }));
});
afterAll(async () => api.close());
afterEach(() => {
	down = false;
});

describe('followReachability, more than one at a time', () => {
	const stops: Array<() => void> = [];
	afterEach(() => {
		for (const stop of stops.splice(0)) {
			stop();
		}

		onlineManager.setOnline(true);
	});

	it('the unsubscribe of a follow another one replaced leaves that other one in place; the last one\'s gives the one before back, then navigator.onLine', () => {
		stops.push(onlineManager.subscribe(() => undefined));
		const first = standInClient('reachable');
		const second = standInClient('unreachable');
		const offFirst = followReachability(first as never, onlineManager, 'https://a.example');
		const offSecond = followReachability(second as never, onlineManager, 'https://b.example');
		expect(onlineManager.isOnline()).toBe(false); // the second is followed
		offFirst();
		expect([onlineManager.isOnline(), second.listening()]).toEqual([false, 1]); // before: [true, 0] (navigator.onLine)
		second.reach('reachable');
		expect(onlineManager.isOnline()).toBe(true);
		second.reach('offline');
		expect(onlineManager.isOnline()).toBe(false);
		offFirst(); // twice: nothing more
		expect(onlineManager.isOnline()).toBe(false);
		offSecond();
		expect([onlineManager.isOnline(), first.listening(), second.listening()]).toEqual([true, 0, 0]); // Node: no navigator.onLine, online

		// Two again: the last one's unsubscribe gives the one before back (still subscribed, still followed).
		const third = standInClient('unreachable');
		const offThird = followReachability(third as never, onlineManager, 'https://c.example');
		const offFourth = followReachability(standInClient('reachable') as never, onlineManager, 'https://d.example');
		expect(onlineManager.isOnline()).toBe(true);
		offFourth();
		expect([onlineManager.isOnline(), third.listening()]).toEqual([false, 1]);
		offThird();
		expect([onlineManager.isOnline(), third.listening()]).toEqual([true, 0]);
	});
});

describe('followReachability with a scope that is no URL', () => {
	afterEach(() => {
		onlineManager.setOnline(true);
	});

	it('throws InvalidRequestError at the call and leaves TanStack\'s onlineManager as it was: its later subscribers and a later follow work', () => {
		const client = createClient({ name: `tq-bad-scope-${Math.random()}`, retry: 0 });
		const stops: Array<() => void> = [];
		try {
			for (const bad of [undefined, 5, 'not a url']) {
				expect(() => followReachability(client, onlineManager, bad as never)).toThrow(expect.objectContaining({ name: 'InvalidRequestError' }) as Error);
			}

			// Before: each subscribe re-ran the broken listener (InvalidRequestError thrown from onlineManager.subscribe).
			expect(() => stops.push(onlineManager.subscribe(() => undefined))).not.toThrow();
			const follow = standInClient('unreachable');
			stops.push(followReachability(follow as never, onlineManager, 'https://a.example'));
			expect(onlineManager.isOnline()).toBe(false);
		} finally {
			for (const stop of stops.reverse()) {
				stop();
			}

			client.close();
		}

		expect(onlineManager.isOnline()).toBe(true);
	});
});

describe('shown, with results that hold no fetched data or a time ahead of `now`', () => {
	it('a placeholder (placeholderData, keepPreviousData: dataUpdatedAt 0) is shown with age 0, not the time since 1970; an age is never below 0', async () => {
		const queryClient = new QueryClient();
		try {
			const observer = new QueryObserver(queryClient, { queryKey: ['placeholder'], queryFn: async () => new Promise<never>(() => undefined), placeholderData: { name: 'placeholder' } });
			const off = observer.subscribe(() => undefined);
			const result = observer.getCurrentResult();
			expect([result.isPlaceholderData, result.dataUpdatedAt]).toEqual([true, 0]);
			const now = Date.now();
			expect(shown(result, now)).toEqual({ data: { name: 'placeholder' }, ageMs: 0, reason: undefined, offline: false, pendingWrites: 0 }); // before: ageMs = now
			off();
		} finally {
			queryClient.clear();
		}

		// An app's `now` read before the answer came (a clock that ticks each second): the data is 0 ms old, not -300.
		expect(shown({ data: 1, dataUpdatedAt: 10_300, failureReason: null }, 10_000).ageMs).toBe(0);
		const copy = new StaleAnswerError({ name: 'copy' }, 10_300, 'network', undefined);
		expect(shown({ data: undefined, dataUpdatedAt: 0, failureReason: copy }, 10_000)).toMatchObject({ data: { name: 'copy' }, ageMs: 0, reason: 'network' });
		expect(shown({ data: undefined, dataUpdatedAt: 0, failureReason: copy }, 12_300).ageMs).toBe(2_000);
	});
});

describe('shown, when the observer moves to another query', () => {
	it('the copy the previous query showed is not shown for the next one while it loads (useQuery with a new key: the same observer, the same refetch)', async () => {
		const queryClient = new QueryClient();
		try {
			const copy = new StaleAnswerError({ name: 'user 1' }, Date.now() - 5_000, 'offline', undefined, 'https://api.example/users/1');
			const observer = new QueryObserver<unknown>(queryClient, { queryKey: ['user', 1], queryFn: async () => Promise.reject(copy), retry: false });
			const off = observer.subscribe(() => undefined);
			await vi.waitFor(() => expect(observer.getCurrentResult().status).toBe('error'));
			expect(shown(observer.getCurrentResult())).toMatchObject({ data: { name: 'user 1' }, reason: 'offline' });
			observer.setOptions({ queryKey: ['user', 2], queryFn: async () => new Promise<never>(() => undefined), retry: false });
			const next = observer.getCurrentResult();
			expect([next.fetchStatus, next.data]).toEqual(['fetching', undefined]);
			expect(shown(next)).toEqual({ data: undefined, ageMs: 0, reason: undefined, offline: false, pendingWrites: 0 }); // before: user 1's copy, offline
			// Back on user 1 (it refetches): its own copy again.
			observer.setOptions({ queryKey: ['user', 1], queryFn: async () => new Promise<never>(() => undefined), retry: false });
			await vi.waitFor(() => expect(observer.getCurrentResult().fetchStatus).toBe('fetching'));
			expect(shown(observer.getCurrentResult())).toMatchObject({ data: { name: 'user 1' }, reason: 'offline' });
			off();
		} finally {
			queryClient.clear();
		}
	});
});

describe('queryOptionsFor with ky\'s parseJson', () => {
	/** ky's `parseJson`, marking what it parsed (and reviving dates): `(text, { request, response })`. */
	const revive = (by: string) => (text: string): unknown => ({ ...JSON.parse(text, (key, value: unknown) => (key === 'at' ? new Date(value as string) : value)) as object, by });

	it('the data is parsed by the call\'s parseJson, else the client\'s, as the client\'s own .json() does; a stale copy too; no body is still null', async () => {
		const client = createClient({ name: `tq-parse-${Math.random()}`, prefix: `${api.url}/`, retry: 0, breaker: false, store: () => memoryStore('tq-parse'), parseJson: revive('client') });
		const queryClient = new QueryClient();
		try {
			expect(await client.get('a').json()).toEqual({ at: new Date('2026-01-02T03:04:05.000Z'), path: '/a', by: 'client' });
			const read = async (key: string, options?: Parameters<typeof queryOptionsFor>[2]): Promise<unknown> => queryClient.fetchQuery({ queryKey: [key, Math.random()], ...queryOptionsFor(client, key, options), retry: false });
			expect(await read('b')).toEqual({ at: new Date('2026-01-02T03:04:05.000Z'), path: '/b', by: 'client' }); // before: at a string, no `by`
			expect(await read('c', { parseJson: revive('call') })).toMatchObject({ path: '/c', by: 'call' });
			// The copy of /b, answered while the origin fails: parsed as the fresh answer was.
			down = true;
			const stale = await read('b').catch((error: unknown) => error);
			expect(stale).toBeInstanceOf(StaleAnswerError);
			expect((stale as StaleAnswerError).staleData).toEqual({ at: new Date('2026-01-02T03:04:05.000Z'), path: '/b', by: 'client' });
			down = false;
			// A mutation's answer too; one without a body is still undefined.
			const { mutationFn } = mutationOptionsFor((path: string) => client.put(path, { json: {} }));
			expect(await mutationFn('d')).toEqual({ queued: false, data: { at: new Date('2026-01-02T03:04:05.000Z'), path: '/d', by: 'client' } });
			expect(await mutationOptionsFor(() => client.delete('empty', { parseJson: revive('call') })).mutationFn(undefined)).toEqual({ queued: false, data: undefined });
			expect(await read('empty')).toBeNull();
		} finally {
			queryClient.clear();
			client.close();
		}
	});
});

describe('StaleAnswerError keeps no secret (API.md "Sensitive data": every URL the client shows is redacted)', () => {
	it('its url of a stale copy (a private cache stores a read with a credential), as meta.steadfetchUrl: the sensitive query values removed (defaults and sensitiveParams)', async () => {
		const client = createClient({ name: `tq-secret-${Math.random()}`, prefix: `${api.url}/`, retry: 0, breaker: false, store: () => memoryStore('tq-secret'), staleCache: { shared: false }, sensitiveParams: ['session'] });
		const queryClient = new QueryClient();
		try {
			const path = 'files?token=S3CRET&session=SES5&page=2';
			const options = queryOptionsFor(client, path);
			const stored = new Promise((resolve) => client.on('cache:stored', resolve));
			await queryClient.fetchQuery({ queryKey: ['secret', Math.random()], ...options, retry: false });
			await stored;
			down = true;
			const stale = await queryClient.fetchQuery({ queryKey: ['secret', Math.random()], ...options, retry: false }).catch((error: unknown) => error) as StaleAnswerError;
			expect(stale).toBeInstanceOf(StaleAnswerError);
			// Before: `${api.url}/files?token=S3CRET&session=SES5&page=2` (the served copy's response.url).
			expect([stale.url, options.meta.steadfetchUrl]).toEqual([`${api.url}/files?token=&session=&page=2`, `${api.url}/files?token=&session=&page=2`]);
			expect(JSON.stringify({ ...stale, message: stale.message, stack: stale.stack })).not.toMatch(/S3CRET|SES5/);
		} finally {
			queryClient.clear();
			client.close();
		}
	});

	it('its url of a stale answer the page\'s client did not make (steadfetch\'s service worker answered the page with its copy): redacted alike', async () => {
		// What a page sees of its service worker's stale answer: Cache-Status and Age as the worker's client served them, the page's URL.
		const worker = await serve(() => Response.json({ from: 'sw' }, { headers: { 'cache-status': 'steadfetch; hit; ttl=-60; detail=network', age: '60' } }));
		const client = createClient({ name: `tq-secret-sw-${Math.random()}`, prefix: `${worker.url}/`, retry: 0, breaker: false, staleCache: false, sensitiveParams: ['session'] });
		const queryClient = new QueryClient();
		try {
			const stale = await queryClient.fetchQuery({ queryKey: ['secret-sw', Math.random()], ...queryOptionsFor(client, 'files?token=S3CRET&session=SES5&page=2'), retry: false }).catch((error: unknown) => error) as StaleAnswerError;
			expect([stale.name, stale.reason, stale.staleData]).toEqual(['StaleAnswerError', 'network', { from: 'sw' }]);
			// Before: `${worker.url}/files?token=S3CRET&session=SES5&page=2` (the answer's response.url as it came).
			expect(stale.url).toBe(`${worker.url}/files?token=&session=&page=2`);
			expect(JSON.stringify({ ...stale, message: stale.message, stack: stale.stack })).not.toMatch(/S3CRET|SES5/);
		} finally {
			queryClient.clear();
			client.close();
			await worker.close();
		}
	});
});

describe('tanstack-query helpers: bad arguments', () => {
	it('a TypeError naming the helper at the call (refetchWhenBack, followReachability, queryOptionsFor, mutationOptionsFor), not a throw from a listener later', () => {
		const api = createClient({ prefix: 'https://api.example.test/v1/' });
		const queryClient = new QueryClient();
		// `useQueryClient` itself instead of its result, an adapter's hook, nothing: none is a QueryClient.
		for (const wrong of [{}, undefined, () => queryClient]) {
			expect(() => refetchWhenBack(api, wrong as never)).toThrow(TypeError);
			expect(() => refetchWhenBack(api, wrong as never)).toThrow(/refetchWhenBack/);
		}

		expect(() => refetchWhenBack(undefined as never, queryClient)).toThrow(/refetchWhenBack/);
		expect(() => followReachability(api, undefined as never, 'https://api.example.test')).toThrow(/followReachability/);
		expect(() => followReachability({} as never, onlineManager, 'https://api.example.test')).toThrow(/followReachability/);
		expect(() => queryOptionsFor(undefined as never, 'users/1')).toThrow(/queryOptionsFor/);
		expect(() => mutationOptionsFor(5 as never)).toThrow(/mutationOptionsFor/);
		// What they take still works.
		refetchWhenBack(api, queryClient)();
		expect(typeof queryOptionsFor(api, 'users/1').queryFn).toBe('function');
		expect(typeof mutationOptionsFor(async () => new Response(null)).mutationFn).toBe('function');
		api.close();
	});
});

describe('mutationOptionsFor with a send that resolves a refusal (plain fetch, throwHttpErrors: false)', () => {
	it('a 4xx or 5xx answer rejects with ky\'s HTTPError as the client gives it (classify, status, data), never { queued: false, data }', async () => {
		const client = createClient({ name: `tq-refused-${Math.random()}`, prefix: `${api.url}/`, retry: 0, breaker: false, store: () => memoryStore('tq-refused') });
		try {
			const byClient = await client.post('refused', { json: { item: 1 } }).catch((error: unknown) => error);
			expect(isHTTPError(byClient)).toBe(true);
			const sends = [
				(path: string) => fetch(`${api.url}/${path}`, { method: 'POST', body: '{"item":1}' }),
				(path: string) => client.post(path, { json: { item: 1 }, throwHttpErrors: false }),
				(path: string) => ky.post(`${api.url}/${path}`, { json: { item: 1 }, throwHttpErrors: false }),
			];
			for (const send of sends) {
				const refused = await mutationOptionsFor(send).mutationFn('refused').catch((error: unknown) => error);
				expect(refused).toBeInstanceOf(HTTPError); // before: { queued: false, data: { error: 'no such item' } }
				expect(classify(refused)).toEqual(classify(byClient));
				expect((refused as HTTPError).response.status).toBe(422);
				expect((refused as HTTPError).data).toEqual({ error: 'no such item' });
				expect((refused as HTTPError).message).toContain(`422 Unprocessable Entity: ${api.url}/refused`);
				const busy = await mutationOptionsFor(send).mutationFn('busy').catch((error: unknown) => error);
				expect(classify(busy)).toEqual({ code: 'HTTP_5XX', transient: true, status: 503 });
				expect((busy as HTTPError).data).toBe('busy');
			}

			// A success still resolves its data.
			expect(await mutationOptionsFor((path: string) => fetch(`${api.url}/${path}`, { method: 'PUT' })).mutationFn('fine')).toMatchObject({ queued: false, data: { path: '/fine' } });
		} finally {
			client.close();
		}
	});
});

describe('mutationOptionsFor with a refusal whose body stalls, never ends or is huge', () => {
	it('rejects with ky\'s HTTPError within 10 000 ms (ky\'s default timeout) and 10 MiB, its data undefined, its read cancelled', async () => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		try {
			const pulled: number[] = [];
			// `chunks` MiB, then a body that never ends (its next chunk never comes).
			const answer = (type: string, chunks: number) => {
				const index = pulled.push(0) - 1;
				return new Response(new ReadableStream({
					pull: async (controller) => {
						if (pulled[index]++ < chunks) {
							controller.enqueue(new Uint8Array(1_048_576).fill(97));
							return;
						}

						await new Promise(() => undefined);
					},
				}), { status: 500, headers: { 'content-type': type } });
			};

			const outcomes: unknown[] = [];
			const cases = [answer('text/plain', 1), answer('application/json', 1), answer('text/plain', 11), answer('application/problem+json', 11)];
			for (const [index, response] of cases.entries()) {
				mutationOptionsFor(async () => response).mutationFn(undefined).then((value) => { outcomes[index] = value; }, (error: unknown) => { outcomes[index] = error; });
			}

			// Over 10 MiB: given up at once, whatever the clock.
			await vi.waitFor(() => expect(outcomes[2]).toBeInstanceOf(HTTPError), { timeout: 1000, interval: 1 });
			await vi.waitFor(() => expect(outcomes[3]).toBeInstanceOf(HTTPError), { timeout: 1000, interval: 1 });
			expect(pulled.slice(2)).toEqual([12, 12]);
			await vi.advanceTimersByTimeAsync(9_000);
			expect(outcomes[0]).toBeUndefined();
			await vi.advanceTimersByTimeAsync(1_000);
			// Before: a stalled body left the mutation pending for ever (outcomes [undefined, undefined]), an endless one read without end.
			await vi.waitFor(() => expect(outcomes[0]).toBeInstanceOf(HTTPError), { timeout: 1000, interval: 1 });
			await vi.waitFor(() => expect(outcomes[1]).toBeInstanceOf(HTTPError), { timeout: 1000, interval: 1 });
			expect(outcomes.map((error) => [classify(error).code, (error as HTTPError).response.status, (error as HTTPError).data])).toEqual(Array(4).fill(['HTTP_5XX', 500, undefined]));
		} finally {
			vi.useRealTimers();
		}
	});
});

describe('queryOptionsFor and mutationOptionsFor with a success whose body stalls, or is empty', () => {
	/** A 200 JSON answer whose body gives `chunks` (text; '' an empty chunk), then ends, or stalls for ever when `stalls`. */
	const answer = (chunks: string[], stalls: boolean) => new Response(new ReadableStream<Uint8Array>({
		pull: async (controller) => {
			const chunk = chunks.shift();
			if (chunk !== undefined) {
				controller.enqueue(new TextEncoder().encode(chunk));
			} else if (stalls) {
				await new Promise(() => undefined);
			} else {
				controller.close();
			}
		},
	}), { headers: { 'content-type': 'application/json' } });

	it('a stalled body rejects with the call\'s TimeoutError (ky\'s timeout), as the call\'s own .json() does, before or after its first bytes; a query and a mutation alike', async () => {
		const client = createClient({ name: `tq-stall-${Math.random()}`, prefix: 'https://api.example/', retry: 0, breaker: false, staleCache: false, timeout: 100, fetch: async (input) => answer(new Request(input).url.endsWith('/late') ? [] : ['{"a":'], true) });
		const queryClient = new QueryClient();
		try {
			expect(classify(await client.get('a').json().catch((error: unknown) => error)).code).toBe('TIMEOUT');
			const outcomes: unknown[] = [];
			const settle = (index: number, promise: Promise<unknown>) => promise.then((value) => { outcomes[index] = value; }, (error: unknown) => { outcomes[index] = error; });
			void settle(0, queryClient.fetchQuery({ queryKey: ['stall', Math.random()], ...queryOptionsFor(client, 'a'), retry: false }));
			void settle(1, queryClient.fetchQuery({ queryKey: ['stall', Math.random()], ...queryOptionsFor(client, 'late'), retry: false }));
			void settle(2, mutationOptionsFor((path: string) => client.post(path, { json: {} })).mutationFn('a'));
			void settle(3, mutationOptionsFor((path: string) => client.post(path, { json: {} })).mutationFn('late'));
			// Before: all four still pending after 1.5 s (bodyOf read a copy of the whole body first, without bound).
			await vi.waitFor(() => expect(outcomes.map((error) => classify(error).code)).toEqual(['TIMEOUT', 'TIMEOUT', 'TIMEOUT', 'TIMEOUT']), { timeout: 1500, interval: 10 });
		} finally {
			queryClient.clear();
			client.close();
		}
	});

	it('an empty body (no bytes, or only empty chunks) is still null for a query and undefined for a mutation, whatever parseJson makes of \'\'; a body with bytes is parsed', async () => {
		const bodies: Record<string, string[]> = { none: [], chunks: ['', ''], split: ['', '{"a":', '1}'] };
		const client = createClient({ name: `tq-empty-${Math.random()}`, prefix: 'https://api.example/', retry: 0, breaker: false, staleCache: false, parseJson: (text: string) => (text ? JSON.parse(text) : 'parsed nothing') as unknown, fetch: async (input) => answer([...bodies[new URL(new Request(input).url).pathname.slice(1)]!], false) });
		const queryClient = new QueryClient();
		try {
			const read = async (path: string): Promise<unknown> => queryClient.fetchQuery({ queryKey: [path, Math.random()], ...queryOptionsFor(client, path), retry: false });
			expect([await read('none'), await read('chunks'), await read('split')]).toEqual([null, null, { a: 1 }]);
			const { mutationFn } = mutationOptionsFor((path: string) => client.put(path, { json: {} }));
			expect([await mutationFn('none'), await mutationFn('chunks'), await mutationFn('split')]).toEqual([{ queued: false, data: undefined }, { queued: false, data: undefined }, { queued: false, data: { a: 1 } }]);
			// A plain fetch's answer (no .json() of the call): parsed by response.json() alike.
			expect(await mutationOptionsFor(async () => answer(['', '[1]'], false)).mutationFn(undefined)).toEqual({ queued: false, data: [1] });
			expect(await mutationOptionsFor(async () => answer([''], false)).mutationFn(undefined)).toEqual({ queued: false, data: undefined });
		} finally {
			queryClient.clear();
			client.close();
		}
	});
});

describe('queryOptionsFor with a fallback answer', () => {
	it('a fallback is no fresh data: TanStack keeps its last answer and retries; shown() shows it only when TanStack has nothing, age 0, reason fallback; refetchWhenBack knows its scope', async () => {
		const client = createClient({ name: `tq-fallback-${Math.random()}`, prefix: `${api.url}/`, retry: 0, breaker: false, staleCache: false, fallback: { placeholder: true } });
		const queryClient = new QueryClient();
		try {
			const queryKey = ['fallback', Math.random()];
			const options = { queryKey, ...queryOptionsFor<unknown>(client, 'fb'), retry: false as const };
			expect(await queryClient.fetchQuery(options)).toMatchObject({ path: '/fb' });
			down = true;
			await queryClient.refetchQueries({ queryKey });
			const state = queryClient.getQueryState(queryKey)!;
			const error = state.error as StaleAnswerError | null;
			// Before: { placeholder: true } as the query's data, status 'success', no error.
			expect([queryClient.getQueryData(queryKey), state.status, error?.reason, error?.url]).toEqual([expect.objectContaining({ path: '/fb' }), 'error', 'fallback', `${api.url}/fb`]);
			expect(options.retry === false && queryOptionsFor(client, 'fb').retry(0, error!)).toBe(true);
			const now = Date.now();
			expect(shown({ data: state.data, dataUpdatedAt: state.dataUpdatedAt, failureReason: error }, now)).toMatchObject({ data: { path: '/fb' }, reason: 'fallback' });
			expect(shown({ data: undefined, dataUpdatedAt: 0, failureReason: error }, now)).toEqual({ data: { placeholder: true }, ageMs: 0, reason: 'fallback', offline: false, pendingWrites: 0 });
		} finally {
			queryClient.clear();
			client.close();
		}
	});
});

describe('queryOptionsFor and mutationOptionsFor when a beforeRetry hook returns ky.stop (the call resolves undefined, as ky\'s does)', () => {
	it('the query gets null and the mutation { queued: false, data: undefined }, as for an answer without a body: never a TypeError reading the answer it has not got', async () => {
		const client = createClient({ name: `tq-stop-${Math.random()}`, prefix: `${api.url}/`, retry: 1, retryBudget: false, breaker: false, staleCache: false, hooks: { beforeRetry: [() => ky.stop] } });
		const queryClient = new QueryClient();
		try {
			down = true;
			expect(await client.get('busy')).toBeUndefined();
			// Before: TypeError "Cannot read properties of undefined (reading 'clone')" (the query), "(reading 'headers')" (the mutation).
			expect(await queryClient.fetchQuery({ queryKey: ['stop', Math.random()], ...queryOptionsFor<unknown>(client, 'busy') })).toBeNull();
			expect(await mutationOptionsFor((path: string) => client.put(path, { json: {} })).mutationFn('busy')).toEqual({ queued: false, data: undefined });
		} finally {
			queryClient.clear();
			client.close();
		}
	});
});

describe('queryOptionsFor after adaptiveThrottle() refused the call', () => {
	it('TanStack does not retry it (ThrottledError is never retried, and neither is a copy served for it, detail=throttled): one refusal per fetch, not three', async () => {
		for (const stored of [false, true]) {
			down = false;
			// The throttle refuses every attempt once the window holds one that was not accepted (minRequests 1, random() 0 < p).
			const client = createClient({ name: `tq-throttled-${Math.random()}`, prefix: `${api.url}/`, retry: 0, breaker: false, staleCache: stored, store: () => memoryStore(`tq-throttled-${stored}`), random: () => 0, adaptiveThrottle: adaptiveThrottle({ minRequests: 1 }) });
			const queryClient = new QueryClient();
			const refused: unknown[] = [];
			client.on('throttle:rejected', (event) => refused.push(event));
			try {
				const queryKey = ['throttled', stored, Math.random()];
				const options = { queryKey, ...queryOptionsFor<unknown>(client, 'th'), retryDelay: 1 };
				if (stored) {
					await queryClient.fetchQuery(options); // the copy
				}

				down = true;
				// 503s: the window holds more failures than twice its accepts (the copy's answer was one), so p > 0.
				for (let index = 0; index < (stored ? 2 : 1); index++) {
					await queryClient.fetchQuery({ ...options, retry: false, staleTime: 0 }).catch(() => undefined);
				}

				expect(refused).toHaveLength(0);
				const error = await queryClient.fetchQuery({ ...options, staleTime: 0 }).catch((caught: unknown) => caught);
				expect(stored ? (error as StaleAnswerError).reason : classify(error).code).toBe(stored ? 'throttled' : 'THROTTLED');
				// Before: 3 (TanStack's two retries of the refusal asked the throttle again, each counted as a request).
				expect(refused).toHaveLength(1);
			} finally {
				queryClient.clear();
				client.close();
			}
		}
	});
});

describe('queryOptionsFor with a fallback Response that carries an Age header', () => {
	it('is still a placeholder (storedAt 0): shown() keeps TanStack\'s last answer, and gives the fallback with age 0 only when there is none', async () => {
		// A fallback from the Cache API (`caches.match(request)`) keeps the headers the answer came with, a CDN's Age among them.
		const kept = () => new Response(JSON.stringify({ placeholder: true }), { headers: { 'content-type': 'application/json', age: '5' } });
		const client = createClient({ name: `tq-fallback-age-${Math.random()}`, prefix: `${api.url}/`, retry: 0, breaker: false, staleCache: false, fallback: kept });
		const queryClient = new QueryClient();
		try {
			const queryKey = ['fallback-age', Math.random()];
			const options = { queryKey, ...queryOptionsFor<unknown>(client, 'fb'), retry: false as const };
			await queryClient.fetchQuery(options);
			// TanStack's answer is older than the Age the fallback carries.
			const { dataUpdatedAt } = queryClient.getQueryState(queryKey)!;
			down = true;
			await queryClient.refetchQueries({ queryKey });
			const state = queryClient.getQueryState(queryKey)!;
			const error = state.error as StaleAnswerError;
			const now = dataUpdatedAt + 60_000;
			// Before: storedAt ≈ Date.now() − 5 000, so the placeholder replaced TanStack's answer: { placeholder: true }, reason 'fallback'.
			expect([error.reason, error.storedAt]).toEqual(['fallback', 0]);
			expect(shown({ data: state.data, dataUpdatedAt, failureReason: error }, now)).toMatchObject({ data: { path: '/fb' }, ageMs: 60_000, reason: 'fallback' });
			expect(shown({ data: undefined, dataUpdatedAt: 0, failureReason: error }, now)).toEqual({ data: { placeholder: true }, ageMs: 0, reason: 'fallback', offline: false, pendingWrites: 0 });
		} finally {
			queryClient.clear();
			client.close();
		}
	});
});

describe('followReachability before any call to the scope', () => {
	it('the device going offline (navigator.onLine false) takes TanStack offline as reachability() says \'offline\', and back online', async () => {
		const { fakeWindow } = await import('./outbox-helpers.js');
		const win = fakeWindow();
		const client = createClient({ store: memoryStore, retry: 0 });
		const stop = onlineManager.subscribe(() => undefined);
		const off = followReachability(client, onlineManager, api.url);
		try {
			expect([client.reachability(api.url), onlineManager.isOnline()]).toEqual(['unknown', true]);
			win.setOnline(false);
			// Before: ['offline', true] (no `reachability` event for a scope the client had not met).
			expect([client.reachability(api.url), onlineManager.isOnline()]).toEqual(['offline', false]);
			win.setOnline(true);
			expect([client.reachability(api.url), onlineManager.isOnline()]).toEqual(['unknown', true]);
		} finally {
			off();
			stop();
			client.close();
			win.restore();
			onlineManager.setOnline(true);
		}
	});
});

describe('the helpers given what an app\'s code may throw or resolve (null, a primitive, .json()\'s data)', () => {
	it('retry and retryDelay take a null or primitive error (an app\'s queryFn threw it): no retry, TanStack\'s backoff, and the query fails with it instead of pending for ever', async () => {
		const { retry, retryDelay } = queryOptionsFor(createClient({ prefix: `${api.url}/` }), 'users/1');
		for (const thrown of [null, undefined, 'boom', 5]) {
			// Before: TypeError "Cannot read properties of null (reading 'totalTimeoutSpent')", "(reading 'retryAfterMs')".
			expect(retry(0, thrown as never), String(thrown)).toBe(false);
			expect(retryDelay(1, thrown as never), String(thrown)).toBe(2_000);
		}

		const queryClient = new QueryClient();
		try {
			const fetched = queryClient.fetchQuery({ queryKey: ['null', Math.random()], queryFn: async () => Promise.reject(null), retry, retryDelay });
			await expect(fetched).rejects.toBeNull();
		} finally {
			queryClient.clear();
		}
	});

	it('mutationOptionsFor with a send that resolves no Response (.json()\'s data) rejects with a TypeError naming the helper, not one reading the data', async () => {
		const client = createClient({ prefix: `${api.url}/`, retry: 0 });
		try {
			const { mutationFn } = mutationOptionsFor((path: string) => client.post(path, { json: {} }).json() as never);
			// Before: TypeError "Cannot read properties of undefined (reading 'get')".
			await expect(mutationFn('orders')).rejects.toThrow(/^`mutationOptionsFor`'s send resolved object, not a Response$/);
			await expect(mutationOptionsFor(async () => 'text' as never).mutationFn(undefined)).rejects.toThrow(/send resolved string/);
			// None is still none (`ky.stop`, a forgotten return): sent, no data.
			expect(await mutationOptionsFor(async () => undefined as never).mutationFn(undefined)).toEqual({ queued: false, data: undefined });
		} finally {
			client.close();
		}
	});
});

describe('refetchWhenBack after a query failed on the origin\'s transient answer (defect hunt, twelfth round)', () => {
	it('a query that gave up on a 503, a 429 or a 408 (transient, as classify() says) is refetched when its scope is back, as one that gave up on a network failure', async () => {
		for (const status of [503, 429, 408]) {
			let failing = true;
			const fetch = (async (request: Request) => failing ? new Response('no', { status }) : Response.json({ path: new URL(request.url).pathname })) as typeof globalThis.fetch;
			const client = createClient({ name: `tq-back-${Math.random()}`, prefix: 'https://api.test/', fetch, retry: 0, breaker: false, staleCache: false });
			const queryClient = new QueryClient();
			const stop = refetchWhenBack(client, queryClient);
			try {
				const queryKey = ['back', status];
				await queryClient.prefetchQuery({ queryKey, ...queryOptionsFor<unknown>(client, 'item'), retry: false });
				const state = queryClient.getQueryState(queryKey)!;
				expect([state.status, classify(state.error).status]).toEqual(['error', status]);
				failing = false;
				// Another call to the scope gets a good answer: `scope:back`.
				await client.get('other');
				// Before: still 'error' (only a network failure, a timeout, an open breaker or a stale answer was waited for).
				await vi.waitFor(() => expect(queryClient.getQueryState(queryKey)?.status, String(status)).toBe('success'));
				expect(queryClient.getQueryData(queryKey)).toEqual({ path: '/item' });
			} finally {
				stop();
				queryClient.clear();
				client.close();
			}
		}
	});
});
