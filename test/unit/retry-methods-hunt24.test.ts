/**
 * `retry.methods` (defect hunt, twenty-fourth round): ky compares each entry, lower-cased, with the request's method,
 * so an entry that is no method name (`'get '`, `''`, `'GE T'`) retried no call, said nowhere. It is now refused as the
 * outbox's `methods` are: a RangeError at createClient, an InvalidRequestError per call (a promise, no I/O).
 */
import { describe, expect, it } from 'vitest';
import { createClient, InvalidRequestError } from '../../src/entries/core.js';

describe('retry.methods: method names only', () => {
	it('an entry that is no HTTP token is a RangeError at createClient and an InvalidRequestError per call', async () => {
		let sent = 0;
		const fetch = (async () => {
			sent++;
			return new Response('down', { status: 503 });
		}) as typeof globalThis.fetch;
		for (const methods of [['get '], [''], ['GE T'], ['get', 'post\n']]) {
			// Before: created, and each call went out once, never retried.
			expect(() => createClient({ fetch, retry: { methods } })).toThrow(RangeError);
			const api = createClient({ fetch, retryBudget: false });
			let promise: Promise<unknown> | undefined;
			expect(() => {
				promise = api.get('https://api.test/a', { retry: { methods, limit: 1, delay: () => 0 } });
			}).not.toThrow();
			await expect(promise).rejects.toBeInstanceOf(InvalidRequestError);
			await expect(promise).rejects.toThrow(/retry\.methods/);
			api.close();
		}

		expect(sent).toBe(0);
	});

	it('method names in any case, also ones fetch does not know, are taken and retried', async () => {
		const seen: string[] = [];
		const fetch = (async (request: Request) => {
			seen.push(request.method);
			return new Response(seen.length % 2 ? 'down' : 'ok', { status: seen.length % 2 ? 503 : 200 });
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, retryBudget: false, retry: { methods: ['get', 'Purge'], limit: 1, delay: () => 0 } });
		await expect(api.get('https://api.test/a').text()).resolves.toBe('ok');
		await expect(api('https://api.test/b', { method: 'PURGE' }).text()).resolves.toBe('ok');
		expect(seen).toEqual(['GET', 'GET', 'PURGE', 'PURGE']);
		api.close();
	});
});
