/**
 * Request bodies in the edge build, in real workerd (defect hunt, twenty-eighth round): this project runs src/ with the
 * edge build's stand-ins (vitest.config.ts), src/core/server-failure-edge.ts among them. The same bodies against Node's
 * `fetch` (as Deno's rejects): test/unit/edge-body-hunt28-variants.test.ts.
 *
 * - A `Request` input whose body is a stream of the app's that errors mid-way: "200 ''" (the body cut short), a write
 *   told delivered. Now the call rejects with the stream's error (`UNKNOWN`), as with a call's own body; a Request whose
 *   body workerd holds (a string's) is sent as it is, its Content-Length kept.
 * - A sync iterable body (workerd iterates a generator, an array, a `Set`) that throws mid-way: "200 'one;'".
 * - A body a ky `init` hook gives: over a SharedArrayBuffer, its bytes sent (200) where the call's own `body` is
 *   `InvalidRequestError`; a stream that errors, "200 ''". Now as the call's own body.
 * - A body that gives a chunk that is not bytes (an array of numbers, a stream of objects): "200 ''". Now a TypeError
 *   saying so (`UNKNOWN`).
 */
import { describe, expect, inject, it } from 'vitest';
import { classify, createClient, memoryStore } from '../../src/entries/index.js';
import { breaking, bytes } from '../unit/edge-body-kit.js';

let made = 0;

describe('request bodies workerd reads as it sends them', () => {
	const baseUrl = inject('baseUrl');
	const client = () => {
		const api = createClient({ store: memoryStore, name: `h28-edge-${++made}`, retry: { limit: 2, delay: () => 0 } });
		const delivered: string[] = [];
		api.on('write:delivered', (event) => delivered.push(event.method));
		return { api, delivered };
	};

	const hits = async (id: string): Promise<unknown> => (await fetch(`${baseUrl}/hits?id=${id}&path=/echo`)).json();
	const retries = (api: ReturnType<typeof client>['api']): number => Object.values(api.stats())[0]?.retries ?? 0;
	/** What the server got: its Content-Length and body. */
	const echoed = async (response: Response): Promise<string> => {
		const { headers, body } = await response.json() as { headers: Record<string, string>; body: string };
		return `${headers['content-length'] ?? headers['transfer-encoding']} '${body}'`;
	};

	it('a Request input whose body stream errors: the call rejects with the stream\'s error (UNKNOWN), not retried, not delivered', async () => {
		const { api, delivered } = client();
		const id = `h28-${crypto.randomUUID()}`;
		const broken = new Error('the app\'s stream broke');
		const request = new Request(`${baseUrl}/echo?id=${id}`, { method: 'PUT', body: breaking(broken) });
		// Before: "200 ''", a delivered write.
		const error = await api.put(request).then((response) => response.status, (caught: unknown) => caught);
		expect([error, classify(error).code]).toEqual([broken, 'UNKNOWN']);
		expect([delivered, retries(api), await hits(id)]).toEqual([[], 0, { hits: 1 }]);
		api.close();
	});

	it('a Request input whose body is a string is sent with its Content-Length; one whose stream is whole goes out whole', async () => {
		const { api, delivered } = client();
		expect(await echoed(await api.put(new Request(`${baseUrl}/echo`, { method: 'PUT', body: 'whole' })))).toBe('5 \'whole\'');
		const stream = new ReadableStream({
			start(controller) {
				controller.enqueue(bytes('streamed'));
				controller.close();
			},
		});
		expect(await echoed(await api.put(new Request(`${baseUrl}/echo`, { method: 'PUT', body: stream })))).toBe('chunked \'streamed\'');
		expect(delivered).toEqual(['PUT', 'PUT']);
		api.close();
	});

	it('a sync generator body that throws mid-way: the call rejects with its error (UNKNOWN), not delivered; a whole one, or a Set, goes out whole', async () => {
		const { api, delivered } = client();
		const id = `h28-${crypto.randomUUID()}`;
		const broken = new Error('the app\'s generator broke');
		const generator = (fail?: Error) => (function* () {
			yield bytes('one;');
			if (fail) {
				throw fail;
			}

			yield bytes('two');
		})();
		const error = await api.put(`${baseUrl}/echo?id=${id}`, { body: generator(broken) as never }).then((response) => response.status, (caught: unknown) => caught);
		// Before: "200 'one;'" (cut short), a delivered write.
		expect([error, classify(error).code]).toEqual([broken, 'UNKNOWN']);
		expect([delivered, retries(api)]).toEqual([[], 0]);
		expect(await echoed(await api.put(`${baseUrl}/echo`, { body: generator() as never }))).toBe('chunked \'one;two\'');
		expect(await echoed(await api.put(`${baseUrl}/echo`, { body: new Set([bytes('one;'), bytes('two')]) as never }))).toBe('chunked \'one;two\'');
		expect(delivered).toEqual(['PUT', 'PUT']);
		api.close();
	});

	it('a body an init hook gives: over a SharedArrayBuffer, InvalidRequestError before any I/O; a stream that errors, its error (UNKNOWN)', async () => {
		const { api, delivered } = client();
		const id = `h28-${crypto.randomUUID()}`;
		const giving = (make: () => unknown) => ({ hooks: { init: [(options: { body?: unknown }) => {
			options.body = make();
		}] } });
		const shared = await api.put(`${baseUrl}/echo?id=${id}`, giving(() => new Uint8Array(new SharedArrayBuffer(4))) as never).then((response) => response.status, (caught: unknown) => classify(caught).code);
		// Before: 200 (its 4 bytes sent).
		expect([shared, await hits(id)]).toEqual(['INVALID_REQUEST', { hits: 0 }]);
		const broken = new Error('the hook\'s stream broke');
		const error = await api.put(`${baseUrl}/echo?id=${id}`, giving(() => breaking(broken)) as never).then((response) => response.status, (caught: unknown) => caught);
		// Before: 200 (an empty body), a delivered write.
		expect([error, classify(error).code, delivered, retries(api), await hits(id)]).toEqual([broken, 'UNKNOWN', [], 0, { hits: 1 }]);
		api.close();
	});

	it.each<[string, () => unknown]>([
		['an array of numbers', () => [1, 2]],
		['a stream of an object', () => new ReadableStream({
			start(controller) {
				controller.enqueue({ not: 'bytes' });
				controller.close();
			},
		})],
	])('%s: a TypeError saying a chunk is not bytes (UNKNOWN), not delivered', async (_kind, make) => {
		const { api, delivered } = client();
		const error = await api.put(`${baseUrl}/echo`, { body: make() as never }).then((response) => response.status, (caught: unknown) => caught);
		// Before: 200 (an empty body), a delivered write.
		expect([(error as Error).message, classify(error).code, delivered, retries(api)]).toEqual(['The request body stream gave a chunk that is not bytes', 'UNKNOWN', [], 0]);
		api.close();
	});
});
