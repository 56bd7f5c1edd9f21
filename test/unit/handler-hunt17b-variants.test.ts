/**
 * Defect hunt, seventeenth round, second pass: fetchHandler and the service worker (area H). Each test names the claim
 * it holds the code to (the TSDoc of fetchHandler, the README's service-worker recipe).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { fetchEvent as event } from '../helpers/fetch-event.js';

type Options = Parameters<typeof createClient>[0];
/** A client whose fetch records each Request it is given (method, URL, cache mode) and answers 200. */
const recording = (options: Options = {}) => {
	const sent: string[] = [];
	const name = `h17b-${Math.random()}`;
	const api = createClient({ name, store: () => memoryStore(name), retry: 0, breaker: false, ...options,
		fetch: async (input: Parameters<typeof fetch>[0]) => {
			sent.push(`${(input as Request).method} ${(input as Request).url} ${(input as Request).cache}`);
			return new Response('ok', { headers: { 'cache-control': 'max-age=60' } });
		} } as Options);
	return { api, sent };
};

afterEach(() => {
	vi.unstubAllGlobals();
});

describe('fetchHandler leaves a page\'s `cache: \'only-if-cached\'` request alone, as a `no-store` one (TSDoc of fetchHandler: the client sends the page\'s request with its "cache mode"; a request made in the worker cannot carry `only-if-cached`, which needs the page\'s same-origin mode)', () => {
	const app = 'https://app.example';
	it.each([
		['a URLPattern of the worker\'s own origin', () => new URLPattern({ pathname: '/api/*' })],
		['a function that takes everything', () => () => true],
	] as Array<[string, () => Parameters<typeof fetchHandler>[1]['match']]>)('with %s: it returns false and nothing is sent (the browser answers from its own cache, or fails); the page\'s other cache modes are still handled', async (_, match) => {
		vi.stubGlobal('location', new URL(`${app}/sw.js`));
		const { api, sent } = recording();
		const handle = fetchHandler(api, { match: match() });
		try {
			const cached = event(`${app}/api/a`, { cache: 'only-if-cached', mode: 'same-origin' });
			// Before: true, and 'GET https://app.example/api/a default' sent: the page that asked for no network got the network.
			expect([handle(cached), cached.answered.response]).toEqual([false, undefined]);
			const seen = [];
			for (const cache of ['force-cache', 'reload', 'no-cache', 'default'] as RequestCache[]) {
				const page = event(`${app}/api/b`, { cache, mode: 'same-origin' });
				seen.push(handle(page), (await page.answered.response!).status);
			}

			expect(seen).toEqual([true, 200, true, 200, true, 200, true, 200]);
			expect(sent).toEqual([`GET ${app}/api/b force-cache`, `GET ${app}/api/b reload`, `GET ${app}/api/b no-cache`, `GET ${app}/api/b default`]);
		} finally {
			api.close();
		}
	});
});
