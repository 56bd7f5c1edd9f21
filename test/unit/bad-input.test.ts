/**
 * The bad-input table: each row is an input or a fault, the documented outcome, and a check that
 * nothing already stored was lost. README links here. Rows are data; `it.each` runs them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKyError } from 'ky';
import {
	InvalidRequestError, OutboxFullError, classify, createClient, isHTTPError, isSteadfetchError, memoryStore, outbox,
	type Client, type ClientOptions, type KeyValueStore, type OutboxPolicy, type StoreFactory,
} from '../../src/entries/index.js';
import { createClient as createCore } from '../../src/entries/core.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

let server: RunningServer;
let hits = 0;
beforeAll(async () => {
	server = await serve(async (request) => {
		hits++;
		const url = new URL(request.url);
		if (url.pathname === '/html-error') {
			return new Response('<html><body>Bad gateway</body></html>', { status: 502, headers: { 'content-type': 'text/html' } });
		}

		if (url.pathname === '/big-headers') {
			return new Response('{"ok":true}', { headers: { 'content-type': 'application/json', 'x-big': 'x'.repeat(12_000) } });
		}

		if (url.pathname === '/huge-headers') {
			return new Response('{"ok":true}', { headers: { 'content-type': 'application/json', 'x-big': 'x'.repeat(32_000) } });
		}

		if (url.pathname === '/down') {
			return new Response('down', { status: 503 });
		}

		if (request.method !== 'GET') {
			return new Response(JSON.stringify({ applied: true, body: await request.text() }), { status: 201, headers: { 'content-type': 'application/json' } });
		}

		return new Response(JSON.stringify({ ok: true, path: url.pathname }), { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=0' } });
	});
});
afterAll(async () => server.close());

/** A memory store shared across clients (a "reload"), whose calls can be made to fail. */
const faultyStore = () => {
	const stores = new Map<string, KeyValueStore>();
	const fault = { get: undefined as Error | undefined, set: undefined as Error | undefined };
	const factory: StoreFactory = (namespace) => {
		let store = stores.get(namespace);
		if (!store) {
			store = memoryStore(namespace);
			stores.set(namespace, store);
		}

		const inner = store;
		return {
			get: async (key) => (fault.get ? Promise.reject(fault.get) : inner.get(key)),
			set: async (key, value) => (fault.set ? Promise.reject(fault.set) : inner.set(key, value)),
			delete: async (key) => inner.delete(key),
			keys: async () => (fault.get ? Promise.reject(fault.get) : inner.keys()),
			clear: async () => inner.clear(),
		};
	};

	/** Overwrite every stored record of a part (`cache`, `outbox`, `breaker`) with `value`. */
	const corrupt = async (part: string, value: (old: unknown) => unknown) => {
		for (const [namespace, store] of stores) {
			if (namespace.endsWith(`/${part}`)) {
				for (const key of await store.keys()) {
					await store.set(key, value(await store.get(key)));
				}
			}
		}
	};

	return { factory, fault, corrupt, stores };
};

const quota = () => Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' });

interface Row {
	input: string;
	/** The documented outcome. */
	outcome: string;
	run(): Promise<void>;
}

const rejectsWith = async (promise: Promise<unknown>, type: new (...args: never[]) => Error, ...parts: RegExp[]) => {
	const hitsBefore = hits;
	const error = await promise.then(() => undefined, (error_: unknown) => error_);
	expect(error).toBeInstanceOf(type);
	for (const part of parts) {
		expect((error as Error).message).toMatch(part);
	}

	expect(hits, 'no I/O').toBe(hitsBefore);
};

/** `make()` throws a RangeError whose message matches every part. */
const throwsRangeFrom = (make: () => unknown, ...parts: RegExp[]) => {
	let error: unknown;
	try {
		make();
	} catch (error_) {
		error = error_;
	}

	expect(error).toBeInstanceOf(RangeError);
	for (const part of parts) {
		expect((error as Error).message).toMatch(part);
	}
};

const throwsRange = (options: ClientOptions, ...parts: RegExp[]) => throwsRangeFrom(() => createClient({ store: memoryStore, ...options }), ...parts);

const base = () => server.url + '/';
const plain = (options: ClientOptions = {}) => createClient({ baseUrl: base(), store: memoryStore, retry: 0, ...options }) as Client<{ outbox: OutboxPolicy }>;

const rows: Row[] = [
	// Invalid requests: InvalidRequestError before any I/O.
	{ input: 'invalid URL', outcome: 'InvalidRequestError', run: async () => rejectsWith(plain().get('http://%%'), InvalidRequestError) },
	{ input: 'relative URL without baseUrl', outcome: 'InvalidRequestError', run: async () => rejectsWith(createClient({ store: memoryStore }).get('items/1'), InvalidRequestError) },
	{ input: 'a path and no baseUrl or prefix where there is no page (Node, Deno, Workers): GET and POST; preset, outbox, core', outcome: 'one InvalidRequestError on every path, naming the URL and saying what to do; nothing queued, no I/O', async run() {
		const clients = [createClient({ store: memoryStore }), createClient({ store: memoryStore, outbox: outbox() }), createCore({ store: memoryStore })];
		for (const api of clients) {
			for (const method of [api.get, api.post]) {
				await rejectsWith(method('items/1'), InvalidRequestError, /^Invalid request: .*items\/1.*; give the client an absolute `baseUrl` or `prefix`$/);
			}

			api.close();
		}

		expect(await (clients[1] as Client<{ outbox: OutboxPolicy }>).outbox.size()).toBe(0);
		// ky's own refusal of an option that names a URL (ky 1's `prefixUrl`) is not a URL that failed to parse: no hint.
		await rejectsWith(createCore({ store: memoryStore }).get('items/1', { prefixUrl: base() } as never), InvalidRequestError, /^(?!.*give the client).*renamed `prefix`/);
	} },
	{ input: 'a path and no baseUrl or prefix given to a member that takes a URL (reachability, breaker(url), isolate, reset, waitForHealthy, cache.delete)', outcome: 'the InvalidRequestError names the URL and says what to do, as a call\'s does', async run() {
		const api = createClient({ store: memoryStore });
		const members: Array<() => unknown> = [() => api.reachability('items/1'), () => api.breaker('items/1'), () => api.breaker.isolate('items/1'), () => api.breaker.reset('items/1'), () => api.waitForHealthy('items/1', { timeoutMs: 10 }), () => api.cache.delete('items/1')];
		for (const member of members) {
			await rejectsWith((async () => member())(), InvalidRequestError, /items\/1.*; give the client an absolute `baseUrl` or `prefix`$/);
		}

		api.close();
	} },
	{ input: 'input that is not a string, URL or Request', outcome: 'InvalidRequestError', run: async () => rejectsWith(plain().get(42 as unknown as string), InvalidRequestError) },
	{ input: 'a Request input whose body was read already, or is being read (its stream locked), on a POST and a PUT; outbox, preset, core', outcome: 'one InvalidRequestError on every path (as without the outbox), nothing queued, no I/O; a body given in the options is sent', async run() {
		const read = async (method: string) => {
			const request = new Request(base() + 'x', { method, body: 'hi' });
			await request.text();
			return request;
		};
		const locked = (method: string) => {
			const request = new Request(base() + 'x', { method, body: 'hi' });
			request.body!.getReader();
			return request;
		};
		const clients = [plain({ outbox: outbox() }), plain(), createCore({ store: memoryStore, retry: 0 })];
		for (const api of clients) {
			for (const method of ['POST', 'PUT']) {
				for (const request of [await read(method), locked(method)]) {
					await rejectsWith(api(request), InvalidRequestError, /already been used|used already/);
				}

				// fetch takes a used Request with a body of the call's own: so does every client.
				expect((await api(await read(method), { body: 'again' })).status).toBe(201);
			}

			api.close();
		}

		expect(await (clients[0] as Client<{ outbox: OutboxPolicy }>).outbox.size()).toBe(0);
	} },
	{ input: 'an input that is not a string, URL or Request (null, undefined, a number, an object, true), with and without options, on every method; preset, outbox, core', outcome: 'InvalidRequestError (ky\'s message), a promise (no sync throw), no I/O', async run() {
		const clients = [plain(), plain({ outbox: outbox() }), createCore({ prefix: base(), retry: 0 })];
		for (const api of clients) {
			const methods = [api, api.get, api.head, api.post, api.put, api.patch, api.delete];
			for (const input of [null, undefined, 42, {}, true]) {
				for (const [index, method] of methods.entries()) {
					for (const options of [undefined, {}]) {
						let promise: Promise<unknown> | undefined;
						expect(() => {
							promise = method(input as never, options);
						}, `method ${index}, input ${String(input)}`).not.toThrow();
						await rejectsWith(promise!, InvalidRequestError, /`input` must be a string, URL, or Request/);
					}
				}
			}

			api.close();
		}
	} },
	{ input: 'per-call timeout -1', outcome: 'InvalidRequestError naming timeout and -1', run: async () => rejectsWith(plain().get('x', { timeout: -1 }), InvalidRequestError, /timeout/, /-1/) },
	{ input: 'per-call timeout NaN', outcome: 'InvalidRequestError naming timeout', run: async () => rejectsWith(plain().get('x', { timeout: Number.NaN }), InvalidRequestError, /timeout/, /NaN/) },
	{ input: 'per-call totalTimeout Infinity', outcome: 'InvalidRequestError naming totalTimeout', run: async () => rejectsWith(plain().get('x', { totalTimeout: Number.POSITIVE_INFINITY }), InvalidRequestError, /totalTimeout/) },
	{ input: 'per-call retry.limit 1.5', outcome: 'InvalidRequestError naming retry.limit', run: async () => rejectsWith(plain().get('x', { retry: { limit: 1.5 } }), InvalidRequestError, /retry\.limit/, /1\.5/) },
	{ input: 'empty idempotencyKey', outcome: 'InvalidRequestError naming idempotencyKey', run: async () => rejectsWith(plain().post('x', { idempotencyKey: '' }), InvalidRequestError, /idempotencyKey/) },
	{ input: 'idempotencyKey with a line break', outcome: 'InvalidRequestError naming idempotencyKey', run: async () => rejectsWith(plain().post('x', { idempotencyKey: 'a\r\nb' }), InvalidRequestError, /idempotencyKey/) },
	{ input: 'non-ASCII idempotencyKey on an outbox-eligible POST', outcome: 'InvalidRequestError naming idempotencyKey', run: async () => rejectsWith(plain({ outbox: outbox() }).post('x', { idempotencyKey: 'ключ' }), InvalidRequestError, /idempotencyKey/) },
	{ input: 'json body with a BigInt, outbox-eligible', outcome: 'InvalidRequestError (not a NETWORK TypeError), nothing queued', async run() {
		const api = plain({ outbox: outbox() });
		const error = await api.post('x', { json: { n: 1n } }).catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(InvalidRequestError);
		expect(classify(error).code).toBe('INVALID_REQUEST');
		expect(await api.outbox.size()).toBe(0);
	} },
	{ input: 'json body with a cycle, no wrapper', outcome: 'InvalidRequestError', async run() {
		const cycle: Record<string, unknown> = {};
		cycle['self'] = cycle;
		await rejectsWith(plain({ staleCache: false, breaker: false }).post('x', { json: cycle }), InvalidRequestError);
	} },
	{ input: 'header name with CR/LF', outcome: 'InvalidRequestError, a promise (no sync throw)', async run() {
		const api = plain({ staleCache: false, breaker: false });
		let promise: Promise<unknown> | undefined;
		expect(() => {
			promise = api.get('x', { headers: { 'x-a\r\nb': '1' } });
		}).not.toThrow();
		await rejectsWith(promise!, InvalidRequestError);
	} },
	{ input: 'header value with CR/LF', outcome: 'InvalidRequestError', run: async () => rejectsWith(plain().get('x', { headers: { 'x-a': 'a\r\nb' } }), InvalidRequestError) },
	{ input: 'header values and names fetch refuses (CR/LF, a Symbol, a space) on a POST with the outbox, a GET with the stale cache, the core', outcome: 'InvalidRequestError on every path, nothing queued, no I/O', async run() {
		const bad: Array<Record<string, unknown>> = [{ 'x-a': 'a\r\nInjected: 1' }, { 'x-a': Symbol('s') }, { 'bad name': '1' }];
		const before = hits;
		const queueing = plain({ outbox: outbox(), breaker: false });
		for (const headers of bad) {
			await rejectsWith(queueing.post('mutate', { json: { a: 1 }, headers: headers as never }), InvalidRequestError);
			await rejectsWith(plain().get('x', { headers: headers as never }), InvalidRequestError);
			await rejectsWith(createCore({ prefix: base(), retry: 0 }).get('x', { headers: headers as never }), InvalidRequestError);
			// A keyed POST (POST listed in retry.methods: the core reads the caller's own key first).
			const keyed = createCore({ prefix: base(), retry: { limit: 1, methods: ['post'] } });
			let promise: Promise<unknown> | undefined;
			expect(() => {
				promise = keyed.post('mutate', { json: {}, headers: headers as never });
			}).not.toThrow();
			await rejectsWith(promise!, InvalidRequestError);
		}

		expect(await queueing.outbox.size()).toBe(0);
		expect(hits).toBe(before);
	} },
	{ input: 'options that are not an object (a string)', outcome: 'InvalidRequestError', run: async () => rejectsWith(plain().get('x', 'timeout' as never), InvalidRequestError) },
	{ input: 'identity() that throws', outcome: 'InvalidRequestError, no I/O', run: async () => rejectsWith(plain({ identity: () => {
		throw new Error('no session');
	} }).get('x'), InvalidRequestError, /identity/) },
	{ input: 'clear({ identity: \'\' })', outcome: 'InvalidRequestError', run: async () => rejectsWith(plain().clear({ identity: '' }), InvalidRequestError, /identity/) },
	{ input: 'a json body JSON.stringify cannot serialize (a function, a Symbol, a toJSON returning undefined), outbox off: PUT, POST, PATCH on the preset and the core', outcome: 'InvalidRequestError naming json, no I/O (never an empty application/json body)', async run() {
		const bodies: unknown[] = [() => 1, Symbol('s'), { toJSON: () => undefined }];
		const clients = [plain({ staleCache: false }), plain({ breaker: false, staleCache: false }), createCore({ prefix: base(), retry: 0 })];
		for (const json of bodies) {
			for (const api of clients) {
				for (const method of ['put', 'post', 'patch'] as const) {
					let promise: Promise<unknown> | undefined;
					expect(() => {
						promise = api[method]('x', { json });
					}).not.toThrow();
					await rejectsWith(promise!, InvalidRequestError, /json/);
				}
			}

			// A call's own stringifyJson that answers nothing for it: the same.
			await rejectsWith(plain().put('x', { json, stringifyJson: () => undefined as never }), InvalidRequestError, /json/);
		}
	} },
	{ input: 'retry.methods that is not an array of method names (per call: \'post\', 1, [1])', outcome: 'InvalidRequestError naming retry.methods, a promise (no sync throw), no I/O', async run() {
		for (const methods of ['post', 1, [1]]) {
			for (const api of [plain(), createCore({ prefix: base(), retry: 0 })]) {
				let promise: Promise<unknown> | undefined;
				expect(() => {
					promise = api.post('x', { retry: { methods: methods as never } });
				}).not.toThrow();
				await rejectsWith(promise!, InvalidRequestError, /retry\.methods/);
			}
		}
	} },
	{ input: 'a method that is not a string (api(url, { method: 123 }))', outcome: 'InvalidRequestError naming method, a promise (no sync throw), no I/O', async run() {
		for (const api of [plain(), plain({ outbox: outbox() }), createCore({ prefix: base(), retry: 0 })]) {
			let promise: Promise<unknown> | undefined;
			expect(() => {
				promise = api('x', { method: 123 as never });
			}).not.toThrow();
			await rejectsWith(promise!, InvalidRequestError, /method/);
		}
	} },
	{ input: 'a body fetch cannot take (a Symbol, an array holding one) on an outbox-eligible POST', outcome: 'InvalidRequestError (not a raw TypeError, never queued), no I/O', async run() {
		const api = plain({ outbox: outbox() });
		for (const body of [Symbol('s'), [Symbol('t')]]) {
			await rejectsWith(api.post('x', { body: body as never }), InvalidRequestError);
		}

		expect(await api.outbox.size()).toBe(0);
		api.close();
	} },
	{ input: 'a URL no call could go to (\'http://[::1\', or a relative one without prefix/baseUrl) given to breaker.isolate, breaker.reset, waitForHealthy, cache.delete, breaker(url); with and without the policies', outcome: 'InvalidRequestError (rejected; thrown by the synchronous breaker(url)), no I/O', async run() {
		// With a baseUrl only a malformed URL is refused; without prefix or baseUrl (Node has no page to resolve against), a relative one too.
		const based = [plain(), plain({ breaker: false, staleCache: false })];
		const bare = [createClient({ store: memoryStore }), createClient({ store: memoryStore, breaker: false, staleCache: false })];
		for (const [api, urls] of [...based.map((api) => [api, ['http://[::1']] as const), ...bare.map((api) => [api, ['http://[::1', 'users/1']] as const)]) {
			for (const url of urls) {
				await rejectsWith(api.breaker.isolate(url), InvalidRequestError);
				await rejectsWith(api.breaker.reset(url), InvalidRequestError);
				await rejectsWith(api.waitForHealthy(url, { timeoutMs: 0 }), InvalidRequestError);
				await rejectsWith(api.cache.delete(url), InvalidRequestError);
				expect(() => api.breaker(url)).toThrow(InvalidRequestError);
			}

			api.close();
		}
	} },
	{ input: 'waitForHealthy options that are no object or a timeoutMs out of range (5, \'x\', -1, NaN, Infinity, 3e9, \'10\'), with the breaker on and off (the preset\'s stand-in), on a healthy URL', outcome: 'InvalidRequestError naming the option, as with the breaker on: never resolved as if healthy', async run() {
		for (const api of [plain(), plain({ breaker: false })]) {
			for (const options of [5, 'x', { timeoutMs: -1 }, { timeoutMs: Number.NaN }, { timeoutMs: Number.POSITIVE_INFINITY }, { timeoutMs: 3e9 }, { timeoutMs: '10' }]) {
				await rejectsWith(api.waitForHealthy('x', options as never), InvalidRequestError, /`waitForHealthy` takes|`timeoutMs` must be/);
			}

			await api.waitForHealthy('x', { timeoutMs: 100 });
			await api.waitForHealthy('x', undefined);
			api.close();
		}
	} },
	{ input: 'a per-call cache mode fetch would refuse (\'bogus\', \'NO-STORE\', an object, false)', outcome: 'InvalidRequestError naming staleCache, no I/O', async run() {
		for (const cache of ['bogus', 'NO-STORE', { maxStaleMs: 1 }, false]) {
			await rejectsWith(plain().get('x', { cache: cache as never }), InvalidRequestError, /staleCache/);
		}
	} },
	{ input: 'every per-call option of ky and ours given a value of the wrong type (numbers, strings, symbols, null, functions, objects, arrays), on a call, a POST, a retried GET; preset, outbox, core', outcome: 'never a synchronous throw, never a raw TypeError: resolved, or one of ky\'s errors or ours', async run() {
		const keys = ['method', 'headers', 'json', 'body', 'searchParams', 'prefix', 'baseUrl', 'retry', 'timeout', 'totalTimeout', 'hooks', 'throwHttpErrors', 'onDownloadProgress', 'onUploadProgress', 'parseJson', 'stringifyJson', 'fetch', 'context', 'signal', 'credentials', 'cache', 'integrity', 'keepalive', 'mode', 'priority', 'redirect', 'referrer', 'referrerPolicy', 'window', 'duplex', 'staleCache', 'outbox', 'breaker', 'failover', 'dedupe', 'hedge', 'auth', 'fallback', 'idempotencyKey', 'waitUntil'];
		const retryKeys = ['limit', 'methods', 'statusCodes', 'afterStatusCodes', 'maxRetryAfter', 'backoffLimit', 'delay', 'jitter', 'retryOnTimeout', 'shouldRetry'];
		const hookKeys = ['init', 'beforeRequest', 'beforeRetry', 'afterResponse', 'beforeError'];
		const values: unknown[] = [0, 1, -1, 'x', Symbol('s'), null, () => 1, {}, true, [], [1], [Symbol('t')]];
		const cases: Array<Record<string, unknown>> = [];
		for (const value of values) {
			// A function is the right type of `fetch`: what it answers is the caller's business (as in ky).
			cases.push(...keys.filter((key) => key !== 'fetch' || typeof value !== 'function').map((key) => ({ [key]: value })));
			cases.push(...retryKeys.map((key) => ({ retry: { limit: 1, delay: () => 0, [key]: value } })));
			cases.push(...hookKeys.map((key) => ({ hooks: { [key]: value } })));
		}

		// An origin in memory (these are thousands of calls): 503 for `down`, else 200 with JSON.
		const fetch = (async (request: Request) => new Response('{"ok":true}', { status: request.url.endsWith('/down') ? 503 : 200, headers: { 'content-type': 'application/json' } })) as typeof globalThis.fetch;
		const clients = [plain({ fetch }), plain({ fetch, outbox: outbox() }), createCore({ prefix: base(), retry: 0, fetch })];
		const escaped: string[] = [];
		for (const [index, api] of clients.entries()) {
			for (const options of cases) {
				// A call (its method from the options), a POST with a json body, a GET retried on a 503.
				const shapes = [() => api('x', options).json(), () => api.post('x', { json: { a: 1 }, ...options }), () => api.get('down', options)];
				for (const [shape, call] of shapes.entries()) {
					try {
						const error = await call().then(() => undefined, (error_: unknown) => error_);
						if (error !== undefined && !isSteadfetchError(error) && !isKyError(error)) {
							escaped.push(`client ${index}, shape ${shape}, ${String(Object.keys(options))}: ${String(error)}`);
						}
					} catch (error) {
						escaped.push(`client ${index}, shape ${shape}, ${String(Object.keys(options))}: thrown ${String(error)}`);
					}
				}
			}
		}

		for (const api of clients) {
			api.close();
		}

		expect(escaped).toEqual([]);
	} },
	{ input: 'an already-aborted signal', outcome: 'rejects with its reason, no I/O', async run() {
		const reason = new Error('left');
		const before = hits;
		await expect(plain().get('x', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
		expect(hits).toBe(before);
	} },

	// Options out of range at createClient: RangeError naming the option and the value.
	{ input: 'timeout -1', outcome: 'RangeError', run: async () => throwsRange({ timeout: -1 }, /timeout/, /-1/) },
	{ input: 'retry.limit -1', outcome: 'RangeError', run: async () => throwsRange({ retry: { limit: -1 } }, /retry\.limit/, /-1/) },
	{ input: 'retryBudget.ratio 1.5', outcome: 'RangeError', run: async () => throwsRange({ retryBudget: { ratio: 1.5 } }, /retryBudget\.ratio/, /1\.5/) },
	{ input: 'retryBudget.windowMs 0', outcome: 'RangeError', run: async () => throwsRange({ retryBudget: { windowMs: 0 } }, /retryBudget\.windowMs/, /0/) },
	{ input: 'breaker.consecutiveFailures 0', outcome: 'RangeError', run: async () => throwsRange({ breaker: { consecutiveFailures: 0 } }, /consecutiveFailures/, /0/) },
	{ input: 'breaker.failureRatio 0', outcome: 'RangeError', run: async () => throwsRange({ breaker: { failureRatio: 0 } }, /failureRatio/, /0/) },
	{ input: 'breaker.failureRatio 1.5', outcome: 'RangeError', run: async () => throwsRange({ breaker: { failureRatio: 1.5 } }, /failureRatio/, /1\.5/) },
	{ input: 'breaker.openMs -5', outcome: 'RangeError', run: async () => throwsRange({ breaker: { openMs: -5 } }, /openMs/, /-5/) },
	{ input: 'breaker.maxOpenMs below openMs', outcome: 'RangeError', run: async () => throwsRange({ breaker: { openMs: 10_000, maxOpenMs: 5_000 } }, /maxOpenMs/, /5000/) },
	{ input: 'breaker.halfOpenProbes 1.5', outcome: 'RangeError', run: async () => throwsRange({ breaker: { halfOpenProbes: 1.5 } }, /halfOpenProbes/, /1\.5/) },
	{ input: 'cache.maxEntries 0', outcome: 'RangeError', run: async () => throwsRange({ staleCache: { maxEntries: 0 } }, /maxEntries/, /0/) },
	{ input: 'cache.maxStaleMs NaN', outcome: 'RangeError', run: async () => throwsRange({ staleCache: { maxStaleMs: Number.NaN } }, /maxStaleMs/, /NaN/) },
	{ input: 'outbox.maxEntries 0', outcome: 'RangeError', run: async () => throwsRangeFrom(() => outbox({ maxEntries: 0 }), /maxEntries/, /0/) },
	{ input: 'outbox.retentionMs -1', outcome: 'RangeError', run: async () => throwsRangeFrom(() => outbox({ retentionMs: -1 }), /retentionMs/, /-1/) },
	{ input: 'storageTimeoutMs 0', outcome: 'RangeError', run: async () => throwsRange({ storageTimeoutMs: 0 }, /storageTimeoutMs/, /0/) },
	{ input: 'sensitiveParams not an array', outcome: 'RangeError', run: async () => throwsRange({ sensitiveParams: 'token' as never }, /sensitiveParams/) },
	{ input: 'bulkhead.maxConcurrent 0', outcome: 'RangeError', run: async () => throwsRange({ bulkhead: { maxConcurrent: 0 } as never }, /`bulkhead` must be a policy/) },
	{ input: 'rateLimit.perSecond -1', outcome: 'RangeError', run: async () => throwsRange({ rateLimit: { perSecond: -1 } as never }, /`rateLimit` must be a policy/) },
	{ input: 'hedge.maxHedges 4', outcome: 'RangeError', run: async () => throwsRange({ hedge: { maxHedges: 4 } as never }, /`hedge` must be a policy/) },
	{ input: 'cache (fetch\'s RequestCache) given what fetch would refuse: \'bogus\', \'NO-STORE\', an object, false', outcome: 'TypeError naming staleCache', async run() {
		for (const cache of ['bogus', 'NO-STORE', { maxStaleMs: 1 }, false]) {
			expect(() => createClient({ store: memoryStore, cache: cache as never })).toThrow(TypeError);
			expect(() => createClient({ store: memoryStore, cache: cache as never })).toThrow(/staleCache/);
			expect(() => createCore({ cache: cache as never })).toThrow(/staleCache/);
		}

		expect(createClient({ store: memoryStore, cache: 'no-store' })).toBeTypeOf('function');
	} },
	{ input: 'ky options of the wrong type at createClient (retry.methods \'post\', fetch 1, a hook that is not a function, retry.delay 5)', outcome: 'RangeError naming the option', async run() {
		throwsRange({ retry: { methods: 'post' as never } }, /retry\.methods/);
		throwsRange({ fetch: 1 as never }, /`fetch`/);
		throwsRange({ hooks: { beforeRequest: [1 as never] } }, /hooks/);
		throwsRange({ retry: { delay: 5 as never } }, /retry\.delay/);
	} },
	{ input: 'a slot given something that is not a policy', outcome: 'RangeError naming the slot', run: async () => throwsRange({ breaker: 'on' as never }, /breaker/) },
	{ input: 'outbox.sensitiveHeaders with a non-header name', outcome: 'RangeError', run: async () => throwsRangeFrom(() => outbox({ sensitiveHeaders: ['bad header'] }), /outbox\.sensitiveHeaders/, /bad header/) },

	// Outbox refusals: before any I/O, nothing stored, what was stored is kept.
	{ input: 'ReadableStream body on an outbox-eligible POST', outcome: 'sent as with outbox: false (API.md "Outbox"; before: InvalidRequestError); its failure the caller\'s; nothing queued', async run() {
		const api = plain({ outbox: outbox() });
		const stream = () => new ReadableStream({ start(controller) {
			controller.enqueue(new TextEncoder().encode('x'));
			controller.close();
		} });
		expect(await api.post('items', { body: stream() }).json()).toEqual({ applied: true, body: 'x' });
		expect(isHTTPError(await api.post('down', { body: stream() }).catch((error: unknown) => error))).toBe(true);
		expect(await api.outbox.size()).toBe(0);
	} },
	{ input: 'body over outbox.maxBodyBytes, of a write that must be stored (behind a queued one)', outcome: 'OutboxFullError, nothing queued', async run() {
		const api = plain({ outbox: outbox({ maxBodyBytes: 1_024 }) });
		await api.post('down', { json: { n: 1 } }).catch(() => undefined);
		await rejectsWith(api.post('items', { body: 'x'.repeat(2_048) }), OutboxFullError);
		expect(await api.outbox.size()).toBe(1);
	} },
	{ input: 'a full outbox', outcome: 'OutboxFullError; the entries already queued are kept', async run() {
		const api = plain({ outbox: outbox({ maxEntries: 2 }) });
		await api.post('down', { json: { n: 1 } }).catch(() => undefined);
		await api.post('down', { json: { n: 2 } }).catch(() => undefined);
		expect(await api.outbox.size()).toBe(2);
		await rejectsWith(api.post('down', { json: { n: 3 } }), OutboxFullError);
		expect(await api.outbox.size()).toBe(2);
	} },

	// Storage faults: the request succeeds or fails on its own merits; storage:error is emitted.
	{ input: 'store rejects every call (IndexedDB blocked or missing)', outcome: 'GET succeeds; storage:error', async run() {
		const store = faultyStore();
		store.fault.get = new TypeError('IndexedDB is not available');
		store.fault.set = new TypeError('IndexedDB is not available');
		const api = plain({ store: store.factory });
		const errors: unknown[] = [];
		api.on('storage:error', (event) => errors.push(event));
		await expect(api.get('items/1').json()).resolves.toMatchObject({ ok: true });
		await expect.poll(() => errors.length).toBeGreaterThan(0);
	} },
	{ input: 'quota exceeded on write', outcome: 'GET succeeds; storage:error; earlier copies kept', async run() {
		const store = faultyStore();
		const api = plain({ store: store.factory });
		await api.get('items/1');
		await expect.poll(async () => (await Promise.all([...store.stores.values()].map(async (s) => (await s.keys()).length))).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
		store.fault.set = quota();
		const errors: unknown[] = [];
		api.on('storage:error', (event) => errors.push(event));
		await expect(api.get('items/2').json()).resolves.toMatchObject({ ok: true });
		await expect.poll(() => errors.length).toBeGreaterThan(0);
		// The copy stored before the fault still answers when the origin fails.
		store.fault.set = undefined;
		const down = plain({ store: store.factory, fetch: async () => {
			throw new TypeError('fetch failed');
		} });
		await expect(down.get('items/1').json()).resolves.toMatchObject({ path: '/items/1' });
	} },
	{ input: 'quota exceeded while queuing a mutation', outcome: 'queued in memory for the session (never dropped silently); storage:error', async run() {
		const store = faultyStore();
		store.fault.set = quota();
		const api = plain({ store: store.factory, outbox: outbox() });
		const errors: unknown[] = [];
		api.on('storage:error', (event) => errors.push(event));
		const outcome = await api.post('down', { json: { n: 1 } }).then(() => 'resolved', (error: unknown) => classify(error).code);
		expect(['QUEUED', 'OUTBOX_FULL']).toContain(outcome);
		if (outcome === 'QUEUED') {
			expect(await api.outbox.size()).toBe(1);
		}

		expect(errors.length).toBeGreaterThan(0);
	} },
	{ input: 'a store of the app\'s own whose keys() lists keys that are not strings (a number, null, an object), or a store factory that answers null', outcome: 'a mutation the origin refuses is queued, a GET answers, clear() wipes what is ours (with no store: rejects, as with any store that fails); no unhandled rejection', async run() {
		const unhandled: unknown[] = [];
		const onUnhandled = (reason: unknown) => void unhandled.push(reason);
		process.on('unhandledRejection', onUnhandled);
		try {
			const stray: StoreFactory = (namespace) => {
				const inner = memoryStore(namespace);
				return { ...inner, keys: async () => [...await inner.keys(), 5, null, { key: 'x' }] as string[] };
			};

			for (const [index, store] of [stray, (() => null) as unknown as StoreFactory].entries()) {
				const api = plain({ store, outbox: outbox() });
				const outcome = await api.post('down', { json: { n: 1 } }).then(() => 'resolved', (error: unknown) => classify(error).code);
				expect(outcome).toBe('QUEUED');
				expect(await api.outbox.size()).toBe(1);
				await expect(api.get('items/1').json()).resolves.toMatchObject({ ok: true });
				if (index === 0) {
					await api.clear();
					expect(await api.outbox.size()).toBe(0);
				} else {
					// No store to wipe: clear() says so, as with any store that fails.
					await expect(api.clear()).rejects.toThrow();
				}

				api.close();
			}

			await new Promise((resolve) => setTimeout(resolve, 0));
			expect(unhandled).toEqual([]);
		} finally {
			process.off('unhandledRejection', onUnhandled);
		}
	} },
	{ input: 'corrupt cache records', outcome: 'ignored (no stale answer from garbage); storage:error; GET succeeds', async run() {
		const store = faultyStore();
		const api = plain({ store: store.factory });
		await api.get('items/1');
		await expect.poll(async () => (await store.stores.get('steadfetch/cache')?.keys())?.length ?? 0).toBeGreaterThan(0);
		await store.corrupt('cache', () => 'not a record');
		const reloaded = plain({ store: store.factory, fetch: async () => {
			throw new TypeError('fetch failed');
		} });
		const errors: unknown[] = [];
		reloaded.on('storage:error', (event) => errors.push(event));
		const error = await reloaded.get('items/1').catch((error_: unknown) => error_);
		expect(classify(error).code).toBe('NETWORK');
		expect(errors.length).toBeGreaterThan(0);
		await expect(plain({ store: store.factory }).get('items/1').json()).resolves.toMatchObject({ ok: true });
	} },
	{ input: 'cache records of an unknown version', outcome: 'ignored; storage:error', async run() {
		const store = faultyStore();
		const api = plain({ store: store.factory });
		await api.get('items/1');
		await expect.poll(async () => (await store.stores.get('steadfetch/cache')?.keys())?.length ?? 0).toBeGreaterThan(0);
		await store.corrupt('cache', (old) => (typeof old === 'object' && old !== null ? { ...old, v: 999 } : old));
		const reloaded = plain({ store: store.factory, fetch: async () => {
			throw new TypeError('fetch failed');
		} });
		const errors: unknown[] = [];
		reloaded.on('storage:error', (event) => errors.push(event));
		expect(classify(await reloaded.get('items/1').catch((error_: unknown) => error_)).code).toBe('NETWORK');
		expect(errors.length).toBeGreaterThan(0);
	} },
	{ input: 'corrupt outbox records', outcome: 'dead letter "rejected", reported; the drain goes on', async run() {
		const store = faultyStore();
		const api = plain({ store: store.factory, outbox: outbox() });
		await api.post('down', { json: { n: 1 } }).catch(() => undefined);
		expect(await api.outbox.size()).toBe(1);
		api.close();
		await store.corrupt('outbox', (old) => (typeof old === 'object' && old !== null && 'method' in (old as object) ? { v: 1, garbage: true } : old));
		const reloaded = plain({ store: store.factory, outbox: outbox() });
		const errors: unknown[] = [];
		reloaded.on('storage:error', (event) => errors.push(event));
		await reloaded.outbox.flush();
		const dead = await reloaded.outbox.deadLetters();
		expect(dead.some((entry) => entry.deadReason === 'rejected')).toBe(true);
		expect(errors.length).toBeGreaterThan(0);
		reloaded.close();
	} },
	{ input: 'corrupt persisted breaker state', outcome: 'ignored (closed); storage:error', async run() {
		const store = faultyStore();
		const failing = plain({ store: store.factory, breaker: { consecutiveFailures: 1 } });
		await failing.get('down').catch(() => undefined);
		expect(failing.breaker(server.url).state).toBe('open');
		await new Promise((resolve) => setTimeout(resolve, 20));
		failing.close();
		await store.corrupt('breaker', () => ({ v: 1, state: 'sideways', openedAt: 'yesterday' }));
		const reloaded = plain({ store: store.factory });
		const errors: unknown[] = [];
		reloaded.on('storage:error', (event) => errors.push(event));
		await expect(reloaded.get('items/1').json()).resolves.toMatchObject({ ok: true });
		expect(reloaded.breaker(server.url).state).toBe('closed');
		reloaded.close();
	} },

	// Odd responses and time.
	{ input: 'a non-JSON error body (HTML 502)', outcome: 'ky HTTPError with the response; classified HTTP_5XX', async run() {
		const error = await plain().get('html-error').json().catch((error_: unknown) => error_);
		expect(isHTTPError(error)).toBe(true);
		expect(classify(error)).toMatchObject({ code: 'HTTP_5XX', status: 502 });
	} },
	{ input: 'big response headers (12 KB)', outcome: 'answered normally', run: async () => expect(plain().get('big-headers').json()).resolves.toEqual({ ok: true }) },
	{ input: 'huge response headers (32 KB, over the runtime limit: 16 KB in Node)', outcome: 'typed NETWORK error from the runtime, no crash', async run() {
		const error = await plain().get('huge-headers').catch((error_: unknown) => error_);
		expect(classify(error)).toMatchObject({ code: 'NETWORK', transient: true });
	} },
	{ input: 'a huge request header value (8 KB)', outcome: 'sent normally', run: async () => expect(plain().get('items/1', { headers: { 'x-big': 'y'.repeat(8_192) } }).json()).resolves.toMatchObject({ ok: true }) },
	{ input: 'the clock going backwards', outcome: 'no throw; calls go on; budget and breaker stay sane', async run() {
		const clock = new ManualClock(1_000_000);
		const api = plain({ clock, retry: { limit: 1, delay: () => 0 } });
		await api.get('items/1');
		clock.set(10);
		await expect(api.get('items/2').json()).resolves.toMatchObject({ ok: true });
		await api.get('down').catch(() => undefined);
		clock.set(5);
		await expect(api.get('items/3').json()).resolves.toMatchObject({ ok: true });
		expect(api.breaker(server.url).state).toBe('closed');
	} },
];

describe('bad input and faults: each gets its documented typed error or degradation', () => {
	it('the table has at least 30 rows', () => {
		expect(rows.length).toBeGreaterThanOrEqual(30);
	});

	// The fuzz row makes thousands of calls: on a busy machine it may take longer than the default 5 s.
	it.each(rows.map((row) => [row.input, row.outcome, row] as const))('%s → %s', async (_input, _outcome, row) => {
		await row.run();
	}, 60_000);
});
