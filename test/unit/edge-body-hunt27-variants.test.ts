/**
 * Request bodies per runtime (defect hunt, twenty-seventh round): API.md "Errors" (`InvalidRequestError`: "bad input
 * found before any I/O … a rejected promise"; `classify()`: an error of the app's own code is `UNKNOWN`, `ABORTED` the
 * caller's own signal) and "Builds per runtime". This file runs src/ with src/core/server-failure-edge.ts in place of
 * server-failure.ts (the `workerd`/`deno`/`edge-light` build's swap, tsup.config.ts) against Node's `fetch`, which
 * rejects a request whose body fails as it reads it with `TypeError: fetch failed`, the body's error as its cause, as
 * Deno 2's does. The same bodies in real workerd: test/workerd/edge-body-hunt27.test.ts.
 *
 * - A `Request` input's body is not watched (sent as it is, its length kept: a proxied request); what it still does here.
 * - A body stream that errors with an `AbortError`, a `TimeoutError` or a `TypeError('fetch failed')`: the read's error
 *   was the call's error as it was, so `classify()` called it `ABORTED`, `TIMEOUT` or `NETWORK` (this one retried and
 *   counted) where the caller aborted nothing and the network did not fail: the app's body failed (`UNKNOWN`).
 * - An async-iterable body (Deno, workerd and Node's fetch take one): not watched, its failure a network failure.
 * - A body over a SharedArrayBuffer or a resizable ArrayBuffer: Node's fetch refuses it, workerd sent its bytes, and
 *   the outbox sent a copy (200) where the same call without the outbox was refused.
 */
import { describe, expect, it, vi } from 'vitest';
import { breaking, bytes, caught, counted, echoServer, outcomeOf, stream } from './edge-body-kit.js';

vi.mock('../../src/core/server-failure.js', () => import('../../src/core/server-failure-edge.js'));

const { classify, createClient, memoryStore, outbox, OutboxQueuedError } = await import('../../src/entries/index.js');
const { createClient: createCore } = await import('../../src/entries/core.js');

/** The bodies the server got, in order, with their Content-Type. */
const server = echoServer((request) => request.headers.get('content-type'));
const { got, failOnce } = server;

let made = 0;

const client = () => createClient({ store: memoryStore, name: `h27-edge-${++made}`, retry: { limit: 2, delay: () => 0 } });
/** What a call ends with: its status and what the server got, or its error's code and message. */
const outcome = outcomeOf(classify);

describe('a Request input with a body (sent as it is: its length kept)', () => {
	it('one whose body is whole goes out whole, with its Content-Type, again after a 503', async () => {
		const api = client();
		failOnce.add('/again');
		const before = got.length;
		const request = new Request(`${server.url}/again`, { method: 'PUT', body: 'whole', headers: { 'content-type': 'text/x-mine' } });
		expect(await outcome(api.put(request))).toBe('200 \'text/x-mine whole\'');
		expect(got.slice(before)).toEqual(['text/x-mine whole', 'text/x-mine whole']);
		api.close();
	});

	it('one the outbox queues offline is stored and replayed byte-identical', async () => {
		const state = { offline: true };
		const fetch = ((request: Request, init?: RequestInit) => (state.offline ? Promise.reject(new TypeError('fetch failed')) : globalThis.fetch(request, init))) as typeof globalThis.fetch;
		const api = createClient({ fetch, store: memoryStore, name: `h27-edge-${++made}`, retry: 0, breaker: false, outbox: outbox() });
		const request = new Request(`${server.url}/queued`, { method: 'POST', body: 'kept', headers: { 'content-type': 'text/plain' } });
		expect(await caught(api.post(request))).toBeInstanceOf(OutboxQueuedError);
		state.offline = false;
		const before = got.length;
		expect(await api.outbox.flush()).toMatchObject({ sent: 1 });
		expect(got.slice(before)).toEqual(['text/plain kept']);
		api.close();
	});

	it('a locked or used one is still refused before any I/O', async () => {
		const api = client();
		const locked = new Request(`${server.url}/l`, { method: 'POST', body: stream(), duplex: 'half' } as RequestInit);
		locked.body!.getReader();
		const used = new Request(`${server.url}/l`, { method: 'POST', body: 'used' });
		await used.text();
		const before = got.length;
		for (const request of [locked, used]) {
			expect(await outcome(api.post(request))).toMatch(/^INVALID_REQUEST: /);
		}

		expect(got.length).toBe(before);
		api.close();
	});
});

describe('a body stream that errors with what reads as another\'s failure: the app\'s body failed (UNKNOWN)', () => {
	const reasons: Array<[string, () => unknown]> = [
		['an AbortError (ABORTED)', () => new DOMException('stopped', 'AbortError')],
		['a TimeoutError (TIMEOUT)', () => new DOMException('slow', 'TimeoutError')],
		['TypeError(\'fetch failed\') (NETWORK)', () => new TypeError('fetch failed')],
	];

	it.each(reasons)('%s: the call rejects with a TypeError saying the body failed, its cause the error; not retried nor counted', async (_kind, make) => {
		const api = client();
		const reason = make();
		const errors = [await caught(api.put(`${server.url}/a`, { body: breaking(reason) }))];
		for (const error of errors) {
			// Before: the error itself (ABORTED, TIMEOUT, or ky's NetworkError: NETWORK, retried).
			expect([(error as Error).message, (error as Error).cause, classify(error).code]).toEqual(['The request body stream failed', reason, 'UNKNOWN']);
		}

		expect(counted(api, server.url)).toEqual([0, 0, 'unknown']);
		api.close();
	});

	it('the caller\'s own abort while the body is sent is still ABORTED', async () => {
		const api = client();
		const controller = new AbortController();
		const body = new ReadableStream({
			pull: (stream) => {
				stream.enqueue(bytes('partial;'));
				controller.abort();
				return new Promise<void>((_resolve, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason)));
			},
		});
		const error = await caught(api.put(`${server.url}/c`, { body, signal: controller.signal }));
		expect(classify(error).code).toBe('ABORTED');
		api.close();
	});
});

describe('Node\'s build: what undici rejects with when a body stream errors so', () => {
	const reasons: Array<[string, () => unknown]> = [
		['an AbortError (undici rejects as aborted: ABORTED)', () => new DOMException('stopped', 'AbortError')],
		['a TimeoutError (TIMEOUT)', () => new DOMException('slow', 'TimeoutError')],
		['TypeError(\'fetch failed\') (NETWORK)', () => new TypeError('fetch failed')],
	];

	it.each(reasons)('%s: the attempt\'s failure is a TypeError saying the body failed (UNKNOWN)', async (_kind, make) => {
		const { asAttemptFailure } = await vi.importActual<typeof import('../../src/core/server-failure.js')>('../../src/core/server-failure.js');
		const request = new Request(`${server.url}/n`, { method: 'PUT', body: breaking(make()), duplex: 'half' } as RequestInit);
		const rejection = await globalThis.fetch(request).then(() => undefined, (error: unknown) => error);
		const failure = asAttemptFailure(rejection, request);
		// Before: ABORTED (undici's own AbortError), TIMEOUT, NETWORK (the stream's errors as they were).
		expect([(failure as Error).message, classify(failure).code]).toEqual(['The request body stream failed', 'UNKNOWN']);
	});

	it('an attempt the request\'s signal aborted is still the abort', async () => {
		const { asAttemptFailure } = await vi.importActual<typeof import('../../src/core/server-failure.js')>('../../src/core/server-failure.js');
		const controller = new AbortController();
		const body = new ReadableStream({
			pull: (stream) => {
				stream.enqueue(bytes('partial;'));
				controller.abort();
			},
		});
		const request = new Request(`${server.url}/n`, { method: 'PUT', body, duplex: 'half', signal: controller.signal } as RequestInit);
		const rejection = await globalThis.fetch(request).then(() => undefined, (error: unknown) => error);
		expect(classify(asAttemptFailure(rejection, request)).code).toBe('ABORTED');
	});
});

describe('an async-iterable body', () => {
	const iterable = (fail?: Error) => (async function* () {
		yield bytes('one;');
		if (fail) {
			throw fail;
		}

		yield bytes('two');
	})();

	it('one that fails as it is read: the call rejects with its error (UNKNOWN), not retried nor counted', async () => {
		const api = client();
		const broken = new Error('the app\'s iterable broke');
		const error = await caught(api.put(`${server.url}/i`, { body: iterable(broken) as never }));
		// Before: ky's NetworkError (NETWORK), retried: [2, 3, 'unreachable'].
		expect([error, classify(error).code]).toEqual([broken, 'UNKNOWN']);
		expect(counted(api, server.url)).toEqual([0, 0, 'unknown']);
		api.close();
	});

	it('a whole one goes out whole (with the outbox too: never stored, as a stream)', async () => {
		for (const api of [client(), createClient({ store: memoryStore, name: `h27-edge-${++made}`, outbox: outbox() })]) {
			expect(await outcome(api.put(`${server.url}/i`, { body: iterable() as never }))).toBe('200 \'null one;two\'');
			api.close();
		}
	});
});

describe('a body over a SharedArrayBuffer or a resizable ArrayBuffer: refused before any I/O, with or without the outbox', () => {
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
	const bodies: Array<[string, () => unknown]> = [
		['a Uint8Array over a SharedArrayBuffer', () => new Uint8Array(shared())],
		['a SharedArrayBuffer itself (sent as the text \'[object SharedArrayBuffer]\')', shared],
		['a DataView over a SharedArrayBuffer', () => new DataView(shared())],
		['a resizable ArrayBuffer', resizable],
		['a Uint8Array over a resizable ArrayBuffer', () => new Uint8Array(resizable())],
	];

	it.each(bodies)('%s: InvalidRequestError, on the core, the preset and with an outbox', async (_kind, make) => {
		const state = { fetched: 0 };
		const fetch = ((request: Request, init?: RequestInit) => {
			state.fetched++;
			return globalThis.fetch(request, init);
		}) as typeof globalThis.fetch;
		const name = `h27-edge-${++made}`;
		const apis = [createCore({ fetch, store: memoryStore, name: `${name}-core` }), createClient({ fetch, store: memoryStore, name }), createClient({ fetch, store: memoryStore, name: `${name}-outbox`, outbox: outbox() })];
		const results: string[] = [];
		for (const api of apis) {
			results.push((await outcome(api.put(`${server.url}/s`, { body: make() as never }))).split(':')[0]!);
			api.close();
		}

		// Before, all three sent (fetched 3): a SharedArrayBuffer's view as text ("200 'text/plain;charset=UTF-8 97,98,99,100'",
		// a DataView's '[object DataView]') but its bytes with the outbox ("200 'null abcd'"), a resizable one's bytes ("200 'null ab'").
		expect([results, state.fetched]).toEqual([['INVALID_REQUEST', 'INVALID_REQUEST', 'INVALID_REQUEST'], 0]);
	});

	it('a plain ArrayBuffer and a view of part of one are sent as they are', async () => {
		const api = createClient({ store: memoryStore, name: `h27-edge-${++made}`, outbox: outbox() });
		expect(await outcome(api.put(`${server.url}/p`, { body: bytes('xabcx').subarray(1, 4) as Uint8Array<ArrayBuffer> }))).toMatch(/ abc'$/);
		expect(await outcome(api.put(`${server.url}/p`, { body: bytes('abc').buffer as ArrayBuffer }))).toMatch(/ abc'$/);
		api.close();
	});
});
