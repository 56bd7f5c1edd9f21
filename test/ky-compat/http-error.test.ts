// Ported from ky's test/http-error.ts (https://github.com/sindresorhus/ky, commit 3419113), MIT licence:
// Copyright (c) Sindre Sorhus. See ./LICENSE. Converted from ava to vitest; ky's assertions are kept.
import {expectTypeOf} from 'vitest';
import {throwsAsync} from './helpers/assert.js';

import ky, {HTTPError, isHTTPError, test} from './subject.js';
import {createHttpTestServer} from './helpers/create-http-test-server.js';

// ky's `Mutable` (source/utils/types.ts), which ky does not export.
type Mutable<T> = {
	-readonly[P in keyof T]: T[P]
};

function createFakeResponse({status, statusText}: {status?: number; statusText?: string}): Response {
	// Start with a realistic fetch Response.
	const response: Partial<Mutable<Response>> = {...new Response()};

	response.status = status;
	response.statusText = statusText;

	return response as Response;
}

test.concurrent('HTTPError handles undefined response.statusText', ({expect}) => {
	const status = 500;
	// @ts-expect-error missing options
	const error = new HTTPError(
		// This simulates the case where a browser Response object does
		// not define statusText, such as IE, Safari, etc.
		// See https://developer.mozilla.org/en-US/docs/Web/API/Response/statusText#Browser_compatibility
		createFakeResponse({statusText: undefined, status}),
		new Request('invalid:foo'),
	);

	expect(error.message).toBe('Request failed with status code 500: GET invalid:foo');
});

test.concurrent('HTTPError handles undefined response.status', ({expect}) => {
	// @ts-expect-error missing options
	const error = new HTTPError(
		// This simulates a catastrophic case where some unexpected
		// response object was sent to HTTPError.
		createFakeResponse({statusText: undefined, status: undefined}),
		new Request('invalid:foo'),
	);

	expect(error.message).toBe('Request failed with an unknown error: GET invalid:foo');
});

test.concurrent('HTTPError handles a response.status of 0', ({expect}) => {
	// @ts-expect-error missing options
	const error = new HTTPError(
		// Apparently, it's possible to get a response status of 0.
		createFakeResponse({statusText: undefined, status: 0}),
		new Request('invalid:foo'),
	);

	expect(error.message).toBe('Request failed with status code 0: GET invalid:foo');
});

test.concurrent('HTTPError provides response.json()', async ({expect}) => {
	// @ts-expect-error missing options
	const error = new HTTPError<{foo: 'bar'}>(
		new Response(JSON.stringify({foo: 'bar'})),
		new Request('invalid:foo'),
	);

	expectTypeOf(error.data).toEqualTypeOf<{foo: 'bar'} | string | undefined>();

	const responseJson = await error.response.json();

	expectTypeOf(responseJson).toEqualTypeOf<{foo: 'bar'}>();

	expect(error.response instanceof Response).toBe(true);
	expect(responseJson).toStrictEqual({foo: 'bar'});
});

test.concurrent('HTTPError#data is populated with parsed JSON', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	const body = {error: 'not found', code: 42};
	server.get('/', (_request, response) => {
		response.status(404).json(body);
	});

	const error = await throwsAsync(expect, ky.get(server.url));
	expect(error?.data).toStrictEqual(body);
});

test.concurrent('HTTPError#data is populated with text for non-JSON', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		response.status(500).type('text/plain').send('Internal failure');
	});

	const error = await throwsAsync(expect, ky.get(server.url, {retry: 0}));
	expect(error?.data).toBe('Internal failure');
});

test.concurrent('HTTPError#data is undefined for empty body', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		response.status(404).end();
	});

	const error = await throwsAsync(expect, ky.get(server.url));
	expect(error?.data).toBe(undefined);
});

test.concurrent('HTTPError#data is undefined when JSON parse fails', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		response.status(500).type('application/json').send('not json');
	});

	const error = await throwsAsync(expect, ky.get(server.url, {retry: 0}));
	expect(error?.data).toBe(undefined);
});

test.concurrent('HTTPError#data respects parseJson option', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	const body = {value: 1};
	server.get('/', (_request, response) => {
		response.status(400).json(body);
	});

	const error = await throwsAsync(expect, ky.get(server.url, {
		parseJson(text) {
			const data = JSON.parse(text) as Record<string, unknown>;
			data.custom = true;
			return data;
		},
	}));
	expect(error?.data).toStrictEqual({value: 1, custom: true});
});

test.concurrent('HTTPError#data parseJson receives context', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	const body = {value: 1};
	server.get('/', (_request, response) => {
		response.status(400).json(body);
	});

	const error = await throwsAsync(expect, ky.get(server.url, {
		parseJson(text, {request, response}) {
			expect(request instanceof Request).toBe(true);
			expect(response instanceof Response).toBe(true);
			expect(response.status).toBe(400);
			expect(request.url.includes(server.url)).toBe(true);
			const data = JSON.parse(text) as Record<string, unknown>;
			data.custom = true;
			return data;
		},
	}));
	expect(error?.data).toStrictEqual({value: 1, custom: true});
});

test.concurrent('HTTPError#data async parseJson receives context', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	const body = {value: 1};
	server.get('/', (_request, response) => {
		response.status(400).json(body);
	});

	const error = await throwsAsync(expect, ky.get(server.url, {
		async parseJson(text, {request, response}) {
			expect(request instanceof Request).toBe(true);
			expect(response instanceof Response).toBe(true);
			expect(response.status).toBe(400);
			expect(request.url.includes(server.url)).toBe(true);
			await Promise.resolve();
			const data = JSON.parse(text) as Record<string, unknown>;
			data.custom = true;
			return data;
		},
	}));
	expect(error?.data).toStrictEqual({value: 1, custom: true});
});

test.concurrent('HTTPError#data awaits async parseJson option', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	const body = {value: 1};
	server.get('/', (_request, response) => {
		response.status(400).json(body);
	});

	const error = await throwsAsync(expect, ky.get(server.url, {
		async parseJson(text) {
			await Promise.resolve();
			const data = JSON.parse(text) as Record<string, unknown>;
			data.custom = true;
			return data;
		},
	}));
	expect(error?.data).toStrictEqual({value: 1, custom: true});
});

test.concurrent('HTTPError#data is undefined when async parseJson rejects', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	const body = {value: 1};
	server.get('/', (_request, response) => {
		response.status(400).json(body);
	});

	const error = await throwsAsync(expect, ky.get(server.url, {
		async parseJson() {
			throw new Error('custom parse failure');
		},
	}));
	expect(error instanceof HTTPError).toBe(true);
	expect(error?.data).toBe(undefined);
});

test.concurrent('HTTPError#data does not hang when async parseJson never resolves', async ({expect}) => {
	const customFetch: typeof fetch = async () => new Response('{"error":"parse-timeout"}', {
		status: 500,
		headers: {'content-type': 'application/json'},
	});

	const start = Date.now();
	const error = await throwsAsync(expect, ky('https://example.com', {
		fetch: customFetch,
		retry: 0,
		timeout: 500,
		parseJson: async () => new Promise<never>(resolve => {
			void resolve;
		}),
	}));
	expect(error instanceof HTTPError).toBe(true);
	expect(error?.data).toBe(undefined);
	expect(Date.now() - start < 5000).toBe(true);
});

test.concurrent('HTTPError#data does not call parseJson for non-JSON responses', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		response.status(400).type('text/plain').send('plain text');
	});

	let didCallParseJson = false;
	const error = await throwsAsync(expect, ky.get(server.url, {
		retry: 0,
		parseJson() {
			didCallParseJson = true;
			return {shouldNot: 'run'};
		},
	}));

	expect(didCallParseJson).toBe(false);
	expect(error?.data).toBe('plain text');
});

test.concurrent('HTTPError#data is available in beforeError hooks', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	const body = {reason: 'bad request'};
	server.get('/', (_request, response) => {
		response.status(400).json(body);
	});

	let hookData: unknown;
	await throwsAsync(expect, ky.get(server.url, {
		hooks: {
			beforeError: [
				({error}) => {
					if (isHTTPError(error)) {
						hookData = error.data;
					}

					return error;
				},
			],
		},
	}));
	expect(hookData).toStrictEqual(body);
});

test.concurrent('HTTPError#data handles non-standard JSON content types', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	const body = {type: 'https://example.com/not-found', title: 'Not Found', status: 404};
	server.get('/', (_request, response) => {
		response.status(404).type('application/problem+json').send(JSON.stringify(body));
	});

	const error = await throwsAsync(expect, ky.get(server.url));
	expect(error?.data).toStrictEqual(body);
});

test.concurrent('HTTPError#data parses JSON for case-insensitive content types', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	const body = {error: 'case-insensitive'};
	server.get('/', (_request, response) => {
		response.status(400).set('content-type', 'Application/JSON; Charset=UTF-8').send(JSON.stringify(body));
	});

	const error = await throwsAsync(expect, ky.get(server.url, {retry: 0}));
	expect(error?.data).toStrictEqual(body);
});

test.concurrent('HTTPError#data does not parse non-JSON content types with json parameters', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	const body = '{"error":"plain text"}';
	server.get('/', (_request, response) => {
		response.status(400).set('content-type', 'text/plain; note=json').send(body);
	});

	const error = await throwsAsync(expect, ky.get(server.url, {retry: 0}));
	expect(error?.data).toBe(body);
});

test.concurrent('HTTPError#data is text for JSON-like but non-JSON media types', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	const body = '{"error":"sequence"}';
	server.get('/', (_request, response) => {
		response.status(400).set('content-type', 'application/json-seq').send(body);
	});

	const error = await throwsAsync(expect, ky.get(server.url, {retry: 0}));
	expect(error?.data).toBe(body);
});

test.concurrent('HTTPError#data is text for HTML error pages', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	const html = '<html><body>Bad Gateway</body></html>';
	server.get('/', (_request, response) => {
		response.status(502).type('text/html').send(html);
	});

	const error = await throwsAsync(expect, ky.get(server.url, {retry: 0}));
	expect(error?.data).toBe(html);
});

test.concurrent('HTTPError#data is text when no content-type header', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		response.removeHeader('content-type');
		response.status(500).end('plain error');
	});

	const error = await throwsAsync(expect, ky.get(server.url, {retry: 0}));
	expect(error?.data).toBe('plain error');
});

test.concurrent('HTTPError#data decodes stream text using response charset when provided', async ({expect}) => {
	const customFetch: typeof fetch = async () => {
		const body = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(Uint8Array.from([0x63, 0x61, 0x66, 0xE9]));
				controller.close();
			},
		});

		return new Response(body, {
			status: 500,
			headers: {'content-type': 'text/plain; charset=iso-8859-1'},
		});
	};

	const error = await throwsAsync(expect, ky('https://example.com', {
		fetch: customFetch,
		retry: 0,
		timeout: 500,
	}));
	expect(error?.data).toBe('café');
});

test.concurrent('HTTPError#data falls back to response.text() when response.body is null', async ({expect}) => {
	const body = {error: 'streamless'};
	const customFetch: typeof fetch = async () => {
		const response = new Response(JSON.stringify(body), {
			status: 500,
			headers: {'content-type': 'application/json'},
		});

		Object.defineProperty(response, 'body', {
			get() {
				return null;
			},
		});

		return response;
	};

	const error = await throwsAsync(expect, ky('https://example.com', {
		fetch: customFetch,
		retry: 0,
	}));
	expect(error?.data).toStrictEqual(body);
});

test.concurrent('HTTPError#data is preserved for slow error bodies when timeout is disabled', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		response.status(500).type('application/json');
		response.write('{"error":"');
		setTimeout(() => {
			response.end('slow"}');
		}, 1100);
	});

	const error = await throwsAsync(expect, ky.get(server.url, {
		retry: 0,
		timeout: false,
	}));
	expect(error?.data).toStrictEqual({error: 'slow'});
});

test.concurrent('HTTPError#data is preserved for slow error bodies when timeout is greater than 1 second', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		response.status(500).type('application/json');
		response.write('{"error":"');
		setTimeout(() => {
			response.end('slow"}');
		}, 1100);
	});

	const error = await throwsAsync(expect, ky.get(server.url, {
		retry: 0,
		timeout: 2000,
	}));
	expect(error?.data).toStrictEqual({error: 'slow'});
});

test.concurrent('response body is consumed after HTTPError is thrown', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		response.status(500).json({error: 'fail'});
	});

	const error = await throwsAsync(expect, ky.get(server.url, {retry: 0}));
	expect(error?.response.bodyUsed).toBe(true);
});

test.concurrent('HTTPError response body readers throw after data is populated', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		response.status(500).json({error: 'fail'});
	});

	const error = await throwsAsync(expect, ky.get(server.url, {retry: 0}));
	await throwsAsync(expect, error!.response.json());
});

test.concurrent('HTTPError does not hang on never-ending error response body when timeout is configured', async ({expect}) => {
	const customFetch: typeof fetch = async () => {
		const body = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new TextEncoder().encode('{"error":"partial"'));
			},
		});

		return new Response(body, {
			status: 500,
			headers: {'content-type': 'application/json'},
		});
	};

	const start = Date.now();
	const error = await throwsAsync(expect, ky('https://example.com', {
		fetch: customFetch,
		retry: 0,
		timeout: 50,
	}));
	expect(error instanceof HTTPError).toBe(true);
	expect(error?.data).toBe(undefined);
	expect(Date.now() - start < 2000).toBe(true);
});

test.concurrent('HTTPError timeout path cancels never-ending stream reader', async ({expect}) => {
	let didCancel = false;
	const customFetch: typeof fetch = async () => {
		const body = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new TextEncoder().encode('{"error":"partial"'));
			},
			cancel() {
				didCancel = true;
			},
		});

		return new Response(body, {
			status: 500,
			headers: {'content-type': 'application/json'},
		});
	};

	const error = await throwsAsync(expect, ky('https://example.com', {
		fetch: customFetch,
		retry: 0,
		timeout: 50,
	}));
	expect(error instanceof HTTPError).toBe(true);
	expect(error?.data).toBe(undefined);
	await new Promise(resolve => {
		setTimeout(resolve, 0);
	});
	expect(didCancel).toBe(true);
});

test.concurrent('HTTPError#data is undefined when error response body exceeds max size', async ({expect}) => {
	const customFetch: typeof fetch = async () => {
		const body = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new Uint8Array(11 * 1024 * 1024));
				controller.close();
			},
		});

		return new Response(body, {
			status: 500,
			headers: {'content-type': 'text/plain'},
		});
	};

	const error = await throwsAsync(expect, ky('https://example.com', {
		fetch: customFetch,
		retry: 0,
		timeout: 500,
	}));
	expect(error instanceof HTTPError).toBe(true);
	expect(error?.data).toBe(undefined);
});

test.concurrent('HTTPError does not throw TypeError when error response stream is already locked', async ({expect}) => {
	const customFetch: typeof fetch = async () => {
		const body = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new TextEncoder().encode('{"error":"locked"}'));
			},
		});

		return new Response(body, {
			status: 500,
			headers: {'content-type': 'application/json'},
		});
	};

	const error = await throwsAsync(expect, ky('https://example.com', {
		fetch: customFetch,
		retry: 0,
		timeout: false,
		hooks: {
			afterResponse: [
				({response}) => {
					void response.text();
					return response;
				},
			],
		},
	}));

	expect(error instanceof HTTPError).toBe(true);
	expect(error?.data).toBe(undefined);
});

test.concurrent('never-ending error response body is bounded and retry proceeds', async ({expect}) => {
	let requestCount = 0;

	const customFetch: typeof fetch = async () => {
		requestCount++;
		if (requestCount === 1) {
			const body = new ReadableStream<Uint8Array>({
				start(controller) {
					controller.enqueue(new TextEncoder().encode('{"error":"partial"'));
				},
			});

			return new Response(body, {
				status: 500,
				headers: {'content-type': 'application/json'},
			});
		}

		return new Response('ok');
	};

	const start = Date.now();
	const result = await ky('https://example.com', {
		fetch: customFetch,
		retry: {
			limit: 1,
			delay: () => 0,
		},
		timeout: 1000,
	}).text();
	expect(result).toBe('ok');
	expect(requestCount).toBe(2);
	// The body read is bounded by the per-attempt timeout, so the retry proceeds within a reasonable time
	expect(Date.now() - start < 3000).toBe(true);
});
