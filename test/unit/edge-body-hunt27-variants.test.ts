/**
 * Request bodies per runtime (defect hunt, twenty-seventh round): API.md "Errors" (`InvalidRequestError`: "bad input
 * found before any I/O … a rejected promise"; `classify()`: an error of the app's own code is `UNKNOWN`, `ABORTED` the
 * caller's own signal) and "Builds per runtime". This file runs src/ with src/core/server-failure-edge.ts in place of
 * server-failure.ts (the `workerd`/`deno`/`edge-light` build's swap, tsup.config.ts) against Node's `fetch`, which
 * rejects a request whose body fails as it reads it with `TypeError: fetch failed`, the body's error as its cause, as
 * Deno 2's does. The same bodies in real workerd: test/workerd/edge-body-hunt27.test.ts.
 *
 * - A body stream that errors with an `AbortError`, a `TimeoutError` or a `TypeError('fetch failed')`: the read's error
 *   was the call's error as it was, so `classify()` called it `ABORTED`, `TIMEOUT` or `NETWORK` (this one retried and
 *   counted) where the caller aborted nothing and the network did not fail: the app's body failed (`UNKNOWN`).
 * - An async-iterable body (Deno, workerd and Node's fetch take one): not watched, its failure a network failure.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('../../src/core/server-failure.js', () => import('../../src/core/server-failure-edge.js'));

const { classify, createClient, memoryStore } = await import('../../src/entries/index.js');
const { serve } = await import('../helpers/node-server.js');

type Server = Awaited<ReturnType<typeof serve>>;
let server: Server;
/** The bodies the server got, in order, with their Content-Type. */
const got: string[] = [];
/** Paths the server answers 503 once before it echoes. */
const failOnce = new Set<string>();
beforeAll(async () => {
	server = await serve(async (request) => {
		const { pathname } = new URL(request.url);
		got.push(`${request.headers.get('content-type')} ${await request.text()}`);
		return failOnce.delete(pathname) ? new Response('down', { status: 503 }) : new Response(got.at(-1));
	});
});
afterAll(async () => server.close());

let made = 0;

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A stream that gives one chunk, then errors with `reason`. */
const breaking = (reason: unknown): ReadableStream<Uint8Array> => {
	let sent = false;
	return new ReadableStream({
		pull(controller) {
			sent ? controller.error(reason) : controller.enqueue(bytes('partial;'));
			sent = true;
		},
	});
};

const client = () => createClient({ store: memoryStore, name: `h27-edge-${++made}`, retry: { limit: 2, delay: () => 0 } });
const counted = (api: ReturnType<typeof client>, origin: string) =>
	[Object.values(api.stats())[0]?.retries ?? 0, api.breaker(origin).consecutiveFailures, api.reachability(origin)];
const caught = (promise: Promise<Response>): Promise<unknown> => promise.then((response) => response.status, (error: unknown) => error);

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
