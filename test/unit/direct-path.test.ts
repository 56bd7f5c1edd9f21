/**
 * A call no outer policy wraps (every call of `steadfetch/core` without a wrapper, and without
 * `fallback`) is ky's own promise, its outcome counted beside it. These pin what that path must
 * keep from the wrapped one: the caller's abort reason as the rejection whatever the transport threw,
 * counting before the caller's reactions, ky's body shortcuts, typed errors before I/O, and retry
 * events that carry ky's error while somebody listens.
 */
import ky, { HTTPError } from 'ky';
import { describe, expect, it } from 'vitest';
import { createClient as createCore, InvalidRequestError } from '../../src/entries/core.js';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { trace } from '../../src/entries/trace.js';
import { logger } from '../../src/entries/logger.js';

const origin = 'http://direct.test';

/** A transport that answers from `answer`, and rejects as workerd does (an error of its own) when its signal aborts. */
const transport = (answer: (request: Request, index: number) => Response | Promise<Response> | 'hang') => {
	const seen: Request[] = [];
	const fetch = async (request: Request) => {
		seen.push(request);
		const result = answer(request, seen.length - 1);
		if (result !== 'hang') {
			return result;
		}

		return new Promise<Response>((_, reject) => {
			request.signal.addEventListener('abort', () => reject(new Error('The operation was aborted by the runtime')), { once: true });
		});
	};

	return { seen, fetch: fetch as typeof globalThis.fetch };
};

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('the direct path (no outer policy applies)', () => {
	it('is ky\'s own promise: ky\'s body shortcuts, the JSON parsed once, the outcome counted before the caller continues', async () => {
		const { fetch, seen } = transport(() => json({ ok: 1 }));
		const api = createCore({ fetch, parseJson: (text) => ({ parsed: JSON.parse(text) }) });
		const seenStats: unknown[] = [];
		const value = await api.get(`${origin}/a`).then((response) => {
			seenStats.push(api.stats()[origin]?.successes);
			return response.json();
		});
		expect(value).toEqual({ parsed: { ok: 1 } });
		expect(seenStats).toEqual([1]);
		expect(await api.get(`${origin}/b`).json()).toEqual({ parsed: { ok: 1 } });
		expect(seen[1]!.headers.get('accept')).toBe('application/json');
		api.close();
	});

	it('the caller\'s abort rejects with the caller\'s reason even when the transport rejects with an error of its own', async () => {
		const { fetch } = transport(() => 'hang');
		for (const api of [createCore({ fetch, retry: { limit: 3, delay: () => 0 } }), createClient({ fetch, store: memoryStore, retry: { limit: 3, delay: () => 0 } })]) {
			const controller = new AbortController();
			const reason = new Error('user left');
			const promise = api.get(`${origin}/hang`, { signal: controller.signal });
			setTimeout(() => controller.abort(reason), 5);
			await expect(promise).rejects.toBe(reason);
			expect(api.stats()[origin]?.failures).toEqual({ ABORTED: 1 });
			expect(api.stats()[origin]?.retries).toBe(0);
			api.close();
		}
	});

	it('an HTTP error is ky\'s HTTPError, counted by code; a bad URL is an InvalidRequestError, never a sync throw', async () => {
		const { fetch } = transport(() => json({ no: 1 }, 404));
		const api = createCore({ fetch });
		await expect(api.get(`${origin}/missing`).json()).rejects.toBeInstanceOf(HTTPError);
		expect(api.stats()[origin]?.failures).toEqual({ HTTP_4XX: 1 });
		let promise: Promise<unknown> | undefined;
		expect(() => {
			promise = api.get('http://%%');
		}).not.toThrow();
		await expect(promise).rejects.toBeInstanceOf(InvalidRequestError);
		await expect(api.get('http://%%').json()).rejects.toBeInstanceOf(InvalidRequestError);
		api.close();
	});

	it('retry events carry ky\'s error while somebody listens, and retries are counted either way', async () => {
		const { fetch } = transport((_, index) => index % 2 === 0 ? json({}, 503) : json({ ok: true }));
		const api = createCore({ fetch, retry: { limit: 1, delay: () => 0 } });
		await api.get(`${origin}/unwatched`).json();
		expect(api.stats()[origin]?.retries).toBe(1);
		const codes: Array<[string, unknown]> = [];
		api.on('retry', ({ code, error }) => codes.push([code, error]));
		await api.get(`${origin}/watched`).json();
		expect(codes).toHaveLength(1);
		expect(codes[0]![0]).toBe('HTTP_5XX');
		expect(codes[0]![1]).toBeInstanceOf(HTTPError);
		expect(api.stats()[origin]?.retries).toBe(2);
		api.close();
	});

	it('a user\'s beforeRetry hook still runs, and one that stops the retry stops it with nobody listening', async () => {
		const { fetch, seen } = transport(() => json({}, 503));
		const retries: number[] = [];
		const api = createCore({ fetch, retry: { limit: 2, delay: () => 0 }, hooks: { beforeRetry: [({ retryCount }) => {
			retries.push(retryCount);
			return retryCount === 2 ? ky.stop : undefined;
		}] } });
		expect(await api.get(`${origin}/stop`)).toBeUndefined();
		expect(retries).toEqual([1, 2]);
		expect(seen).toHaveLength(2);
		expect(api.stats()[origin]?.retries).toBe(1);
		api.close();
	});

	it('a call a beforeRetry hook stops resolves undefined with a logger too: one record, no unhandled rejection, on either path', async () => {
		const unhandled: unknown[] = [];
		const onUnhandled = (reason: unknown): void => {
			unhandled.push(reason);
		};

		process.on('unhandledRejection', onUnhandled);
		try {
			const { fetch } = transport(() => json({}, 503));
			const records: Array<{ event: string; level: string }> = [];
			const sink = { info: (record: never) => records.push(record), warn: (record: never) => records.push(record), error: (record: never) => records.push(record) };
			const options = { fetch, logger: logger(sink), retry: { limit: 1, delay: () => 0 }, hooks: { beforeRetry: [(): typeof ky.stop => ky.stop] } };
			for (const api of [createCore(options), createClient({ ...options, store: memoryStore })]) {
				records.length = 0;
				expect(await api.get(`${origin}/stopped`)).toBeUndefined();
				await new Promise((resolve) => setTimeout(resolve, 10));
				expect(records.filter((record) => record.event === 'call')).toEqual([expect.objectContaining({ event: 'call', level: 'info' })]);
				api.close();
			}
		} finally {
			process.off('unhandledRejection', onUnhandled);
		}

		expect(unhandled).toEqual([]);
	});

	it('`fallback` takes the wrapped path: the degraded answer replaces the failure', async () => {
		const { fetch } = transport(() => json({}, 500));
		const api = createCore({ fetch, retry: 0, fallback: { offline: true } });
		expect(await api.get(`${origin}/down`).json()).toEqual({ offline: true });
		// A call's `fallback: undefined` is not given (API.md "Option values"): the client's answers; without one, the failure.
		expect(await api.get(`${origin}/down`, { fallback: undefined }).json()).toEqual({ offline: true });
		expect(await createCore({ fetch, retry: 0 }).get(`${origin}/down`).catch((error: unknown) => error)).toBeInstanceOf(HTTPError);
		api.close();
	});

	it('a call that spent its totalTimeout has its TimeoutError marked totalTimeoutSpent before the caller sees it, direct or wrapped; one that resolves or fails otherwise is not marked', async () => {
		const { fetch } = transport((request) => (request.url.endsWith('/hang') ? 'hang' : json({ ok: 1 }, request.url.endsWith('/missing') ? 404 : 200)));
		// The core is ky's own promise; the preset with its stale cache is wrapped (a run of the wrappers around ky).
		for (const api of [createCore({ fetch, retry: 0 }), createClient({ fetch, store: memoryStore, breaker: false, retry: 0 })]) {
			const error = await api.get(`${origin}/hang`, { totalTimeout: 60 }).then(() => undefined, (reason: unknown) => reason);
			expect(error).toMatchObject({ name: 'TimeoutError', totalTimeoutSpent: true });
			const missing = await api.get(`${origin}/missing`).then(() => undefined, (reason: unknown) => reason);
			expect(missing).toBeInstanceOf(HTTPError);
			expect((missing as { totalTimeoutSpent?: boolean }).totalTimeoutSpent).toBeUndefined();
			expect(await api.get(`${origin}/ok`).json()).toEqual({ ok: 1 });
			api.close();
		}
	});
});

describe('trace without listeners', () => {
	it('still sends a request id and a traceparent on every attempt, one trace per call, a new span per attempt', async () => {
		const { fetch, seen } = transport((_, index) => index === 0 ? json({}, 503) : json({ ok: true }));
		const api = createCore({ fetch, baseUrl: origin, trace: trace(), retry: { limit: 1, delay: () => 0 } });
		await api.get(`${origin}/traced`).json();
		const [first, second] = seen.map((request) => ({ id: request.headers.get('x-request-id'), parent: request.headers.get('traceparent')!.split('-') }));
		expect(first!.id).toMatch(/^[\da-f-]{36}$/);
		expect(second!.id).toBe(first!.id);
		expect(first!.parent[1]).toMatch(/^[\da-f]{32}$/);
		expect(second!.parent[1]).toBe(first!.parent[1]);
		expect(first!.parent[2]).toMatch(/^[\da-f]{16}$/);
		expect(second!.parent[2]).not.toBe(first!.parent[2]);
		api.close();
	});

	it('emits attempt:start/end to a listener added after the client was made', async () => {
		const { fetch } = transport(() => json({ ok: true }));
		const api = createCore({ fetch, trace: trace() });
		await api.get(`${origin}/before`).json();
		const types: string[] = [];
		api.on('*', ({ type }) => types.push(type));
		await api.get(`${origin}/after`).json();
		expect(types.filter((type) => type.startsWith('attempt:'))).toEqual(['attempt:start', 'attempt:end']);
		api.close();
	});
});
