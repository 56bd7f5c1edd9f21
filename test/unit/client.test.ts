import ky, { HTTPError, NetworkError, TimeoutError, type Input } from 'ky';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
	CircuitOpenError, InvalidRequestError, OutboxFullError, OutboxQueuedError, SteadfetchError,
	classify, createClient, memoryStore, type Client, type ClientOptions,
	outbox,
	type OutboxPolicy,
} from '../../src/entries/index.js';
import { createHandler, createState } from '../helpers/server-handler.js';
import { createClient as createCore } from '../../src/entries/core.js';
import { health } from '../../src/entries/health.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

let server: RunningServer;
const state = createState();
beforeAll(async () => {
	server = await serve(createHandler(state));
});
afterAll(async () => server.close());

const make = (options: Parameters<typeof createClient>[0] = {}) =>
	createClient({ baseUrl: server.url + '/', store: memoryStore, breaker: false, staleCache: false, retry: { limit: 2, delay: () => 0 }, ...options }) as Client<{ outbox: OutboxPolicy }>;

describe('createClient', () => {
	it('passes ky hooks through: beforeRequest and beforeRetry', async () => {
		const seen: string[] = [];
		const api = make({
			hooks: {
				beforeRequest: [({ request }) => {
					request.headers.set('x-token', 'fresh');
				}],
				beforeRetry: [({ retryCount }) => {
					seen.push(`retry ${retryCount}`);
				}],
			},
		});
		const body = await api.get('echo?id=hooks').json<{ headers: Record<string, string> }>();
		expect(body.headers['x-token']).toBe('fresh');
		await api.get('status/500?id=hooks').catch(() => undefined);
		expect(seen).toEqual(['retry 1', 'retry 2']);
	});

	it('a body shortcut sets Accept as in ky, also when a wrapper awaits before the ky call starts', async () => {
		const api = make({ outbox: outbox(), staleCache: {} });
		const read = await api.get('echo?id=accept-get').json<{ headers: Record<string, string> }>();
		expect(read.headers['accept']).toBe('application/json');
		// An outbox-eligible POST: the outbox's wrapper snapshots the body first, so ky starts later.
		const write = await api.post('echo?id=accept-post', { json: { a: 1 } }).json<{ headers: Record<string, string> }>();
		expect(write.headers['accept']).toBe('application/json');
		expect((await api.get('echo?id=accept-text').text()).includes('"accept":"text/*"')).toBe(true);
		const own = await api.get('echo?id=accept-own', { headers: { accept: 'application/vnd.x+json' } }).json<{ headers: Record<string, string> }>();
		expect(own.headers['accept']).toBe('application/vnd.x+json');
		api.close();
	});

	it('body shortcuts parse the ky way (parseJson applies) and may be called after the call settled', async () => {
		const api = make({ parseJson: (text) => ({ parsed: JSON.parse(text) as unknown }) });
		expect(await api.get('json?id=parse').json()).toMatchObject({ parsed: {} });
		const promise = api.get('json?id=later');
		await promise;
		expect(await promise.json()).toMatchObject({ parsed: {} });
	});

	it('emits `retry` with scope, method, url, count and code; on() returns an unsubscribe', async () => {
		const api = make();
		const events: unknown[] = [];
		const off = api.on('retry', (event) => events.push(event));
		await api.get('status/502?id=events').catch(() => undefined);
		expect(events).toHaveLength(2);
		expect(events[0]).toMatchObject({ type: 'retry', scope: server.url, method: 'GET', url: `${server.url}/status/502?id=events`, retryCount: 1, code: 'HTTP_5XX' });
		expect(typeof (events[0] as { time: number }).time).toBe('number');
		off();
		await api.get('status/502?id=events2').catch(() => undefined);
		expect(events).toHaveLength(2);
	});

	it('`retry` carries ky\'s error for every kind of failure, and fires only for a retry that is sent', async () => {
		let calls = 0;
		const flaky = async (input: string | URL | Request) => {
			calls++;
			if (calls === 1) {
				throw new TypeError('fetch failed');
			}

			if (calls === 2) {
				// Hangs until ky's per-attempt timeout aborts it.
				const { signal } = input as Request;
				return new Promise<Response>((_resolve, reject) => {
					signal.addEventListener('abort', () => reject(signal.reason as Error));
				});
			}

			return new Response('{}', { status: calls === 3 ? 503 : 200 });
		};

		const api = make({ fetch: flaky, timeout: 50, retry: { limit: 3, delay: () => 0 } });
		const events: Array<{ retryCount: number; code: string; error: unknown }> = [];
		api.on('retry', (event) => events.push(event));
		await api.get('json?id=kinds');
		expect(events.map(({ retryCount, code }) => [retryCount, code])).toEqual([[1, 'NETWORK'], [2, 'TIMEOUT'], [3, 'HTTP_5XX']]);
		expect(events[0]!.error).toBeInstanceOf(NetworkError);
		expect(events[1]!.error).toBeInstanceOf(TimeoutError);
		expect(events[2]!.error).toBeInstanceOf(HTTPError);
		expect(api.stats()[server.url]).toMatchObject({ requests: 1, retries: 3, successes: 1 });

		// A beforeRetry hook that stops the retry: no event, no retry counted.
		const stopped = make({ hooks: { beforeRetry: [() => ky.stop] } });
		let fired = 0;
		stopped.on('retry', () => fired++);
		await stopped.get('status/503?id=stopped').catch(() => undefined);
		expect(fired).toBe(0);
		expect(stopped.stats()[server.url]).toMatchObject({ requests: 1, retries: 0 });
	});

	it('events carry the injected clock time', async () => {
		const api = make({ clock: { now: () => 42 } });
		const times: number[] = [];
		api.on('retry', (event) => times.push(event.time));
		await api.get('status/503?id=clock').catch(() => undefined);
		expect(times).toEqual([42, 42]);
	});

	it('a throwing listener does not break the request or other listeners', async () => {
		const api = make();
		const second = vi.fn();
		api.on('retry', () => {
			throw new Error('listener bug');
		});
		api.on('retry', second);
		const unhandled = vi.fn();
		process.once('uncaughtException', unhandled);
		await expect(api.get('plan/503,200?id=listener')).resolves.toHaveProperty('status', 200);
		expect(second).toHaveBeenCalledTimes(1);
		await new Promise((resolve) => setTimeout(resolve, 0));
		process.removeListener('uncaughtException', unhandled);
	});

	it('on() with a listener that is not a function, or a type that is not a string, is a TypeError at once (never an error thrown at every event later)', async () => {
		const api = make();
		for (const listener of [5, null, undefined, 'x', {}]) {
			expect(() => api.on('retry', listener as never)).toThrow(TypeError);
		}

		expect(() => api.on(5 as never, () => undefined)).toThrow(TypeError);
		// Nothing was registered: a retried call has no listener to fail.
		const unhandled = vi.fn();
		process.on('uncaughtException', unhandled);
		try {
			await expect(api.get('plan/503,200?id=bad-listener')).resolves.toHaveProperty('status', 200);
			await new Promise((resolve) => setTimeout(resolve, 0));
			expect(unhandled).not.toHaveBeenCalled();
		} finally {
			process.removeListener('uncaughtException', unhandled);
		}
	});

	it('stats() counts per scope: requests, successes, failures by code, retries', async () => {
		const api = make();
		await api.get('json?id=s1');
		await api.get('status/404?id=s1').catch(() => undefined);
		await api.get('plan/500,200?id=s1');
		expect(api.stats()[server.url]).toEqual({
			requests: 3, successes: 2, stale: 0, queued: 0, failures: { HTTP_4XX: 1 }, retries: 1, retriesRefused: 0, fallbacks: 0,
		});
		// The health figures come with the `health` slot (steadfetch/health).
		const watched = make({ health: health() });
		await watched.get('status/404?id=s1b').catch(() => undefined);
		expect(watched.stats()[server.url]).toMatchObject({
			latency: { p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number) }, errorRate: 0, topErrors: [{ code: 'HTTP_4XX', count: 1 }],
		});
	});

	it('stats() counts stale answers and queued mutations apart from failures', async () => {
		const api = createClient({ baseUrl: server.url + '/', store: memoryStore, retry: 0, outbox: outbox() });
		await api.get('json?id=stats-stale');
		await new Promise((resolve) => setTimeout(resolve, 10)); // The write-behind lands.
		const failing = { fetch: async () => {
			throw new TypeError('fetch failed');
		} };
		const stale = await api.get('json?id=stats-stale', failing);
		expect(stale.headers.get('cache-status')).toMatch(/^steadfetch; hit/);
		await api.post('echo?id=stats-queued', { ...failing, json: { a: 1 } }).catch(() => undefined);
		expect(api.stats()[server.url]).toMatchObject({ requests: 3, successes: 2, stale: 1, queued: 1, failures: {} });
		api.close();
	});

	it('uses the injected random source for full jitter', async () => {
		const random = vi.fn(() => 0);
		const api = make({ random, retry: { limit: 2 } });
		await api.get('plan/503,503,200?id=jitter');
		expect(random).toHaveBeenCalledTimes(2);
	});

	it('a per-call numeric retry is a limit merged with our defaults (jitter, budget), not ky\'s bare defaults', async () => {
		const random = vi.fn(() => 0);
		const api = make({ random, retry: { limit: 0, delay: () => 0 } });
		await api.get('plan/503,503,200?id=per-call-number', { retry: 2 });
		expect(random).toHaveBeenCalledTimes(2);
		// POST with a key also retries with a per-call number (POST joins the retried methods per call).
		const response = await api.post('plan/503,200?id=per-call-post', { retry: 1, idempotencyKey: 'k-1', json: {} });
		expect(response.status).toBe(200);
		await expect(api.post('plan/503,200?id=per-call-post-nokey', { retry: 1, json: {} })).rejects.toBeInstanceOf(HTTPError);
	});

	it('a retried POST with idempotencyKey: true sends the same key on every attempt', async () => {
		const api = make();
		const seen: string[] = [];
		api.on('retry', (event) => seen.push(event.url));
		const response = await api.post('plan/503,503,200?id=samekey', { idempotencyKey: true, json: { a: 1 } });
		expect(response.status).toBe(200);
		expect(seen).toHaveLength(2);
		const keys = new Set<string>();
		const probe = make({
			fetch: async (input: string | URL | Request) => {
				const request = input as Request;
				keys.add(request.headers.get('idempotency-key') ?? '');
				return new Response('no', { status: 503 });
			},
		});
		await probe.post('x', { idempotencyKey: true }).catch(() => undefined);
		expect(keys.size).toBe(1);
		expect([...keys][0]).toMatch(/^[\da-f-]{36}$/);
	});

	it('PATCH without Idempotency-Key is not retried; PUT and DELETE are', async () => {
		const calls: string[] = [];
		const api = make({
			fetch: async (input: string | URL | Request) => {
				const request = input as Request;
				calls.push(request.method);
				return new Response('no', { status: 503 });
			},
		});
		await api.patch('x').catch(() => undefined);
		await api.put('x').catch(() => undefined);
		await api.delete('x').catch(() => undefined);
		expect(calls).toEqual(['PATCH', 'PUT', 'PUT', 'PUT', 'DELETE', 'DELETE', 'DELETE']);
	});

	it('a json body is serialized once, by the client\'s or the call\'s stringifyJson, which may serialize what JSON.stringify cannot', async () => {
		const seen: unknown[] = [];
		const api = make({ stringifyJson: (value) => {
			seen.push(value);
			return typeof value === 'function' ? '"a function"' : JSON.stringify(value);
		} });
		const sent = async (promise: Promise<Response>) => await (await promise).json() as { body: string; headers: Record<string, string> };
		const plain = await sent(api.put('echo?id=json-once', { json: { a: 1 } }));
		expect(plain).toMatchObject({ body: '{"a":1}', headers: { 'content-type': 'application/json' } });
		expect(seen).toEqual([{ a: 1 }]);
		expect((await sent(api.put('echo?id=json-function', { json: () => 1 }))).body).toBe('"a function"');
		expect((await sent(make().put('echo?id=json-own', { json: Symbol.for('s'), stringifyJson: () => '"own"' }))).body).toBe('"own"');
		expect((await sent(make({ outbox: outbox() }).put('echo?id=json-outbox', { json: () => 1, stringifyJson: () => '"queued"' }))).body).toBe('"queued"');
	});

	it('a per-call fetch still goes through the layers (counted in stats)', async () => {
		const api = make();
		await api.get('x', { fetch: async () => new Response('{}') });
		expect(api.stats()[server.url]?.requests).toBe(1);
	});

	it('a call\'s own keys never reach ky: the core\'s and every policy\'s (each its slot\'s name), whichever policies the client has', async () => {
		const seen: Array<Record<string, unknown>> = [];
		const api = createCore({ baseUrl: `${server.url}/`, retry: 0, hooks: { beforeRequest: [({ options }) => void seen.push({ ...options })] } });
		const slots = ['auth', 'trace', 'outbox', 'staleCache', 'failover', 'dedupe', 'hedge', 'adaptiveThrottle', 'bulkhead', 'rateLimit', 'breaker', 'logger', 'health'];
		const own = Object.fromEntries([...slots, 'fallback', 'idempotencyKey'].map((key) => [key, key === 'idempotencyKey' ? 'k' : false]));
		expect((await api.get('echo?id=own-keys', own)).status).toBe(200);
		expect(Object.keys(seen[0]!).filter((key) => key in own)).toEqual([]);
	});

	it('totalTimeout bounds the whole call including retries (ky passes it through)', async () => {
		const api = make({ timeout: 1_000, totalTimeout: 150, retry: { limit: 5, delay: () => 0 } });
		const started = performance.now();
		const error = await api.get('hang?id=total').catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(TimeoutError);
		expect(performance.now() - started).toBeLessThan(1_000);
	});

	it('the caller abort is not retried and is classified ABORTED in stats', async () => {
		const api = make({ retry: { limit: 3, delay: () => 0 } });
		const controller = new AbortController();
		const promise = api.get('hang?id=abort', { signal: controller.signal });
		controller.abort();
		await expect(promise).rejects.toHaveProperty('name', 'AbortError');
		expect(api.stats()[server.url]?.failures).toEqual({ ABORTED: 1 });
		expect(api.stats()[server.url]?.retries).toBe(0);
	});

	it('an already-aborted signal rejects with its reason', async () => {
		const api = make();
		const reason = new Error('gone');
		await expect(api.get('json', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
	});

	it('extend() merges options and keeps the parent working', async () => {
		const api = make({ headers: { 'x-a': '1' } });
		const child = api.extend({ headers: { 'x-b': '2' } });
		const body = await child.get('echo?id=extend').json<{ headers: Record<string, string> }>();
		expect(body.headers).toMatchObject({ 'x-a': '1', 'x-b': '2' });
		const parent = await api.get('echo?id=extend').json<{ headers: Record<string, string> }>();
		expect(parent.headers['x-b']).toBeUndefined();
	});

	it('extend() merges a built-in\'s plain options shallowly also when they have no prototype (Object.create(null), as some config parsers give)', async () => {
		const down = (async () => new Response('down', { status: 503 })) as typeof fetch;
		const parent = createClient({ fetch: down, store: memoryStore, name: 'null-proto-merge', retry: 0, random: () => 0.5, breaker: { openMs: 1_000 } });
		const bare = Object.assign(Object.create(null) as { consecutiveFailures?: number }, { consecutiveFailures: 1 });
		for (const [name, more] of [['plain', { consecutiveFailures: 1 }], ['bare', bare]] as const) {
			const options: ClientOptions = { name: `null-proto-merge-${name}`, breaker: more };
			const child = parent.extend(options);
			await child.get('https://api.test/a').catch(() => undefined);
			const { state: open, openedAt, reopensAt } = child.breaker('https://api.test/a');
			// The parent's openMs (1 000 ms, no jitter at random() 0.5) with the child's consecutiveFailures.
			expect([open, reopensAt! - openedAt!]).toEqual(['open', 1_000]);
			child.close();
		}

		parent.close();
	});

	it('extend() shares persisted state under the same name and store, not under another name', async () => {
		const failing = { fetch: async () => {
			throw new TypeError('fetch failed');
		} };
		const api = make({ outbox: outbox() });
		await api.post('echo?id=extend-share', { ...failing, json: { a: 1 } }).catch(() => undefined);
		expect(await api.outbox.size()).toBe(1);
		expect(await api.extend({ headers: { 'x-child': '1' } }).outbox.size()).toBe(1);
		expect(await api.extend({ name: 'another' }).outbox.size()).toBe(0);
		api.close();
	});

	it('close() makes further calls reject with CLIENT_CLOSED; it is idempotent', async () => {
		const api = make();
		api.close();
		api.close();
		const error = await api.get('json').catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(SteadfetchError);
		expect(error).toMatchObject({ code: 'CLIENT_CLOSED', transient: false });
	});

	it('a call whose signal is already aborted reaches no transport, a custom fetch included, and rejects with its reason', async () => {
		let sent = 0;
		const fetch = async (): Promise<Response> => {
			sent++;
			return new Response('ok');
		};
		const reason = new Error('the caller left');
		for (const api of [createCore({ fetch }), createClient({ fetch, store: memoryStore })]) {
			await expect(api.get('https://api.test/aborted', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
			await expect(api.post('https://api.test/aborted', { signal: AbortSignal.abort(reason), json: {} })).rejects.toBe(reason);
			api.close();
		}

		expect(sent).toBe(0);
	});

	it('a slot given something else than a policy names the entry its policy comes from', () => {
		expect(() => createCore({ staleCache: true as never })).toThrow(/`staleCache` must be a policy \(from `steadfetch\/cache`\)/);
		expect(() => createCore({ rateLimit: {} as never })).toThrow(/`rateLimit` must be a policy \(from `steadfetch\/rate-limit`\)/);
		expect(() => createCore({ breaker: 5 as never })).toThrow(/`breaker` must be a policy \(from `steadfetch\/breaker`\)/);
	});

	it('a slot given its factory uncalled, or plain options where the core takes a policy, says what to write (`trace: trace()`)', async () => {
		const { trace } = await import('../../src/entries/trace.js');
		expect(() => createCore({ trace: trace as never })).toThrow(/^`trace` must be a policy \(from `steadfetch\/trace`\) or false, as `trace: trace\(…\)`; got function$/);
		expect(() => createCore({ breaker: { openMs: 1_000 } as never })).toThrow(/, as `breaker: breaker\(…\)`; got object$/);
		expect(() => createCore({ staleCache: { maxStaleMs: 1 } as never })).toThrow(/, as `staleCache: staleCache\(…\)`; got object$/);
	});

	it('breaker.isolate() without a breaker is a typed error (INVALID_REQUEST), not UNKNOWN, as a rejected promise', async () => {
		const api = make();
		const thrown = await api.breaker.isolate(server.url).catch((error: unknown) => error);
		expect(thrown).toBeInstanceOf(InvalidRequestError);
		expect(classify(thrown).code).toBe('INVALID_REQUEST');
		await expect(api.breaker.reset(server.url)).resolves.toBeUndefined();
	});

	it('client.outbox throws a clear error when the outbox is off, naming what turns it on', () => {
		const api = make();
		expect(() => api.outbox).toThrow(/outbox is off: pass `outbox: outbox\(\)`/);
	});

	it('body shortcuts: text(), arrayBuffer(), json() with the Accept header ky would set', async () => {
		const api = make();
		const text = await api.get('echo?id=text').text();
		expect(JSON.parse(text).headers.accept).toBe('text/*');
		expect((await api.get('json?id=ab').arrayBuffer()).byteLength).toBeGreaterThan(0);
	});
});

describe('bad input, before any I/O', () => {
	const fetch = vi.fn(async () => new Response('{}'));
	const api = createClient({ store: memoryStore, fetch });
	it.each([
		['invalid URL', () => api.get('http://%%'), /Invalid request/],
		['relative URL without baseUrl', () => api.get('no-base'), /Invalid request/],
		['negative timeout', () => api.get('http://127.0.0.1:1/', { timeout: -5 }), /timeout.*-5/],
		['NaN timeout', () => api.get('http://127.0.0.1:1/', { timeout: Number.NaN }), /timeout.*NaN/],
		['infinite totalTimeout', () => api.get('http://127.0.0.1:1/', { totalTimeout: Number.POSITIVE_INFINITY }), /totalTimeout.*Infinity/],
		['fractional retry.limit', () => api.get('http://127.0.0.1:1/', { retry: { limit: 1.5 } }), /retry\.limit.*1\.5/],
		['negative retry number', () => api.get('http://127.0.0.1:1/', { retry: -1 }), /retry\.limit.*-1/],
	])('%s → InvalidRequestError naming the option', async (_name, call, message) => {
		const error = await call().catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(InvalidRequestError);
		expect(error).toMatchObject({ code: 'INVALID_REQUEST', transient: false });
		expect((error as Error).message).toMatch(message);
		expect(fetch).not.toHaveBeenCalled();
	});

	it.each([
		[{ timeout: -1 }, 'timeout'],
		[{ totalTimeout: Number.NaN }, 'totalTimeout'],
		[{ retry: { limit: -1 } }, 'retry.limit'],
		[{ retry: 2.5 }, 'retry.limit'],
	])('createClient(%o) throws a RangeError naming %s', (options, name) => {
		expect(() => createClient(options)).toThrow(RangeError);
		expect(() => createClient(options)).toThrow(name);
	});
});

describe('classify', () => {
	const request = new Request('https://x.test/');
	const response = (status: number) => new HTTPError(new Response(null, { status }), request, {} as never);
	it.each([
		[new TimeoutError(request), 'TIMEOUT', true],
		[new NetworkError(request), 'NETWORK', true],
		[response(429), 'HTTP_429', true],
		[response(500), 'HTTP_5XX', true],
		[response(503), 'HTTP_5XX', true],
		[response(408), 'HTTP_408', true],
		[response(404), 'HTTP_4XX', false],
		[response(401), 'HTTP_4XX', false],
		[new CircuitOpenError('https://x.test', 10), 'CIRCUIT_OPEN', true],
		[new OutboxQueuedError('e1'), 'QUEUED', true],
		[new OutboxFullError('full'), 'OUTBOX_FULL', false],
		[new InvalidRequestError('bad'), 'INVALID_REQUEST', false],
		[new DOMException('aborted', 'AbortError'), 'ABORTED', false],
		[new TypeError('fetch failed'), 'NETWORK', true],
		[new Error('bug'), 'UNKNOWN', false],
		['a string', 'UNKNOWN', false],
	])('%s → %s', (error, code, transient) => {
		expect(classify(error)).toMatchObject({ code, transient });
	});

	it('our errors carry their fields and names', () => {
		const error = new CircuitOpenError('https://x.test', 1500);
		expect(error).toMatchObject({ name: 'CircuitOpenError', scope: 'https://x.test', retryAfterMs: 1500, code: 'CIRCUIT_OPEN' });
		expect(error).toBeInstanceOf(SteadfetchError);
		expect(new OutboxQueuedError('id-1').entryId).toBe('id-1');
	});
});

void state;

describe('every call is bounded: totalTimeout defaults to 20 000 ms (ky: none)', () => {
	/** A transport that takes the request and never answers (until the attempt is aborted). */
	const hanging = async (input: Input): Promise<Response> => new Promise((_, reject) => {
		const { signal } = input as Request;
		signal.addEventListener('abort', () => reject(signal.reason), { once: true });
	});

	it('a hanging origin with no per-attempt timeout: the call ends with a TIMEOUT at 20 s, not before; its own totalTimeout or false replaces it', async () => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
		try {
			const api = createCore({ fetch: hanging, timeout: false, retry: 0, retryBudget: false });
			let outcome: unknown;
			api.get('https://api.test/hang').then((response) => {
				outcome = response;
			}, (error: unknown) => {
				outcome = error;
			});
			await vi.advanceTimersByTimeAsync(19_990);
			expect(outcome).toBeUndefined();
			await vi.advanceTimersByTimeAsync(20);
			expect(outcome).toBeInstanceOf(TimeoutError);
			expect(classify(outcome).code).toBe('TIMEOUT');

			let own: unknown;
			api.get('https://api.test/hang', { totalTimeout: 5_000 }).catch((error: unknown) => {
				own = error;
			});
			let none: unknown;
			const unbounded = new AbortController();
			api.get('https://api.test/hang', { totalTimeout: false, signal: unbounded.signal }).catch((error: unknown) => {
				none = error;
			});
			await vi.advanceTimersByTimeAsync(5_010);
			expect(own).toBeInstanceOf(TimeoutError);
			await vi.advanceTimersByTimeAsync(60_000);
			expect(none).toBeUndefined();
			unbounded.abort();
			await vi.advanceTimersByTimeAsync(1);
			expect(classify(none).code).toBe('ABORTED');
			api.close();
		} finally {
			vi.useRealTimers();
		}
	});

	it('the client\'s own totalTimeout (or false) replaces the default', async () => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
		try {
			const api = createCore({ fetch: hanging, timeout: false, retry: 0, totalTimeout: false });
			let outcome: unknown;
			const controller = new AbortController();
			api.get('https://api.test/hang', { signal: controller.signal }).catch((error: unknown) => {
				outcome = error;
			});
			await vi.advanceTimersByTimeAsync(30_000);
			expect(outcome).toBeUndefined();
			controller.abort();
			await vi.advanceTimersByTimeAsync(1);
			expect(outcome).toBeDefined();
			api.close();
		} finally {
			vi.useRealTimers();
		}
	});
});

describe('createClient: a `name` with a lone surrogate (API.md "Option values": a value out of range is a RangeError or TypeError naming the option)', () => {
	it.each([['a high surrogate alone', 'app-\uD83D'], ['a low surrogate alone', '\uDE00-app'], ['a string cut in the middle of an emoji', '👍'.slice(0, 1)]])('%s: an error naming `name` at creation, never a URIError', (_, name) => {
		// Before: URIError "URI malformed" (encodeURIComponent in createClient), naming nothing.
		const error = (() => {
			try {
				createClient({ name });
			} catch (error_) {
				return error_;
			}

			return undefined;
		})();
		expect(error).toBeInstanceOf(RangeError); // as every option out of range
		expect(String((error as Error).message)).toMatch(/`name`/);
	});

	it('a whole emoji in `name` is a name as any other', () => {
		const api = createClient({ name: 'app-👍' });
		api.close();
	});
});
