/**
 * Request bodies per runtime (defect hunt, twenty-eighth round): API.md "Errors" (`InvalidRequestError`: "bad input
 * found before any I/O … a rejected promise"; `classify()`: an error of the app's own code is `UNKNOWN`) and "Builds
 * per runtime". This file runs src/ with src/core/server-failure-edge.ts in place of server-failure.ts (the
 * `workerd`/`deno`/`edge-light` build's swap, tsup.config.ts) against Node's `fetch`, which rejects a request whose body
 * fails as it reads it with `TypeError: fetch failed`, the body's error as its cause, as Deno 2's does. The same bodies
 * in real workerd: test/workerd/edge-body-hunt28.test.ts.
 *
 * - A `Request` input whose body is a stream of the app's (`new ReadableStream()`) that errors mid-way: not watched, so
 *   the attempt was a network failure (`NETWORK`: retried, counted by the breaker and reachability; in workerd
 *   "200 ''", a delivered write). Now such a body (a JS stream of the default type, which never has a length) is
 *   watched as a call's own `body` is; a Request whose body the runtime holds (a string's, a Blob's, an incoming
 *   request's: bytes it can read itself) is sent as it is, its Content-Length kept.
 * - A sync iterable body (a generator of bytes; Deno's and workerd's `fetch` iterate one): not watched, so one that
 *   throws mid-way was a network failure in Deno (in workerd "200 'one;'", cut short).
 * - A body a ky `init` hook gives (the client's or the call's): not checked for a SharedArrayBuffer or a resizable
 *   ArrayBuffer (sent: as the text '[object SharedArrayBuffer]' here, its bytes in workerd), where the same body given
 *   as the call's `body` is `InvalidRequestError` before any I/O; nor watched (a stream that errors: `NETWORK` here,
 *   "200 ''" in workerd).
 * - A body stream (or iterable) that gives a chunk no runtime sends (a number, an object): Node's and Deno's `fetch`
 *   reject it as a network failure (`NETWORK`: retried, counted), workerd cuts the body ("200 ''"). Now a TypeError
 *   saying so (`UNKNOWN`), as when the app's stream errors.
 */
import { describe, expect, it, vi } from 'vitest';
import { breaking, bytes, caught, counted, echoServer, outcomeOf, stream } from './edge-body-kit.js';

vi.mock('../../src/core/server-failure.js', () => import('../../src/core/server-failure-edge.js'));

const { classify, createClient, memoryStore, outbox } = await import('../../src/entries/index.js');
const { createClient: createCore } = await import('../../src/entries/core.js');

/** The bodies the server got, in order, with their Content-Length. */
const server = echoServer((request) => request.headers.get('content-length'));
const { got, failOnce } = server;

let made = 0;

const client = () => createClient({ store: memoryStore, name: `h28-edge-${++made}`, retry: { limit: 2, delay: () => 0 } });
/** What a call ends with: its status and what the server got, or its error's code and message. */
const outcome = outcomeOf(classify);
const put = (url: string, body: unknown): Request => new Request(url, { method: 'PUT', body: body as BodyInit, duplex: 'half' } as RequestInit);

describe('a Request input whose body is a stream of the app\'s that fails as the runtime reads it', () => {
	it('an Error: the call rejects with it (UNKNOWN), as with a call\'s own body; not retried, counted by neither the breaker nor reachability', async () => {
		const api = client();
		const broken = new Error('the app\'s stream broke');
		for (let call = 0; call < 3; call++) {
			const error = await caught(api.put(put(`${server.url}/r`, breaking(broken))));
			// Before: ky's NetworkError (NETWORK), retried, then CIRCUIT_OPEN.
			expect([error, classify(error).code]).toEqual([broken, 'UNKNOWN']);
		}

		// Before: [3, 5, 'unreachable'].
		expect(counted(api, server.url)).toEqual([0, 0, 'unknown']);
		api.close();
	});

	it.each<[string, () => unknown]>([
		['an AbortError (ABORTED)', () => new DOMException('stopped', 'AbortError')],
		['TypeError(\'fetch failed\') (NETWORK)', () => new TypeError('fetch failed')],
	])('%s: a TypeError saying the body failed, its cause the error', async (_kind, make) => {
		const api = client();
		const reason = make();
		const error = await caught(api.put(put(`${server.url}/r`, breaking(reason))));
		// Before: NETWORK (ky's NetworkError, retried).
		expect([(error as Error).message, (error as Error).cause, classify(error).code]).toEqual(['The request body stream failed', reason, 'UNKNOWN']);
		expect(counted(api, server.url)).toEqual([0, 0, 'unknown']);
		api.close();
	});
});

describe('a Request input whose body is whole', () => {
	it('a stream of the app\'s goes out whole, again after a 503, with its Content-Type', async () => {
		const api = client();
		failOnce.add('/whole');
		const before = got.length;
		const request = new Request(`${server.url}/whole`, { method: 'PUT', body: stream('streamed'), headers: { 'content-type': 'text/x-mine' }, duplex: 'half' } as RequestInit);
		expect(await outcome(api.put(request))).toBe('200 \'null streamed\'');
		expect(got.slice(before)).toEqual(['null streamed', 'null streamed']);
		api.close();
	});

	it.each<[string, () => BodyInit]>([
		['a string', () => 'whole'],
		['bytes', () => bytes('whole') as BodyInit],
		['a Blob', () => new Blob(['whole'])],
	])('%s: sent as it is, its Content-Length kept (a Request the runtime can read itself)', async (_kind, make) => {
		const api = client();
		expect(await outcome(api.put(put(`${server.url}/kept`, make())))).toBe('200 \'5 whole\'');
		api.close();
	});

	it('its own signal, aborted while the body is sent (its body watched through a Request of the same signal), ends the call with its reason', async () => {
		const api = client();
		const controller = new AbortController();
		const reason = new Error('the caller left');
		const body = new ReadableStream({
			pull: (stream) => {
				stream.enqueue(bytes('partial;'));
				controller.abort(reason);
				return new Promise<void>(() => {});
			},
		});
		const request = new Request(`${server.url}/aborted`, { method: 'PUT', body, signal: controller.signal, duplex: 'half' } as RequestInit);
		const error = await caught(api.put(request));
		// The reason itself (a plain Error: classify() says UNKNOWN, API.md); never retried nor counted as the origin's.
		expect(error).toBe(reason);
		expect(counted(api, server.url)).toEqual([0, 0, 'unknown']);
		api.close();
	});

	it('one the outbox stores (offline) is stored whole and replayed as it was', async () => {
		const state = { offline: true };
		const fetch = ((request: Request, init?: RequestInit) => (state.offline ? Promise.reject(new TypeError('fetch failed')) : globalThis.fetch(request, init))) as typeof globalThis.fetch;
		const api = createClient({ fetch, store: memoryStore, name: `h28-edge-${++made}`, retry: 0, breaker: false, outbox: outbox() });
		expect(classify(await caught(api.put(put(`${server.url}/queued`, stream('kept')))))).toMatchObject({ code: 'QUEUED' });
		state.offline = false;
		const before = got.length;
		expect(await api.outbox.flush()).toMatchObject({ sent: 1 });
		expect(got.slice(before)).toEqual(['4 kept']);
		api.close();
	});
});

describe('a sync iterable body (Deno\'s and workerd\'s fetch iterate one)', () => {
	const generator = (fail?: Error) => (function* () {
		yield bytes('one;');
		if (fail) {
			throw fail;
		}

		yield bytes('two');
	})();

	it('a generator that throws mid-way: the call rejects with its error (UNKNOWN), not retried nor counted', async () => {
		const api = client();
		const broken = new Error('the app\'s generator broke');
		const error = await caught(api.put(`${server.url}/g`, { body: generator(broken) as never }));
		// Before, here: "200 'null [object Generator]'" (Node's fetch takes it for text); Deno: NETWORK, retried; workerd: "200 'one;'".
		expect([error, classify(error).code]).toEqual([broken, 'UNKNOWN']);
		expect(counted(api, server.url)).toEqual([0, 0, 'unknown']);
		api.close();
	});

	it.each<[string, () => unknown]>([
		['a generator', () => generator()],
		['a Set of bytes', () => new Set([bytes('one;'), bytes('two')])],
	])('%s that is whole goes out whole', async (_kind, make) => {
		const api = client();
		expect(await outcome(api.put(`${server.url}/g`, { body: make() as never }))).toBe('200 \'null one;two\'');
		api.close();
	});

	it.each<[string, () => unknown]>([
		['a typed array', () => bytes('whole')],
		['a URLSearchParams', () => new URLSearchParams({ a: 'b' })],
		['a string', () => 'whole'],
	])('%s (iterable too) is sent as it is, with its length', async (_kind, make) => {
		const api = client();
		const body = make();
		expect(await outcome(api.put(`${server.url}/k`, { body: body as never }))).toBe(`200 '${String(body instanceof Uint8Array ? 'whole' : body).length} ${body instanceof Uint8Array ? 'whole' : String(body)}'`);
		api.close();
	});
});

describe('a body a ky init hook gives', () => {
	const shared = (): SharedArrayBuffer => {
		const buffer = new SharedArrayBuffer(4);
		new Uint8Array(buffer).set(bytes('abcd'));
		return buffer;
	};
	const resizable = (): ArrayBuffer => {
		const buffer = new (ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer)(2, { maxByteLength: 8 });
		new Uint8Array(buffer).set(bytes('ab'));
		return buffer;
	};
	type Hooked = { hooks: { init: Array<(options: { body?: unknown }) => void> } };
	const giving = (make: () => unknown): Hooked => ({ hooks: { init: [(options) => {
		options.body = make();
	}] } });

	it.each<[string, () => unknown]>([
		['a SharedArrayBuffer itself', shared],
		['a Uint8Array over a SharedArrayBuffer', () => new Uint8Array(shared())],
		['a resizable ArrayBuffer', resizable],
	])('%s: InvalidRequestError before any I/O, from the call\'s hook or the client\'s, with or without the outbox', async (_kind, make) => {
		const state = { fetched: 0 };
		const fetch = ((request: Request, init?: RequestInit) => {
			state.fetched++;
			return globalThis.fetch(request, init);
		}) as typeof globalThis.fetch;
		const name = `h28-edge-${++made}`;
		const results: string[] = [];
		for (const api of [createCore({ fetch, store: memoryStore, name: `${name}-core` }), createClient({ fetch, store: memoryStore, name }), createClient({ fetch, store: memoryStore, name: `${name}-outbox`, outbox: outbox() })]) {
			results.push((await outcome(api.put(`${server.url}/h`, { body: 'given', ...giving(make) } as never))).split(':')[0]!);
			api.close();
		}

		const own = createClient({ fetch, store: memoryStore, name: `${name}-own`, ...giving(make) } as never);
		results.push((await outcome(own.put(`${server.url}/h`))).split(':')[0]!);
		own.close();
		// Before: sent (a SharedArrayBuffer as the text '[object SharedArrayBuffer]', a resizable one's bytes: 200; workerd sends each one's bytes).
		expect([results, state.fetched]).toEqual([['INVALID_REQUEST', 'INVALID_REQUEST', 'INVALID_REQUEST', 'INVALID_REQUEST'], 0]);
	});

	it('bytes, a string or the call\'s own body are sent as they are', async () => {
		const api = client();
		expect(await outcome(api.put(`${server.url}/h`, giving(() => bytes('hooked')) as never))).toBe('200 \'6 hooked\'');
		expect(await outcome(api.put(`${server.url}/h`, { body: 'own', hooks: { init: [() => {}] } }))).toBe('200 \'3 own\'');
		const { hooks } = giving(() => stream('streamed'));
		expect(await outcome(api.put(`${server.url}/h`, { hooks } as never))).toBe('200 \'null streamed\'');
		api.close();
	});

	it('a stream that errors: the call rejects with its error (UNKNOWN), not retried nor counted', async () => {
		const api = client();
		const broken = new Error('the hook\'s stream broke');
		const error = await caught(api.put(`${server.url}/h`, giving(() => breaking(broken)) as never));
		// Before: ky's NetworkError (NETWORK), retried: [2, 3, 'unreachable'].
		expect([error, classify(error).code]).toEqual([broken, 'UNKNOWN']);
		expect(counted(api, server.url)).toEqual([0, 0, 'unknown']);
		api.close();
	});
});

describe('a body stream that gives a chunk that is not bytes', () => {
	it.each<[string, () => unknown]>([
		['a stream of a number', () => new ReadableStream({
			start(controller) {
				controller.enqueue(bytes('one;'));
				controller.enqueue(1);
				controller.close();
			},
		})],
		['an array of numbers', () => [1, 2]],
		['a generator of objects', () => (function* () {
			yield { not: 'bytes' };
		})()],
	])('%s: a TypeError saying so (UNKNOWN), not retried nor counted', async (_kind, make) => {
		const api = client();
		const error = await caught(api.put(`${server.url}/n`, { body: make() as never }));
		// Before: NETWORK (ky's NetworkError, retried: [2, 3, 'unreachable']); for the array, "200 'null 1,2'" here, "200 ''" in workerd.
		expect([(error as Error).message, classify(error).code]).toEqual(['The request body stream gave a chunk that is not bytes', 'UNKNOWN']);
		expect(counted(api, server.url)).toEqual([0, 0, 'unknown']);
		api.close();
	});
});
