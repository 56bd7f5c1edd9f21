/**
 * Bad input in real workerd (defect hunt, forty-second round): this project runs src/ with the edge build's stand-ins
 * (vitest.config.ts). The same calls against Node's `fetch` and a real redirecting origin: test/unit/input-hunt42.test.ts.
 *
 * - workerd's `Request` refuses `redirect: 'error'` ("Invalid redirect value, must be one of "follow" or "manual" ("error"
 *   won't be implemented since it does not make sense at the edge; …)"), which ky builds each attempt's with: a client
 *   given it (or an extend() child) was made, and every one of its calls failed before any I/O, also one no origin
 *   redirects; a call given it failed the same. API.md (Request contexts) says a caller's own redirect mode,
 *   `'error'` included, is honoured. Now sent as `'manual'`, and a redirect answered to it fails the attempt as Node's
 *   `fetch` fails it (`TypeError: fetch failed`, cause "unexpected redirect": `NETWORK`); any other answer is the call's.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient, memoryStore } from '../../src/entries/index.js';

let made = 0;

/**
 * A call's end (`call` given the client), read by `classify`, and what the client's `fetch` was asked: each attempt's
 * path and redirect mode. The origin answers `/old` 302 to `/new` (followed when the Request's mode is `follow`, as fetch
 * does), anything else 200.
 */
const outcome = async (call: (api: any) => Promise<Response>, clientOptions: object = {}): Promise<string> => {
	const asked: string[] = [];
	const api = createClient({ store: memoryStore, name: `h42-workerd-${++made}`, prefix: 'https://api.test/', retry: 0, breaker: false, fetch: async (input: Parameters<typeof fetch>[0]) => {
		const request = input as Request;
		const { pathname } = new URL(request.url);
		asked.push(`${pathname} ${request.redirect}`);
		if (pathname === '/old') {
			return request.redirect === 'follow' ? new Response('new') : new Response(null, { status: 302, headers: { location: '/new' } });
		}

		return new Response('ok');
	}, ...clientOptions });
	const result = await call(api).then((response: Response) => String(response.status), (error: Error) => `${classify(error).code} ${error.name} (${(error.cause as Error | undefined)?.message}: ${((error.cause as Error | undefined)?.cause as Error | undefined)?.message})`);
	api.close();
	return `${result}; asked ${asked.join(', ') || 'nothing'}`;
};

describe('`redirect: \'error\'` in workerd: honoured, as in Node (its Request refuses the mode)', () => {
	const refused = 'NETWORK NetworkError (fetch failed: unexpected redirect); asked /old manual';

	it('a client\'s: an answer that is no redirect is the call\'s, a redirect fails it as fetch does', async () => {
		// Before: 'UNKNOWN TypeError: Invalid redirect value, must be one of "follow" or "manual" …; asked nothing', each.
		expect(await outcome((api) => api.get('ok'), { redirect: 'error' })).toBe('200; asked /ok manual');
		expect(await outcome((api) => api.get('old'), { redirect: 'error' })).toBe(refused);
		expect(await outcome((api) => api.post('old', { json: {} }), { redirect: 'error' })).toBe(refused);
	});

	it('an extend() child\'s, and a call\'s own', async () => {
		expect(await outcome((api) => api.extend({ redirect: 'error' }).get('ok'))).toBe('200; asked /ok manual');
		expect(await outcome((api) => api.extend({ redirect: 'error' }).get('old'))).toBe(refused);
		expect(await outcome((api) => api.get('ok', { redirect: 'error' }))).toBe('200; asked /ok manual');
		expect(await outcome((api) => api.get('old', { redirect: 'error' }))).toBe(refused);
		// One an `init` hook sets.
		expect(await outcome((api) => api.get('old', { hooks: { init: [(options: RequestInit) => {
			options.redirect = 'error';
		}] } }))).toBe(refused);
	});

	it('a call\'s own mode over a client\'s `error`: `follow` follows, `manual` gets the redirect; and the other way round', async () => {
		expect(await outcome((api) => api.get('old', { redirect: 'follow' }), { redirect: 'error' })).toBe('200; asked /old follow');
		expect(await outcome((api) => api.get('old', { redirect: 'manual', throwHttpErrors: false }), { redirect: 'error' })).toBe('302; asked /old manual');
		expect(await outcome((api) => api.get('old', { redirect: 'error' }), { redirect: 'manual' })).toBe(refused);
	});
});
