/**
 * Request bodies in the edge build, in real workerd (defect hunt, twenty-sixth round): this project runs src/ with the
 * edge build's stand-ins (vitest.config.ts), src/core/server-failure-edge.ts among them. The same bodies against
 * Node's `fetch` (as Deno's rejects): test/unit/edge-body-hunt26-variants.test.ts.
 *
 * - A `ReadableStream` body that is locked (the app holds a reader) or disturbed (read from, its reader let go; a used
 *   Request's body): the edge build read it through a stream of its own, which hid both from the Request constructor.
 *   workerd sent an empty body and the call resolved 200 (a write told delivered, its bytes never sent). Now
 *   `InvalidRequestError` before any I/O, as Node's build gives.
 * - A stream the app locks after the call began (a `beforeRequest` hook reads it): the edge build's stream failed to
 *   take its reader, unnoticed, and workerd sent an empty body, answered 200. Now the call rejects with that error
 *   (`UNKNOWN`, the app's), not retried.
 * - A stream that errors with no error (`controller.error()`, `null`, `0`): its read's error was noted as `undefined`,
 *   taken for none, and workerd's answer stood (200, the body cut at 'partial;', a delivered write). Now the call
 *   rejects with a TypeError saying the body stream failed (`UNKNOWN`).
 */
import { describe, expect, inject, it } from 'vitest';
import { classify, createClient, memoryStore } from '../../src/entries/index.js';
import { createClient as createCore } from '../../src/entries/core.js';
import { stream } from '../unit/edge-body-kit.js';

let made = 0;

/** What a call ends with: its status and the body the server got, or its error's code and message. */
const outcome = (promise: Promise<Response>): Promise<string> =>
	promise.then(async (response) => `${response.status} '${((await response.json()) as { body: string }).body}'`, (error: unknown) => `${classify(error).code}: ${(error as Error).message}`);

describe('a stream body the app is reading, or has read from, in workerd', () => {
	const baseUrl = inject('baseUrl');
	const clients = () => {
		const name = `h26-edge-${++made}`;
		const apis = [createCore({ store: memoryStore, name: `${name}-core` }), createClient({ store: memoryStore, name, retry: { limit: 2, delay: () => 0 } })];
		const delivered: string[] = [];
		for (const api of apis) {
			api.on('write:delivered', (event) => delivered.push(event.method));
		}

		return { apis, delivered };
	};

	const hits = async (id: string): Promise<unknown> => (await fetch(`${baseUrl}/hits?id=${id}&path=/echo`)).json();

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

	it.each(bodies)('%s: InvalidRequestError before any I/O, no write delivered', async (_kind, make) => {
		const { apis, delivered } = clients();
		const id = `h26-${crypto.randomUUID()}`;
		for (const api of apis) {
			for (const method of ['post', 'put'] as const) {
				// Before: "200 ''" (workerd sent an empty body), a delivered write.
				expect(await outcome(api[method](`${baseUrl}/echo?id=${id}`, { body: await make() }))).toMatch(/^INVALID_REQUEST: Invalid request: .*(locked|disturbed)/);
			}

			api.close();
		}

		expect([delivered, await hits(id)]).toEqual([[], { hits: 0 }]);
	});

	it('one the app locks after the call began: the call rejects with that error (UNKNOWN), not retried, not delivered', async () => {
		const { apis, delivered } = clients();
		const id = `h26-${crypto.randomUUID()}`;
		for (const api of apis) {
			const body = stream();
			const error = await api.put(`${baseUrl}/echo?id=${id}`, { body, hooks: { beforeRequest: [() => void body.getReader()] } }).then((response) => response.status, (caught: unknown) => caught);
			// Before: 200 (an empty body sent), a delivered write.
			expect([(error as Error).name, classify(error).code]).toEqual(['TypeError', 'UNKNOWN']);
			api.close();
		}

		expect([delivered, Object.values(apis[1]!.stats())[0]?.retries ?? 0, await hits(id)]).toEqual([[], 0, { hits: 2 }]);
	});

	it.each([undefined, null, 0])('one that errors with no error (%j) as workerd reads it: the call rejects (UNKNOWN), not retried, not delivered', async (reason) => {
		const { apis, delivered } = clients();
		const id = `h26-${crypto.randomUUID()}`;
		const api = apis[1]!;
		let sent = false;
		const body = new ReadableStream({
			pull(controller) {
				sent ? controller.error(reason) : controller.enqueue(new TextEncoder().encode('partial;'));
				sent = true;
			},
		});
		const error = await api.put(`${baseUrl}/echo?id=${id}`, { body }).then((response) => response.status, (caught: unknown) => caught);
		// Before: 200 (workerd ended the body at 'partial;' and answered), a delivered write.
		expect([(error as Error).message, classify(error).code]).toEqual(['The request body stream failed', 'UNKNOWN']);
		expect([delivered, Object.values(api.stats())[0]?.retries ?? 0, await hits(id)]).toEqual([[], 0, { hits: 1 }]);
		for (const each of apis) {
			each.close();
		}
	});

	it('one nobody read is sent whole, and its write delivered', async () => {
		const { apis, delivered } = clients();
		for (const api of apis) {
			expect(await outcome(api.post(`${baseUrl}/echo`, { body: stream('whole') }))).toBe('200 \'whole\'');
			api.close();
		}

		expect(delivered).toEqual(['POST', 'POST']);
	});
});
