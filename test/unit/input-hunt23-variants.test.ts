/**
 * Bad input everywhere (defect hunt, twenty-third round): API.md "Errors" (`InvalidRequestError`: "bad input found
 * before any I/O … Every client method returns a rejected promise for it, never a synchronous throw") and "Option
 * values", swept over every member of a client with odd values. A fake `fetch` counts what went out and a store counts
 * what was written: no timing.
 *
 * - A `Request` input whose own signal has aborted is the caller's abort, as ky reads it (`options.signal ??
 *   input.signal`): a write behind a pending one of its scope rejects with the signal's reason and stores nothing.
 *   Before, steadfetch read the caller's signal from the options only: the outbox queued that write (`QUEUED`, a
 *   second entry), to be replayed later though its caller had aborted it. Aborted while its attempt is out, it is the
 *   caller's abort too: before, ky's aborted attempt read as a timeout of its own, one breaker failure per call and the
 *   origin `unreachable` after two.
 * - So is the client's own `signal` (ky's option, at `createClient` or `extend()`), which ky merges into each call's:
 *   before, steadfetch did not see it as the caller's either — a write of a client whose signal had aborted was queued
 *   behind a pending one (2 entries), and each call it ended counted as a breaker failure (2 after two calls).
 * - A body of the app's that fails as Node's `fetch` reads it (a `ReadableStream` that errors, a Blob whose file is
 *   gone) is the app's failure, not the network's: the caller gets the read's error (`UNKNOWN`, as the
 *   outbox gives a Blob's failed read), not retried, counted by neither the breaker nor reachability. Before, undici's
 *   `TypeError: fetch failed` around it was ky's `NetworkError`: retried twice, three breaker failures and the origin
 *   `unreachable` from one call, and the breaker open after two, though the origin never failed.
 */
import { openAsBlob, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify, createClient, memoryStore, outbox, type KeyValueStore } from '../../src/entries/index.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

const prefix = 'https://api.test/';

/** A `fetch` that counts each request and fails as a dropped connection while `state.down`. */
const transport = () => {
	const state = { down: false, sent: 0 };
	const fetch = (async () => {
		state.sent++;
		if (state.down) {
			throw new TypeError('fetch failed');
		}

		return Response.json({ ok: true });
	}) as typeof globalThis.fetch;
	return { state, fetch };
};

/** A memory store (per namespace) that notes each write (`set`, `delete`, `clear`). */
const counted = (writes: string[]) => (namespace: string): KeyValueStore => {
	const inner = memoryStore(namespace);
	return {
		...inner,
		set: async (key, value, ...rest) => {
			writes.push(`set ${key}`);
			return inner.set(key, value, ...rest);
		},
		delete: async (key) => {
			writes.push(`delete ${key}`);
			return inner.delete(key);
		},
		clear: async () => {
			writes.push('clear');
			return inner.clear();
		},
	};
};

const outcome = async (promise: Promise<unknown>): Promise<string> => promise.then((response) => `OK ${(response as Response).status}`, (error: unknown) => classify(error).code);

let made = 0;

describe('a Request input whose own signal has aborted', () => {
	it('a write behind a pending one of its scope rejects with the signal\'s reason and is not stored', async () => {
		const { state, fetch } = transport();
		const writes: string[] = [];
		const api = createClient({ prefix, fetch, store: counted(writes), name: `h23-${++made}`, retry: 0, breaker: false, outbox: outbox() });
		state.down = true;
		expect(await outcome(api.post('todos', { json: { a: 1 } }))).toBe('QUEUED');
		state.down = false;
		const [sent, written] = [state.sent, writes.length];
		const reason = new Error('gone');
		const controller = new AbortController();
		controller.abort(reason);
		const error = await api(new Request(`${prefix}todos`, { method: 'POST', body: '{"a":2}', signal: controller.signal })).catch((caught: unknown) => caught);
		// Before: an OutboxQueuedError (QUEUED), 2 entries.
		expect(error).toBe(reason);
		expect([await api.outbox.size(), state.sent - sent, writes.slice(written).filter((write) => write.startsWith('set p|'))]).toEqual([1, 0, []]);
		// As the same abort given in the options.
		expect(await api.post('todos', { body: '{"a":2}', signal: controller.signal }).catch((caught: unknown) => caught)).toBe(reason);
		api.close();
	});

	it('aborted while its attempt is out: the caller\'s abort, counted by neither the breaker nor reachability', async () => {
		let sent = 0;
		let controller = new AbortController();
		// Answers nothing until the request's signal aborts, as a slow origin; the caller aborts once it went out.
		const fetch = (async (request: Request) => {
			sent++;
			controller.abort();
			return new Promise<Response>((_resolve, reject) => {
				const { signal } = request;
				signal.addEventListener('abort', () => reject(signal.reason));
				if (signal.aborted) {
					reject(signal.reason);
				}
			});
		}) as typeof globalThis.fetch;
		const api = createClient({ prefix, fetch, store: memoryStore, name: `h23-${++made}`, retry: { limit: 2, delay: () => 0 } });
		for (const _ of [1, 2]) {
			controller = new AbortController();
			expect(classify(await api(new Request(`${prefix}slow`, { signal: controller.signal })).catch((caught: unknown) => caught)).code).toBe('ABORTED');
		}

		// Before: [2, 2, 'unreachable'] — each abort counted as the origin's failure (a timeout of ky's).
		expect([sent, api.breaker(prefix).consecutiveFailures, api.reachability(prefix)]).toEqual([2, 0, 'unknown']);
		api.close();
	});
});

describe('the client\'s own signal (ky\'s option), aborted', () => {
	it('a write behind a pending one rejects with its reason and is not stored, as with the call\'s own signal', async () => {
		const { state, fetch } = transport();
		const api = createClient({ prefix, fetch, store: memoryStore, name: `h23-${++made}`, retry: 0, breaker: false, outbox: outbox() });
		state.down = true;
		expect(await outcome(api.post('todos', { json: { a: 1 } }))).toBe('QUEUED');
		state.down = false;
		const reason = new Error('torn down');
		const controller = new AbortController();
		controller.abort(reason);
		const sent = state.sent;
		// Before: QUEUED, 2 entries.
		expect(await api.extend({ signal: controller.signal }).post('todos', { json: { a: 2 } }).catch((caught: unknown) => caught)).toBe(reason);
		expect([await api.outbox.size(), state.sent - sent]).toEqual([1, 0]);
		api.close();
	});

	it('calls it ends, while out or before, with or without a signal of the call\'s own, are counted by neither the breaker nor reachability', async () => {
		let sent = 0;
		let controller = new AbortController();
		const fetch = (async (request: Request) => {
			sent++;
			controller.abort();
			return new Promise<Response>((_resolve, reject) => {
				const { signal } = request;
				signal.addEventListener('abort', () => reject(signal.reason));
				if (signal.aborted) {
					reject(signal.reason);
				}
			});
		}) as typeof globalThis.fetch;
		const counts: unknown[] = [];
		for (const own of [undefined, new AbortController().signal]) {
			controller = new AbortController();
			const api = createClient({ prefix, fetch, store: memoryStore, name: `h23-${++made}`, signal: controller.signal, retry: { limit: 2, delay: () => 0 } });
			for (const _ of [1, 2]) {
				expect(await outcome(api.get('slow', own && { signal: own }))).toBe('ABORTED');
			}

			counts.push([api.breaker(prefix).consecutiveFailures, api.reachability(prefix)]);
			api.close();
		}

		// Before: [[2, 'unknown'], [2, 'unknown']] — each call the client's signal ended counted as the origin's failure
		// (with the call's own signal too: ky ends the attempt on either, read as a timeout of ky's).
		expect([sent, counts]).toEqual([2, [[0, 'unknown'], [0, 'unknown']]]);
	});
});

describe('a body of the app\'s that fails as Node\'s fetch reads it', () => {
	let server: RunningServer;
	const got: string[] = [];
	beforeAll(async () => {
		server = await serve(async (request) => {
			got.push(`${request.method} ${await request.text()}`);
			return Response.json({ ok: true });
		});
	});
	afterAll(async () => server.close());

	const broken = new Error('the app\'s stream broke');
	/** A Blob over a file deleted since (Node's `openAsBlob`): its read fails with a `NotReadableError`. */
	const gone = async (): Promise<Blob> => {
		const path = join(tmpdir(), `steadfetch-h23-${++made}.txt`);
		writeFileSync(path, 'hello');
		const blob = await openAsBlob(path);
		unlinkSync(path);
		return blob;
	};

	const bodies: Array<[string, () => Promise<ReadableStream | Blob>]> = [
		['a ReadableStream that errors', async () => new ReadableStream({ pull: (controller) => controller.error(broken) })],
		['a Blob whose file is gone', gone],
	];
	it.each(bodies)('%s: the caller gets the read\'s error, not retried, counted by neither the breaker nor reachability', async (_name, body) => {
		const api = createClient({ prefix: `${server.url}/`, store: memoryStore, name: `h23-${++made}`, retry: { limit: 2, delay: () => 0 } });
		for (const call of [async () => api.put('a', { body: await body() }), async () => api(new Request(`${server.url}/a`, { method: 'PUT', body: await body(), duplex: 'half' } as RequestInit))]) {
			const error = await call().catch((caught: unknown) => caught);
			// Before: NETWORK (ky's NetworkError around undici's `TypeError: fetch failed`).
			expect(classify(error).code).toBe('UNKNOWN');
		}

		expect((await api.put('a', { body: 'fine' })).status).toBe(200);
		const [stats] = Object.values(api.stats());
		// Before: 4 retries, the breaker open (5 failures), the origin 'unreachable'.
		expect([got, stats!.retries, api.breaker(server.url).consecutiveFailures, api.reachability(server.url)]).toEqual([['PUT fine'], 0, 0, 'reachable']);
		got.length = 0;
		api.close();
	});

	// A port fetch blocks or a scheme it does not know is the caller's URL (INVALID_REQUEST since the thirty-eighth hunt), a
	// port nothing listens on the network's: neither is the body's.
	it('a failure that is not the body\'s, of a call with a stream body (a port nothing listens on; a port fetch blocks, a scheme it does not know), is not the body\'s', async () => {
		const api = createClient({ store: memoryStore, name: `h23-${++made}`, retry: 0 });
		for (const [url, code] of [['http://127.0.0.1:2/', 'NETWORK'], ['http://127.0.0.1:1/', 'INVALID_REQUEST'], ['invalid:', 'NETWORK']]) {
			const stream = new ReadableStream({ pull(controller) {
				controller.enqueue(new TextEncoder().encode('hello'));
				controller.close();
			} });
			// Before this fix's first form: UNKNOWN (undici's error for these has no `code` either).
			expect(await outcome(api.put(url, { body: stream }))).toBe(code);
		}

		api.close();
	});

	it('a network failure after the body went out whose cause is no Error (msw\'s HttpResponse.error()) stays ky\'s NetworkError', async () => {
		// msw's interceptor rejects as undici does, `TypeError: fetch failed`, its cause the `Response.error()` given: the body
		// read and let go, no `code`. Before the cause had to be an Error: the Response itself was the call's error (not queued).
		const mocked = setupServer(http.post('https://a.test/x', async ({ request }) => {
			await request.arrayBuffer();
			return HttpResponse.error();
		}));
		mocked.listen();
		try {
			const api = createClient({ store: memoryStore, name: `h23-${++made}`, retry: 0 });
			expect(await outcome(api.post('https://a.test/x', { json: { a: 1 } }))).toBe('NETWORK');
			api.close();
		} finally {
			mocked.close();
		}
	});

	it('the error is the read\'s own', async () => {
		const api = createClient({ prefix: `${server.url}/`, store: memoryStore, name: `h23-${++made}`, retry: 0 });
		expect(await api.put('a', { body: await bodies[0]![1]() }).catch((caught: unknown) => caught)).toBe(broken);
		api.close();
	});
});
