/**
 * Request bodies in the edge build, in real workerd (defect hunt, twenty-ninth round): this project runs src/ with the
 * edge build's stand-ins (vitest.config.ts), src/core/server-failure-edge.ts among them. The same bodies in each build
 * against Node's `fetch`: test/unit/edge-body-hunt29-variants.test.ts.
 *
 * - A sync iterable body (a generator, a `Set`, an array): workerd iterates one, and the edge build sends its bytes
 *   (`iterableBodies`), where Node's and the browser's builds refuse it before any I/O (their `fetch` sends it as text,
 *   '[object Generator]'); one that throws mid-way: test/workerd/edge-body-hunt28.test.ts.
 * - A `String` object body: read as a sync iterable (its characters), it went out chunked, its length lost. Now as a
 *   string: with its Content-Length.
 * - A `FormData` with a file part goes out whole as multipart, with or without the outbox (which serializes it first).
 */
import { describe, expect, inject, it } from 'vitest';
import { classify, createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { bytes } from '../unit/edge-body-kit.js';

let made = 0;

describe('sync iterable bodies in workerd (the edge build sends them)', () => {
	const baseUrl = inject('baseUrl');
	const hits = async (id: string): Promise<unknown> => (await fetch(`${baseUrl}/hits?id=${id}&path=/echo`)).json();
	/** What a call ends with: the Content-Length (or chunked) and body the server got, or the error's code. */
	const outcome = (promise: Promise<Response>): Promise<string> => promise.then(async (response) => {
		const { headers, body } = await response.json() as { headers: Record<string, string>; body: string };
		return `${headers['content-length'] ?? headers['transfer-encoding']} '${body}'`;
	}, (error: unknown) => classify(error).code);

	it.each<[string, () => unknown]>([
		['a generator of bytes', () => (function* () {
			yield bytes('one;');
			yield bytes('two');
		})()],
		['a Set of bytes', () => new Set([bytes('one;'), bytes('two')])],
		['an array of bytes', () => [bytes('one;'), bytes('two')]],
	])('%s: its bytes are sent', async (_kind, make) => {
		const api = createClient({ store: memoryStore, name: `h29-edge-${++made}` });
		const id = `h29-${crypto.randomUUID()}`;
		expect([await outcome(api.put(`${baseUrl}/echo?id=${id}`, { body: make() as never })), await hits(id)]).toEqual(['chunked \'one;two\'', { hits: 1 }]);
		api.close();
	});

	it('a String object goes out as a string, with its Content-Length', async () => {
		const api = createClient({ store: memoryStore, name: `h29-edge-${++made}` });
		expect(await outcome(api.put(`${baseUrl}/echo`, { body: new String('whole') as never }))).toBe('5 \'whole\'');
		api.close();
	});
});

describe('FormData with file parts in workerd', () => {
	const baseUrl = inject('baseUrl');
	it('goes out whole as multipart (its Content-Length, both parts, the file named), with and without the outbox (no defect: a guard)', async () => {
		const sent: string[] = [];
		for (const api of [createClient({ store: memoryStore, name: `h29-edge-${++made}`, retry: { limit: 1, delay: () => 0 } }), createClient({ store: memoryStore, name: `h29-edge-${++made}`, retry: { limit: 1, delay: () => 0 }, outbox: outbox() })]) {
			const form = new FormData();
			form.append('note', 'hello');
			form.append('file', new File(['file-bytes'], 'a.txt', { type: 'text/plain' }));
			const response = await api.post(`${baseUrl}/echo`, { body: form });
			const { headers, body } = await response.json() as { headers: Record<string, string>; body: string };
			const boundary = /boundary=(.+)$/.exec(headers['content-type'] ?? '')?.[1];
			sent.push(`${Number(headers['content-length']) === body.length} ${body.split(`--${boundary}`).length - 1} ${/filename="a.txt"[\s\S]*file-bytes/.test(body)} ${/name="note"\r\n\r\nhello/.test(body)}`);
			api.close();
		}

		expect(sent).toEqual(['true 3 true true', 'true 3 true true']);
	});
});
