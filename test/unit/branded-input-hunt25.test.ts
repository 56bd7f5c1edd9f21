/**
 * Bad input (defect hunt, twenty-fifth round): an object that passes `instanceof Request` or `instanceof URL` and is
 * neither (`Object.create(Request.prototype)`: its getters throw on it). The core's input check took it, then read its
 * `signal` and `method` as the call was made: `api.post(Object.create(Request.prototype))` threw synchronously ("Cannot
 * read private member …") out of a client method. API.md: bad input is a typed error as a rejected promise, before any
 * I/O, never a sync throw. Now an `InvalidRequestError` (ky's own words for a bad input), on every client and method.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { createClient as createCore } from '../../src/entries/core.js';

const counting = () => {
	const sent: string[] = [];
	const fetch = async (request: Request) => {
		sent.push(request.url);
		return new Response('{}', { headers: { 'content-type': 'application/json' } });
	};
	return { sent, fetch: fetch as typeof globalThis.fetch };
};

const fakes = (): Array<[string, unknown]> => [
	['Object.create(Request.prototype)', Object.create(Request.prototype)],
	['Object.create(URL.prototype)', Object.create(URL.prototype)],
	['a Request prototype object with an own url', Object.assign(Object.create(Request.prototype), { toString: () => 'http://a.test/' })],
];

describe('an input that passes for a Request or URL and is none', () => {
	const clients = {
		core: (fetch: typeof globalThis.fetch) => createCore({ fetch, retry: 0 }),
		preset: (fetch: typeof globalThis.fetch) => createClient({ fetch, retry: 0, store: memoryStore }),
		'preset + outbox': (fetch: typeof globalThis.fetch) => createClient({ fetch, retry: 0, store: memoryStore, outbox: outbox() }),
	};

	for (const [kind, make] of Object.entries(clients)) {
		for (const method of ['get', 'post', 'put'] as const) {
			it(`${kind} ${method}(): rejects with InvalidRequestError, no sync throw, nothing sent`, async () => {
				const { sent, fetch } = counting();
				const api = make(fetch);
				for (const [name, input] of fakes()) {
					let promise: Promise<unknown> | undefined;
					expect(() => {
						promise = api[method](input as string);
					}, name).not.toThrow();
					const error = await promise!.then(() => undefined, (thrown: unknown) => thrown);
					expect((error as { code?: string } | undefined)?.code, name).toBe('INVALID_REQUEST');
				}

				expect(sent).toEqual([]);
				api.close();
			});
		}
	}

	it('a real Request and URL still go out (the check reads them)', async () => {
		const { sent, fetch } = counting();
		const api = createCore({ fetch, retry: 0 });
		await api.get(new URL('http://a.test/u'));
		await api.post(new Request('http://a.test/r', { method: 'POST', body: 'x' }));
		class Own extends Request {}
		await api.get(new Own('http://a.test/own'));
		expect(sent).toEqual(['http://a.test/u', 'http://a.test/r', 'http://a.test/own']);
		api.close();
	});
});
