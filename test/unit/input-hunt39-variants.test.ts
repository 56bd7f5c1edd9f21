/**
 * Defect hunt, thirty-ninth round (bad input: a clear, typed error before any I/O). API.md "Errors": `InvalidRequestError`
 * is bad input found before any I/O, a rejected promise, per call; a wrong client option a `TypeError` or `RangeError` at
 * `createClient` and `extend()`; "Builds per runtime": the same in every build. Each build's src/ is loaded
 * (edge-body-kit's `loadBuild`) against a `fetch` that answers 200 without I/O, which counts the calls that went out.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadBuild, outcomeIn as outcome, type Build } from './edge-body-kit.js';

const builds: Build[] = ['node', 'browser', 'edge'];
let made = 0;

afterEach(() => {
	vi.restoreAllMocks();
});

/** A body of none of fetch's types, as fetch would have sent it (before: each sent, the server got this text). */
const notBodies: Array<[string, string, unknown]> = [
	['a plain object', '[object Object]', { a: 1 }],
	['a number', '5', 5],
	['a Date', 'Thu Jan 01 1970 …', new Date(0)],
	['a function', '() => {}', () => {}],
	['a boolean', 'true', true],
	['a BigInt', '5', 5n],
	['a URL', 'http://api.test/', new URL('http://api.test/')],
];

describe('a body of none of fetch\'s types: InvalidRequestError naming `body`, never sent as its text', () => {
	it.each(notBodies)('%s, per call, in every build (was sent as %j)', async (_, _text, body) => {
		for (const build of builds) {
			// Before: '200; fetch 1' in every build (the server got '[object Object]', '5', the function's source…).
			expect(await outcome(build, (api, url) => api.post(url, { body }))).toMatch(/^InvalidRequestError INVALID_REQUEST `body` must be a body fetch takes: a BodyInit \(data goes as `json`\), .*; got \w+; fetch 0$/);
		}
	});

	it('with the outbox: refused, nothing queued to be replayed (was stored and sent as "[object Object]")', async () => {
		const { createClient, memoryStore, outbox } = await loadBuild('node');
		const fetched = vi.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response('ok'));
		const api = createClient({ store: memoryStore, name: `h39-input-${++made}`, retry: 0, outbox: outbox() });
		const error = await api.post('http://api.test/notes', { body: { a: 1 } } as never).catch((error: unknown) => error);
		expect(`${(error as Error).name} ${fetched.mock.calls.length} ${(await api.outbox.list()).length}`).toBe('InvalidRequestError 0 0');
		api.close();
	});

	it('from an extend() child, an `init` hook and a wrapper\'s next({ body }): refused the same way', async () => {
		const byHook = { hooks: { init: [(options: { body?: unknown }) => { options.body = { a: 1 }; }] } };
		expect(await outcome('node', (api, url) => api.extend({}).post(url, { body: 5 }))).toMatch(/^InvalidRequestError INVALID_REQUEST (Invalid request: )?`body` must be .*; fetch 0$/);
		// Before: '200; fetch 1' (sent as '[object Object]').
		expect(await outcome('node', (api, url) => api.post(url, { body: 'x', ...byHook }))).toMatch(/^InvalidRequestError INVALID_REQUEST (Invalid request: )?`body` must be .*; fetch 0$/);
		const wrapping = { slot: 'h39wrap', create: () => ({ wrap: (_call: unknown, next: (extra: object) => Promise<Response>) => next({ body: { a: 1 } }) }) };
		expect(await outcome('node', (api, url) => api.post(url, { body: 'x' }), { h39wrap: wrapping })).toMatch(/^InvalidRequestError INVALID_REQUEST (Invalid request: )?`body` must be .*; fetch 0$/);
	});

	it.each(notBodies)('%s as a client default: createClient and extend() throw naming `body`', async (_, _text, body) => {
		for (const build of builds) {
			const { createClient } = await loadBuild(build);
			// Before: accepted (every call that gives no body of its own then sent its text).
			expect(() => createClient({ body } as never)).toThrow(/`body` must be a body fetch takes/);
			const api = createClient({ name: `h39-input-${++made}` });
			expect(() => api.extend({ body } as never)).toThrow(/`body` must be a body fetch takes/);
			api.close();
		}
	});

	it('every body fetch takes still goes out, in every build (a guard)', async () => {
		const bodies = (): unknown[] => ['x', new String('x'), new Blob(['x']), new File(['x'], 'x.txt'), new ArrayBuffer(1), new Uint8Array(1), new DataView(new ArrayBuffer(1)),
			new FormData(), new URLSearchParams('a=1'), new ReadableStream(), null];
		for (const build of builds) {
			for (const body of bodies()) {
				expect(`${typeof body} ${await outcome(build, (api, url) => api.post(url, { body, duplex: 'half' }))}`).toBe(`${typeof body} 200; fetch 1`);
			}

			const { createClient } = await loadBuild(build);
			createClient({ body: 'x', name: `h39-input-${++made}` }).close();
		}
	});
});

describe('`headers` given as a function: refused, never sent with no headers', () => {
	const headers = () => ({ authorization: 'Bearer t' });

	it('per call, in every build', async () => {
		for (const build of builds) {
			// Before: '200; fetch 1', the request without the headers.
			expect(await outcome(build, (api, url) => api.get(url, { headers }))).toMatch(/^InvalidRequestError INVALID_REQUEST `headers` must be HeadersInit, not a function \(set them in a `beforeRequest` hook\); got function; fetch 0$/);
		}
	});

	it('createClient and extend() throw naming `headers`', async () => {
		const { createClient } = await loadBuild('node');
		// Before: accepted (every call sent without them).
		expect(() => createClient({ headers } as never)).toThrow(/`headers` must be HeadersInit/);
		const api = createClient({ name: `h39-input-${++made}` });
		expect(() => api.extend({ headers } as never)).toThrow(/`headers` must be HeadersInit/);
		api.close();
	});
});

describe('a numeric policy option of the wrong type: a RangeError naming it, never the engine\'s TypeError', () => {
	it.each([['a BigInt', 5n], ['a Symbol', Symbol('five')], ['a boxed Number', Object(5)], ['NaN', Number.NaN], ['Infinity', Number.POSITIVE_INFINITY]])('rateLimit({ perSecond: %s })', async (_, perSecond) => {
		const { rateLimit } = await import('../../src/rate-limit/index.js');
		// Before, for a BigInt and a Symbol: "TypeError Cannot convert a BigInt value to a number" (from `burst`'s default).
		let thrown: unknown;
		try {
			rateLimit({ perSecond } as never);
		} catch (error) {
			thrown = error;
		}

		expect(`${(thrown as Error).constructor.name} ${(thrown as Error).message}`).toMatch(/^RangeError `rateLimit\.perSecond` must be a positive finite number; got \w+$/);
	});
});

describe('a RequestInit value fetch refuses, per call: the message names the option and the value', () => {
	const given: Array<[string, string]> = [['priority', 'urgent'], ['mode', 'bogus'], ['credentials', 'everyone'], ['redirect', 'sometimes'], ['referrerPolicy', 'nobody']];
	const customFetch = (request: Request) => globalThis.fetch(request);

	it.each(given)('%s: %j, in every build, with and without a custom fetch', async (name, value) => {
		for (const build of builds) {
			for (const own of [{}, { fetch: customFetch }]) {
				// Before: "Invalid request: undefined: urgent is not an accepted type. Expected one of high, low, auto." (undici's, naming no option).
				expect(await outcome(build, (api, url) => api(url, { [name]: value }), own)).toMatch(new RegExp(`^InvalidRequestError INVALID_REQUEST Invalid request: \`${name}\` is refused by fetch: '?${value}'? .*; fetch 0$`));
			}
		}
	});

	it.each(['CONNECT', 'trace', 'TRACK', 'a b', ''])('method %j: InvalidRequestError naming `method`, in every build, with and without a custom fetch', async (method) => {
		for (const build of builds) {
			for (const own of [{}, { fetch: customFetch }]) {
				// Before, in Node's build: "Invalid request: 'CONNECT' HTTP method is unsupported." (no option named); in workerd,
				// with its `fetch` or a custom one, sent (test/workerd/input-hunt39.test.ts).
				expect(await outcome(build, (api, url) => api(url, { method }), own)).toMatch(/^InvalidRequestError INVALID_REQUEST `method` must be a token, not CONNECT, TRACE or TRACK; got .*; fetch 0$/);
			}
		}

	});

	it('a method of the app\'s own (PROPFIND, lower case) still goes out (a guard)', async () => {
		expect(await outcome('node', (api, url) => api(url, { method: 'PROPFIND' }))).toBe('200; fetch 1');
		expect(await outcome('edge', (api, url) => api(url, { method: 'patch' }))).toBe('200; fetch 1');
	});

	it('a write with the outbox: refused the same way, nothing queued', async () => {
		const { createClient, memoryStore, outbox } = await loadBuild('node');
		const api = createClient({ store: memoryStore, name: `h39-input-${++made}`, retry: 0, outbox: outbox() });
		const error = await api.post('http://api.test/notes', { json: { a: 1 }, priority: 'urgent' } as never).catch((error: unknown) => error);
		expect(`${(error as Error).message} ${(await api.outbox.list()).length}`).toMatch(/^Invalid request: `priority` is refused by fetch: urgent .* 0$/);
		api.close();
	});

	it('at createClient: the same words, without undici\'s "undefined: "', async () => {
		const { createClient } = await loadBuild('node');
		// Before: "`priority` is refused by fetch: undefined: urgent is not an accepted type…".
		expect(() => createClient({ priority: 'urgent' } as never)).toThrow(/^`priority` is refused by fetch: urgent is not an accepted type/);
	});

	it('a URL fetch cannot parse keeps its own words and hint (a guard: no option named)', async () => {
		expect(await outcome('node', (api) => api('http://exa mple.test/'))).toMatch(/^InvalidRequestError INVALID_REQUEST Invalid request: (?!`)/);
	});
});
