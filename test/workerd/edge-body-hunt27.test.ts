/**
 * Request bodies in the edge build, in real workerd (defect hunt, twenty-seventh round): this project runs src/ with the
 * edge build's stand-ins (vitest.config.ts), src/core/server-failure-edge.ts among them. The same bodies against Node's
 * `fetch` (as Deno's rejects): test/unit/edge-body-hunt27-variants.test.ts.
 *
 * - A `Request` input's body is sent as it is (not watched: its length kept, a proxied request's); a whole one goes out whole.
 * - A body stream that errors with an `AbortError` or a `TypeError('fetch failed')`: the call rejected with it as it
 *   was, `ABORTED` (the caller aborted nothing) or `NETWORK` (retried). Now a TypeError saying the body failed
 *   (`UNKNOWN`), the error as its cause.
 * - An async-iterable body (workerd takes one) that fails as it is read: not watched, "200 'one;'" (cut short, delivered).
 * - A body over a SharedArrayBuffer or a resizable ArrayBuffer: workerd sent its bytes (200) where Node's and browsers'
 *   `fetch` refuse it. Now `InvalidRequestError` before any I/O, as there.
 */
import { describe, expect, inject, it } from 'vitest';
import { classify, createClient, memoryStore } from '../../src/entries/index.js';
import { breaking, bytes } from '../unit/edge-body-kit.js';
import { createClient as createCore } from '../../src/entries/core.js';

let made = 0;

/** What a call ends with: its status and the body the server got, or its error's code and message. */
const outcome = (promise: Promise<Response>): Promise<string> =>
	promise.then(async (response) => `${response.status} '${((await response.json()) as { body: string }).body}'`, (error: unknown) => `${classify(error).code}: ${(error as Error).message}`);

describe('request bodies workerd reads as it sends them', () => {
	const baseUrl = inject('baseUrl');
	const client = () => {
		const api = createClient({ store: memoryStore, name: `h27-edge-${++made}`, retry: { limit: 2, delay: () => 0 } });
		const delivered: string[] = [];
		api.on('write:delivered', (event) => delivered.push(event.method));
		return { api, delivered };
	};

	const hits = async (id: string): Promise<unknown> => (await fetch(`${baseUrl}/hits?id=${id}&path=/echo`)).json();
	const retries = (api: ReturnType<typeof client>['api']): number => Object.values(api.stats())[0]?.retries ?? 0;

	it('a Request input whose body is whole goes out whole, with its Content-Type', async () => {
		const { api, delivered } = client();
		const request = new Request(`${baseUrl}/echo`, { method: 'POST', body: 'whole', headers: { 'content-type': 'text/x-mine' } });
		const response = await api.post(request);
		expect(await response.json()).toMatchObject({ body: 'whole', headers: { 'content-type': 'text/x-mine' } });
		expect(delivered).toEqual(['POST']);
		api.close();
	});

	it.each<[string, () => unknown]>([
		['an AbortError (was ABORTED)', () => new DOMException('stopped', 'AbortError')],
		['a TypeError(\'fetch failed\') (was NETWORK, retried)', () => new TypeError('fetch failed')],
	])('a body stream that errors with %s: a TypeError saying the body failed (UNKNOWN), not retried, not delivered', async (_kind, make) => {
		const { api, delivered } = client();
		const id = `h27-${crypto.randomUUID()}`;
		const reason = make();
		const error = await api.put(`${baseUrl}/echo?id=${id}`, { body: breaking(reason) }).then((response) => response.status, (caught: unknown) => caught);
		expect([(error as Error).message, (error as Error).cause, classify(error).code]).toEqual(['The request body stream failed', reason, 'UNKNOWN']);
		expect([delivered, retries(api), await hits(id)]).toEqual([[], 0, { hits: 1 }]);
		api.close();
	});

	it('an async-iterable body that fails as it is read: the call rejects with its error (UNKNOWN), not delivered; a whole one goes out whole', async () => {
		const { api, delivered } = client();
		const id = `h27-${crypto.randomUUID()}`;
		const broken = new Error('the app\'s iterable broke');
		const iterable = (fail?: Error) => (async function* () {
			yield bytes('one;');
			if (fail) {
				throw fail;
			}

			yield bytes('two');
		})();
		const error = await api.put(`${baseUrl}/echo?id=${id}`, { body: iterable(broken) as never }).then((response) => response.status, (caught: unknown) => caught);
		// Before: "200 'one;'" (cut short), a delivered write.
		expect([error, classify(error).code]).toEqual([broken, 'UNKNOWN']);
		expect([delivered, retries(api)]).toEqual([[], 0]);
		expect(await outcome(api.put(`${baseUrl}/echo`, { body: iterable() as never }))).toBe('200 \'one;two\'');
		expect(delivered).toEqual(['PUT']);
		api.close();
	});

	it.each<[string, () => unknown]>([
		['a Uint8Array over a SharedArrayBuffer', () => new Uint8Array(new SharedArrayBuffer(4))],
		['a resizable ArrayBuffer', () => new (ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer)(2, { maxByteLength: 8 })],
	])('%s: InvalidRequestError before any I/O, on the core and the preset', async (_kind, make) => {
		const id = `h27-${crypto.randomUUID()}`;
		for (const api of [createCore({ store: memoryStore, name: `h27-edge-${++made}-core` }), client().api]) {
			// Before: 200 (its bytes sent).
			expect(await outcome(api.put(`${baseUrl}/echo?id=${id}`, { body: make() as never }))).toMatch(/^INVALID_REQUEST: /);
			api.close();
		}

		expect(await hits(id)).toEqual({ hits: 0 });
	});
});
