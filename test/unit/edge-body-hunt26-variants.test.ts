/**
 * Request bodies in the edge build (defect hunt, twenty-sixth round): API.md "Errors" (`InvalidRequestError`: "bad
 * input found before any I/O … a rejected promise"; `classify()`: an error of the app's own code is `UNKNOWN`) and
 * "Builds per runtime". This file runs src/ with src/core/server-failure-edge.ts in place of server-failure.ts (the
 * `workerd`/`deno`/`edge-light` build's swap, tsup.config.ts) against Node's `fetch`, which rejects a request whose body
 * stream fails as it reads it with `TypeError: fetch failed`, the stream's error as its cause, as Deno 2's does. The same
 * bodies in real workerd: test/workerd/edge-body-hunt26.test.ts.
 *
 * - A `ReadableStream` body that is locked (the app holds a reader) or disturbed (read from, its reader let go; a used
 *   Request's body): the edge build read it through a stream of its own, which hid both from the Request constructor.
 *   A locked one failed at its first read, after the connection was made, as a network failure (`NETWORK`; in workerd
 *   an empty body answered 200); a disturbed one went out empty and answered 200. Now both are refused before any I/O
 *   with `InvalidRequestError`, as Node's build refuses them.
 * - A stream body that fails as the runtime reads it (the app's stream errors, or is locked by the app after the call
 *   began): the edge build noted the read's error, but used it only when the runtime answered anyway (workerd); where
 *   `fetch` rejects (Deno) the attempt stayed a network failure (`NETWORK`): PUTs with the broken stream were
 *   retried, the breaker of a healthy origin counted each attempt (5 failures in a row: open, the next call refused
 *   `CIRCUIT_OPEN`) and its reachability was 'unreachable'. Now the attempt fails with the read's error (`UNKNOWN`, the app's, as Node's and workerd's builds
 *   give it): not retried, counted by neither the breaker nor reachability. A refused connection of a stream body is
 *   still `NETWORK`.
 * - A stream that errors with no error (`controller.error()`, `null`, `0`, `''`): its read's error was noted as that
 *   falsy value, taken for none, so the attempt stayed `NETWORK` (retried, the breaker counting; in workerd the body
 *   cut short and answered 200). Now the call rejects with a TypeError saying the body stream failed (`UNKNOWN`).
 */
import { describe, expect, it, vi } from 'vitest';
import { breaking, bytes, counted, echoServer, outcomeOf, stream } from './edge-body-kit.js';

vi.mock('../../src/core/server-failure.js', () => import('../../src/core/server-failure-edge.js'));

const { classify, createClient, memoryStore, outbox } = await import('../../src/entries/index.js');
const { createClient: createCore } = await import('../../src/entries/core.js');
const { refusedUrl } = await import('../helpers/node-server.js');

/** The bodies the server got, in order. */
const server = echoServer();
const { got, failOnce } = server;

let made = 0;

/** A client of each kind (the core, the preset, the preset with an outbox) whose `fetch` counts what reached it. */
const clients = () => {
	const state = { fetched: 0 };
	const fetch = ((request: Request, init?: RequestInit) => {
		state.fetched++;
		return globalThis.fetch(request, init);
	}) as typeof globalThis.fetch;
	const name = `h26-edge-${++made}`;
	return {
		state,
		apis: [
			createCore({ fetch, store: memoryStore, name: `${name}-core` }),
			createClient({ fetch, store: memoryStore, name }),
			createClient({ fetch, store: memoryStore, name: `${name}-outbox`, outbox: outbox() }),
		],
	};
};

/** What a call ends with: its status and the body the server echoed, or its error's code and message. */
const outcome = outcomeOf(classify);

describe('a stream body the app is reading, or has read from', () => {
	const bodies: Array<[string, () => Promise<ReadableStream>]> = [
		['locked (the app holds a reader)', async () => {
			const body = stream();
			body.getReader();
			return body;
		}],
		['disturbed (read from, its reader let go)', async () => {
			const body = stream();
			const reader = body.getReader();
			await reader.read();
			reader.releaseLock();
			return body;
		}],
		['a used Request\'s body', async () => {
			const request = new Request('https://api.test/', { method: 'POST', body: 'used' });
			await request.text();
			return request.body!;
		}],
	];

	it.each(bodies)('%s: InvalidRequestError before any I/O, on the core, the preset and with an outbox', async (_kind, make) => {
		const { state, apis } = clients();
		const before = got.length;
		for (const api of apis) {
			for (const method of ['post', 'put'] as const) {
				// Before: locked and used 'NETWORK: Request failed due to a network error' (fetched), disturbed "200 ''" (an empty body sent).
				expect(await outcome(api[method](`${server.url}/w`, { body: await make() }))).toMatch(/^INVALID_REQUEST: Invalid request: .*(locked|disturbed)/);
			}
		}

		expect([state.fetched, got.length - before]).toEqual([0, 0]);
		for (const api of apis) {
			api.close();
		}
	});

	it('a stream nobody read is sent whole (the check reads nothing of it)', async () => {
		const { state, apis } = clients();
		for (const api of apis) {
			expect(await outcome(api.post(`${server.url}/w`, { body: stream('whole') }))).toBe('200 \'whole\'');
			api.close();
		}

		expect(state.fetched).toBe(3);
	});
});

describe('a stream body that fails as the runtime reads it (fetch rejects, as Deno\'s)', () => {
	const broken = new Error('the app\'s stream broke');
	const client = () => createClient({ store: memoryStore, name: `h26-edge-${++made}`, retry: { limit: 2, delay: () => 0 } });

	it('the call rejects with the stream\'s error (UNKNOWN): not retried, counted by neither the breaker nor reachability', async () => {
		const api = client();
		for (let call = 0; call < 3; call++) {
			const error = await api.put(`${server.url}/b`, { body: breaking(broken) }).then((response) => response.status, (caught: unknown) => caught);
			// Before: ky's NetworkError ('NETWORK') retried, then CIRCUIT_OPEN: the first call opened the breaker.
			expect([error, classify(error).code]).toEqual([broken, 'UNKNOWN']);
		}

		// Before: [3, 5, 'unreachable'] (5 failures in a row: the breaker of a healthy origin open).
		expect(counted(api, server.url)).toEqual([0, 0, 'unknown']);
		api.close();
	});

	it('one the app locks after the call began: the call rejects with that TypeError (UNKNOWN), not retried', async () => {
		const api = client();
		const body = stream();
		const error = await api.put(`${server.url}/l`, { body, hooks: { beforeRequest: [() => void body.getReader()] } }).then((response) => response.status, (caught: unknown) => caught);
		// Before: ky's NetworkError (NETWORK), retried twice.
		expect([(error as Error).name, classify(error).code]).toEqual(['TypeError', 'UNKNOWN']);
		expect(counted(api, server.url)).toEqual([0, 0, 'unknown']);
		api.close();
	});

	it.each([undefined, null, 0, ''])('one that errors with no error (%j): the call rejects as the app\'s failure (UNKNOWN), not retried', async (reason) => {
		const api = client();
		let sent = false;
		const body = new ReadableStream({
			pull(controller) {
				sent ? controller.error(reason) : controller.enqueue(bytes('partial;'));
				sent = true;
			},
		});
		const error = await api.put(`${server.url}/n`, { body }).then((response) => response.status, (caught: unknown) => caught);
		// Before: ky's NetworkError (NETWORK), retried: [2, 3, 'unreachable'].
		expect([(error as Error).message, classify(error).code]).toEqual(['The request body stream failed', 'UNKNOWN']);
		expect(counted(api, server.url)).toEqual([0, 0, 'unknown']);
		api.close();
	});

	it('a refused connection of a stream body is still a network failure (NETWORK), not the app\'s', async () => {
		const api = createClient({ store: memoryStore, name: `h26-edge-${++made}`, retry: { limit: 0 } });
		const refused = await refusedUrl();
		const error = await api.put(`${refused}/r`, { body: stream() }).then((response) => response.status, (caught: unknown) => caught);
		expect(classify(error).code).toBe('NETWORK');
		expect(api.breaker(refused).consecutiveFailures).toBe(1);
		api.close();
	});

	it('a stream body ky retries after a 503 goes out whole again (never an empty body)', async () => {
		const api = client();
		failOnce.add('/again');
		const before = got.length;
		expect(await outcome(api.put(`${server.url}/again`, { body: stream('whole') }))).toBe('200 \'whole\'');
		expect(got.slice(before)).toEqual(['whole', 'whole']);
		api.close();
	});
});
