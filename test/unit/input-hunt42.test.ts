/**
 * Defect hunt, forty-second round (bad input), against a real loopback origin that redirects: what Node's `fetch` does with
 * a `redirect` mode, the reference the edge build keeps to (test/workerd/input-hunt42.test.ts runs the same calls in
 * workerd, whose `Request` refuses `redirect: 'error'`: every call of a client given it failed there before any I/O).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify, createClient, memoryStore } from '../../src/entries/index.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

let origin: RunningServer;
/** What the origin was asked: each request's path. */
const asked: string[] = [];
let made = 0;

beforeAll(async () => {
	origin = await serve((request) => {
		const { pathname } = new URL(request.url);
		asked.push(pathname);
		// `/loop` redirects to itself, `/ftp` to a scheme fetch does not follow.
		const location = ({ '/old': '/new', '/loop': '/loop', '/ftp': 'ftp://files.test/x' } as Record<string, string>)[pathname];
		return location ? new Response(null, { status: 307, headers: { location } }) : new Response('ok');
	});
});

afterAll(async () => origin.close());

/** A call's end (`call` given the client), read by `classify`, and the paths the origin was asked for it. */
const outcome = async (call: (api: any) => Promise<Response>, clientOptions: object = {}): Promise<string> => {
	asked.length = 0;
	const api = createClient({ store: memoryStore, name: `h42-input-${++made}`, prefix: `${origin.url}/`, retry: 0, breaker: false, ...clientOptions });
	const result = await call(api).then((response: Response) => String(response.status), (error: Error) => `${classify(error).code} ${error.name} (${(error.cause as Error | undefined)?.message}: ${((error.cause as Error | undefined)?.cause as Error | undefined)?.message})`);
	api.close();
	return `${result}; asked ${asked.join(', ') || 'nothing'}`;
};

describe('`redirect` modes in Node (the reference for the edge build)', () => {
	const refused = 'NETWORK NetworkError (fetch failed: unexpected redirect); asked /old';

	it('`error`, a client\'s, an extend() child\'s or a call\'s: an answer that is no redirect is the call\'s, a redirect fails it', async () => {
		expect(await outcome((api) => api.get('ok'), { redirect: 'error' })).toBe('200; asked /ok');
		expect(await outcome((api) => api.get('old'), { redirect: 'error' })).toBe(refused);
		expect(await outcome((api) => api.extend({ redirect: 'error' }).get('old'))).toBe(refused);
		expect(await outcome((api) => api.get('old', { redirect: 'error' }))).toBe(refused);
	});

	// Before, in Node's build: 'UNKNOWN Error (undefined: undefined)' (undici's "unexpected redirect" itself, taken for the
	// failure of the write's own body as undici read it: the body was sent and let go), where a GET's is 'NETWORK'.
	it.each([['post'], ['put'], ['patch']])('`error`: a write (%s, with a body) redirected fails as a read does, a network failure of the origin\'s', async (method) => {
		expect(await outcome((api) => api[method]('old', { json: { a: 1 } }), { redirect: 'error' })).toBe(refused);
		expect(await outcome((api) => api[method]('old', { body: 'x', redirect: 'error' }))).toBe(refused);
		expect(await outcome((api) => api.extend({ redirect: 'error' })[method]('ok', { body: 'x' }))).toBe('200; asked /ok');
	});

	it.each([['loop', 'redirect count exceeded', 21], ['ftp', 'URL scheme must be a HTTP(S) scheme', 1]])('`follow`: a write redirected (/%s) past what fetch follows fails as a read does (%s)', async (path, reason, times) => {
		const failed = `NETWORK NetworkError (fetch failed: ${reason}); asked ${Array.from({ length: times as number }, () => `/${path}`).join(', ')}`;
		expect(await outcome((api) => api.get(path))).toBe(failed);
		// Before: 'UNKNOWN Error (undefined: undefined)'.
		expect(await outcome((api) => api.post(path, { json: { a: 1 } }))).toBe(failed);
		expect(await outcome((api) => api.put(path, { body: 'x' }))).toBe(failed);
	});

	it('a call\'s own mode over a client\'s', async () => {
		expect(await outcome((api) => api.get('old', { redirect: 'follow' }), { redirect: 'error' })).toBe('200; asked /old, /new');
		expect(await outcome((api) => api.get('old', { redirect: 'manual', throwHttpErrors: false }), { redirect: 'error' })).toBe('307; asked /old');
		expect(await outcome((api) => api.get('old', { redirect: 'error' }), { redirect: 'manual' })).toBe(refused);
	});
});
