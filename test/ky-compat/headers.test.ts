// Ported from ky's test/headers.ts (https://github.com/sindresorhus/ky, commit 3419113), MIT licence:
// Copyright (c) Sindre Sorhus. See ./LICENSE. Converted from ava to vitest; ky's assertions are kept.
import {Buffer} from 'node:buffer';
import process from 'node:process';
import type {IncomingHttpHeaders} from 'node:http';
import {throwsAsync} from './helpers/assert.js';
import type {RequestHandler} from 'express';
import ky, {test} from './subject.js';
import {createHttpTestServer} from './helpers/create-http-test-server.js';

const timeout = 60_000;

const echoHeaders: RequestHandler = (request, response) => {
	request.resume();
	response.end(JSON.stringify(request.headers));
};

test.concurrent('`user-agent`', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', echoHeaders);

	const headers = await ky.get(server.url).json<IncomingHttpHeaders>();
	expect(headers['user-agent']).toBe('node');
});

test.concurrent('`accept-encoding`', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', echoHeaders);

	const headers = await ky.get(server.url).json<IncomingHttpHeaders>();

	expect(headers['accept-encoding']).toBe('gzip, deflate');
});

test.concurrent('does not override provided `accept-encoding`', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', echoHeaders);

	const headers = await ky
		.get(server.url, {
			headers: {
				'accept-encoding': 'gzip',
			},
		})
		.json<IncomingHttpHeaders>();
	expect(headers['accept-encoding']).toBe('gzip');
});

test.concurrent('does not remove user headers from `url` object argument', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', echoHeaders);

	const headers = await ky
		.get(server.url, {
			headers: {
				'X-Request-Id': 'value',
			},
		})
		.json<IncomingHttpHeaders>();

	expect(headers.accept).toBe('application/json');
	expect(headers['user-agent']).toBe('node');
	expect(headers['accept-encoding']).toBe('gzip, deflate');
	expect(headers['x-request-id']).toBe('value');
});

test.concurrent('`accept` header with `json` option', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', echoHeaders);

	let headers = await ky.get(server.url).json<IncomingHttpHeaders>();
	expect(headers.accept).toBe('application/json');

	headers = await ky
		.get(server.url, {
			headers: {
				accept: '',
			},
		})
		.json<IncomingHttpHeaders>();

	expect(headers.accept).toBe('application/json');
});

test.concurrent('`host` header', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', echoHeaders);

	const headers = await ky.get(server.url).json<IncomingHttpHeaders>();
	expect(headers.host).toBe(`localhost:${server.port}`);
});

test.concurrent('transforms names to lowercase', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', echoHeaders);

	const headers = await ky(server.url, {
		headers: {
			'ACCEPT-ENCODING': 'identity',
		},
	}).json<IncomingHttpHeaders>();
	expect(headers['accept-encoding']).toBe('identity');
});

test.concurrent('setting `content-length` to 0', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.post('/', echoHeaders);

	const request = ky
		.post(server.url, {
			headers: {
				'content-length': '0',
			},
			body: 'sup',
		})
		.json<IncomingHttpHeaders>();

	const error = await throwsAsync(expect, request);

	// The undici TypeError ("fetch failed") is wrapped in NetworkError, so the undici cause is one level deeper
	expect(error.cause?.cause?.code).toBe('UND_ERR_REQ_CONTENT_LENGTH_MISMATCH');
});

test.concurrent('sets `content-length` to `0` when requesting PUT with empty body', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.put('/', echoHeaders);

	const headers = await ky.put(server.url).json<IncomingHttpHeaders>();

	expect(headers['content-length']).toBe('0');
});

test.concurrent('json manual `content-type` header', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.post('/', echoHeaders);

	const headers = await ky
		.post(server.url, {
			headers: {
				'content-type': 'custom',
			},
			json: {
				foo: true,
			},
		})
		.json<IncomingHttpHeaders>();

	expect(headers['content-type']).toBe('custom');
});

test.concurrent('form-data manual `content-type` header', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.post('/', echoHeaders);

	const form = new FormData();
	form.append('a', 'b');
	const headers = await ky
		.post(server.url, {
			headers: {
				'content-type': 'custom',
			},
			// @ts-ignore (ky: @ts-expect-error; not an error under test/ky-compat/tsconfig.json) FormData type mismatch
			body: form,
		})
		.json<IncomingHttpHeaders>();

	expect(headers['content-type']).toBe('custom');
});

test.concurrent('form-data automatic `content-type` header', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.post('/', echoHeaders);

	const form = new FormData();
	form.append('a', 'b');
	const headers = await ky
		.post(server.url, {
			// @ts-ignore (ky: @ts-expect-error; not an error under test/ky-compat/tsconfig.json) FormData type mismatch
			body: form,
		})
		.json<IncomingHttpHeaders>();

	// eslint-disable-next-line ava/assertion-arguments
	expect(headers['content-type'].startsWith('multipart/form-data; boundary='), headers['content-type']).toBe(true);
});

test.concurrent('form-data manual `content-type` header with search params', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.post('/', echoHeaders);

	const form = new FormData();
	form.append('a', 'b');
	const headers = await ky
		.post(server.url, {
			searchParams: 'foo=1',
			headers: {
				'content-type': 'custom',
			},
			// @ts-ignore (ky: @ts-expect-error; not an error under test/ky-compat/tsconfig.json) FormData type mismatch
			body: form,
		})
		.json<IncomingHttpHeaders>();

	expect(headers['content-type']).toBe('custom');
});

test.concurrent('form-data automatic `content-type` header with search params', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.post('/', echoHeaders);

	const form = new FormData();
	form.append('a', 'b');
	const headers = await ky
		.post(server.url, {
			searchParams: 'foo=1',
			// @ts-ignore (ky: @ts-expect-error; not an error under test/ky-compat/tsconfig.json) FormData type mismatch
			body: form,
		})
		.json<IncomingHttpHeaders>();

	// eslint-disable-next-line ava/assertion-arguments
	expect(headers['content-type'].startsWith('multipart/form-data; boundary='), headers['content-type']).toBe(true);
});

test.concurrent('form-data sets `content-length` header', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.post('/', echoHeaders);

	const form = new FormData();
	form.append('a', 'b');

	const headers = await ky.post(server.url, {body: form}).json<IncomingHttpHeaders>();

	// Undici 6.21.3+ added trailing CRLF to FormData (backported from 7.1.0)
	// Older versions: 119 bytes (without CRLF)
	// Newer versions: 121 bytes (with CRLF)
	// Eventually this should only check for '121' when older Node.js versions are dropped
	expect(headers['content-length'] === '119' || headers['content-length'] === '121').toBe(true);
});

test.concurrent('buffer as `options.body` sets `content-length` header', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.post('/', echoHeaders);

	const buffer = Buffer.from('unicorn');
	const headers = await ky
		.post(server.url, {
			body: buffer,
		})
		.json<IncomingHttpHeaders>();

	expect(Number(headers['content-length'])).toBe(buffer.length);
});

test.fails('removes undefined value headers', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', echoHeaders);

	const headers = await ky
		.get(server.url, {
			headers: {
				'user-agent': undefined,
				unicorn: 'unicorn',
			},
		})
		.json<IncomingHttpHeaders>();

	expect(headers['user-agent']).toBe('undefined');
	expect(headers['unicorn']).toBe('unicorn');
});

test.concurrent('non-existent headers set to undefined are omitted', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', echoHeaders);

	const headers = await ky
		.get(server.url, {
			headers: {
				blah: undefined,
				rainbow: 'unicorn',
			},
		})
		.json<IncomingHttpHeaders>();

	expect('blah' in headers).toBe(false);
	expect('rainbow' in headers).toBe(true);
});

test.concurrent('preserve port in host header if non-standard port', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', echoHeaders);

	const body = await ky.get(server.url).json<IncomingHttpHeaders>();
	expect(body.host).toBe(`localhost:${server.port}`);
});

test.concurrent('strip port in host header if explicit standard port (:80) & protocol (HTTP)', async ({expect}) => {
	const customFetch: typeof fetch = async () => new Response(
		JSON.stringify({headers: {Host: 'httpbin.org'}}),
		{status: 200, headers: {'content-type': 'application/json'}},
	);

	const body = await ky.get('http://httpbin.org:80/headers', {fetch: customFetch}).json<{headers: IncomingHttpHeaders}>();
	expect(body.headers['Host']).toBe('httpbin.org');
});

test.concurrent('strip port in host header if explicit standard port (:443) & protocol (HTTPS)', async ({expect}) => {
	const customFetch: typeof fetch = async () => new Response(
		JSON.stringify({headers: {Host: 'httpbin.org'}}),
		{status: 200, headers: {'content-type': 'application/json'}},
	);

	const body = await ky.get('https://httpbin.org:443/headers', {fetch: customFetch}).json<{headers: IncomingHttpHeaders}>();
	expect(body.headers['Host']).toBe('httpbin.org');
});

test.concurrent('strip port in host header if implicit standard port & protocol (HTTP)', async ({expect}) => {
	const customFetch: typeof fetch = async () => new Response(
		JSON.stringify({headers: {Host: 'httpbin.org'}}),
		{status: 200, headers: {'content-type': 'application/json'}},
	);

	const body = await ky.get('http://httpbin.org/headers', {fetch: customFetch}).json<{headers: IncomingHttpHeaders}>();
	expect(body.headers['Host']).toBe('httpbin.org');
});

test.concurrent('strip port in host header if implicit standard port & protocol (HTTPS)', async ({expect}) => {
	const customFetch: typeof fetch = async () => new Response(
		JSON.stringify({headers: {Host: 'httpbin.org'}}),
		{status: 200, headers: {'content-type': 'application/json'}},
	);

	const body = await ky.get('https://httpbin.org/headers', {fetch: customFetch}).json<{headers: IncomingHttpHeaders}>();
	expect(body.headers['Host']).toBe('httpbin.org');
});

test.concurrent('remove custom header by extending instance (plain objects)', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', echoHeaders);

	const original = ky.create({
		headers: {
			rainbow: 'rainbow',
			unicorn: 'unicorn',
		},
	});

	const extended = original.extend({
		headers: {
			rainbow: undefined,
		},
	});

	const response = await extended(server.url).json<IncomingHttpHeaders>();

	expect('unicorn' in response).toBe(true);
	expect('rainbow' in response).toBe(false);
});

test.concurrent('remove header by extending instance (Headers instance)', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', echoHeaders);

	const original = ky.create({
		headers: new Headers({
			rainbow: 'rainbow',
			unicorn: 'unicorn',
		}),
	});

	const extended = original.extend({
		// @ts-ignore (ky: @ts-expect-error; not an error under test/ky-compat/tsconfig.json) Headers does not support undefined values
		headers: new Headers({
			rainbow: undefined,
		}),
	});

	const response = await extended(server.url).json<IncomingHttpHeaders>();

	expect('rainbow' in response).toBe(false);
	expect('unicorn' in response).toBe(true);
});

test.concurrent('remove header by extending instance (Headers instance and plain object)', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', echoHeaders);

	const original = ky.create({
		headers: new Headers({
			rainbow: 'rainbow',
			unicorn: 'unicorn',
		}),
	});

	const extended = original.extend({
		headers: {
			rainbow: undefined,
		},
	});

	const response = await extended(server.url).json<IncomingHttpHeaders>();

	expect('rainbow' in response).toBe(false);
	expect('unicorn' in response).toBe(true);
});

test.concurrent('remove header by extending instance (plain object and Headers instance)', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', echoHeaders);

	const original = ky.create({
		headers: {
			rainbow: 'rainbow',
			unicorn: 'unicorn',
		},
	});

	const extended = original.extend({
		// @ts-ignore (ky: @ts-expect-error; not an error under test/ky-compat/tsconfig.json) Headers does not support undefined values
		headers: new Headers({
			rainbow: undefined,
		}),
	});

	const response = await extended(server.url).json<IncomingHttpHeaders>();

	expect('rainbow' in response).toBe(false);
	expect('unicorn' in response).toBe(true);
});

// ava runs a file's serial tests apart from its concurrent ones; vitest runs adjacent concurrent
// tests together, so the serial ones are gathered here, after the concurrent ones.
test('works with nullish headers even in old browsers', async ({expect, onTestFinished}) => {
	expect.assertions(4);

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', echoHeaders);

	const OriginalHeaders = Headers;
	// Some old browsers throw for new Headers(undefined) or new Headers(null)
	// so we check that Ky never does that and passes an empty object instead.
	// See: https://github.com/sindresorhus/ky/issues/260
	globalThis.Headers = class Headers extends OriginalHeaders {
		constructor(headersInit?: RequestInit['headers']) {
			expect(headersInit).toStrictEqual({});
			super(headersInit);
		}
	};
	const response = await ky.get(server.url).json<IncomingHttpHeaders>();

	expect(typeof response).toBe('object');
	expect(response).toBeTruthy();

	globalThis.Headers = OriginalHeaders;
});
