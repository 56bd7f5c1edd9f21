// Ported from ky's test/fetch.ts (https://github.com/sindresorhus/ky, commit 3419113), MIT licence:
// Copyright (c) Sindre Sorhus. See ./LICENSE. Converted from ava to vitest; ky's assertions are kept.
import ky, {test} from './subject.js';
import {createHttpTestServer} from './helpers/create-http-test-server.js';

const fixture = 'https://example.com/unicorn';

test.concurrent('fetch option takes a custom fetch function', async ({expect}) => {
	expect.assertions(10);

	const customFetch: typeof fetch = async input => {
		if (!(input instanceof Request)) {
			throw new TypeError('Expected to have input as request');
		}

		return new Response(input.url);
	};

	expect(await ky(fixture, {fetch: customFetch}).text()).toBe(fixture);
	expect(
		await ky(fixture, {
			fetch: customFetch,
			searchParams: {foo: 'bar'},
		}).text(),
	).toBe(`${fixture}?foo=bar`);
	expect(
		await ky(fixture, {
			fetch: customFetch,
			searchParams: {},
		}).text(),
	).toBe(`${fixture}`);
	expect(
		await ky(fixture, {
			fetch: customFetch,
			searchParams: [],
		}).text(),
	).toBe(`${fixture}`);
	expect(
		await ky(fixture, {
			fetch: customFetch,
			searchParams: new URLSearchParams(),
		}).text(),
	).toBe(`${fixture}`);
	expect(
		await ky(fixture, {
			fetch: customFetch,
			searchParams: '  ',
		}).text(),
	).toBe(`${fixture}`);
	expect(
		await ky(`${fixture}#hash`, {
			fetch: customFetch,
			searchParams: 'foo',
		}).text(),
	).toBe(`${fixture}?foo#hash`);
	expect(
		await ky(`${fixture}?old`, {
			fetch: customFetch,
			searchParams: 'new',
		}).text(),
	).toBe(`${fixture}?old&new`);
	expect(
		await ky(`${fixture}?old#hash`, {
			fetch: customFetch,
			searchParams: 'new',
		}).text(),
	).toBe(`${fixture}?old&new#hash`);
	expect(await ky('unicorn', {fetch: customFetch, prefix: `${fixture}/api/`}).text()).toBe(`${fixture}/api/unicorn`);
});

test.concurrent('options are correctly passed to Fetch #1', async ({expect}) => {
	expect.assertions(1);

	const cache = 'no-store';

	const customFetch: typeof fetch = async request => {
		expect(request.cache).toBe(cache);
		return new Response(request.url);
	};

	await ky(fixture, {cache, fetch: customFetch}).text();
});

test.concurrent('options are correctly passed to Fetch #2', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);

	server.post('/anything', (request, response) => {
		response.json({json: request.body});
	});

	const fixture = {x: true};
	const json = await ky.post(`${server.url}/anything`, {json: fixture}).json();
	// @ts-expect-error TS2339: ky does not type-check its tests
	expect(json.json).toStrictEqual(fixture);
});

test.concurrent('post with json does not hang when custom fetch consumes request body', async ({expect}) => {
	const fixture = {x: true};

	const customFetch: typeof fetch = async request => {
		expect(request.method).toBe('POST');
		const parsedBody = await request.json();

		return new Response(JSON.stringify({ok: true, parsedBody}), {
			headers: {
				'content-type': 'application/json',
			},
		});
	};

	const json = await ky.post('https://example.com/endpoint', {
		json: fixture,
		fetch: customFetch,
	}).json();

	expect(json).toStrictEqual({ok: true, parsedBody: fixture});
});

test.concurrent('unknown options are passed to fetch', async ({expect}) => {
	expect.assertions(1);

	const options = {next: {revalidate: 3600}};

	const customFetch: typeof fetch = async (request, init) => {
		expect(init.next).toBe(options.next);
		return new Response(request.url);
	};

	await ky(fixture, {...options, fetch: customFetch}).text();
});

test.concurrent('unknown options with falsy values are passed to fetch', async ({expect}) => {
	expect.assertions(3);

	const customFetch: typeof fetch = async (request, init) => {
		expect(init.customNull).toBe(null);
		expect(init.customFalse).toBe(false);
		expect(init.customZero).toBe(0);
		return new Response(request.url);
	};

	await ky(fixture, {
		// @ts-expect-error TS2353: ky does not type-check its tests
		customNull: null, customFalse: false, customZero: 0, fetch: customFetch,
	}).text();
});

test.concurrent('ky-specific options are not passed to fetch', async ({expect}) => {
	const customFetch: typeof fetch = async (request, init) => {
		expect(init.retry).toBe(undefined);
		expect(init.timeout).toBe(undefined);
		expect(init.hooks).toBe(undefined);
		expect(init.throwHttpErrors).toBe(undefined);
		expect(init.json).toBe(undefined);
		return new Response(request.url);
	};

	await ky(fixture, {retry: 3, timeout: 5000, fetch: customFetch}).text();
});

test.concurrent('fetch-only options like dispatcher are passed to fetch', async ({expect}) => {
	expect.assertions(1);

	const mockDispatcher = {name: 'custom-agent'};

	const customFetch: typeof fetch = async (request, init) => {
		expect(init.dispatcher).toBe(mockDispatcher);
		return new Response(request.url);
	};

	// @ts-expect-error TS2353: ky does not type-check its tests
	await ky(fixture, {dispatcher: mockDispatcher, fetch: customFetch}).text();
});

test.concurrent('priority option is passed to fetch', async ({expect}) => {
	expect.assertions(1);

	const customFetch: typeof fetch = async (request, init) => {
		expect(init.priority).toBe('high');
		return new Response(request.url);
	};

	await ky(fixture, {priority: 'high', fetch: customFetch}).text();
});

// ava runs a file's serial tests apart from its concurrent ones; vitest runs adjacent concurrent
// tests together, so the serial ones are gathered here, after the concurrent ones.
test('fetch-only options like dispatcher are passed to fetch even when Request is patched', async ({expect}) => {
	expect.assertions(1);

	const mockDispatcher = {name: 'custom-agent'};
	const originalDescriptor = Object.getOwnPropertyDescriptor(Request.prototype, 'dispatcher');

	try {
		Object.defineProperty(Request.prototype, 'dispatcher', {
			value: undefined,
			writable: true,
			enumerable: true,
			configurable: true,
		});

		const customFetch: typeof fetch = async (request, init) => {
			expect(init.dispatcher).toBe(mockDispatcher);
			return new Response(request.url);
		};

		// @ts-expect-error TS2353: ky does not type-check its tests
		await ky(fixture, {dispatcher: mockDispatcher, fetch: customFetch}).text();
	} finally {
		if (originalDescriptor) {
			Object.defineProperty(Request.prototype, 'dispatcher', originalDescriptor);
		} else {
			delete (Request.prototype as any).dispatcher;
		}
	}
});

test('vendor-specific options like `next` are passed to fetch even when Request is patched', async ({expect}) => {
	expect.assertions(1);

	const options = {next: {revalidate: 3600, tags: ['test']}};

	// Simulate Next.js edge runtime behavior by patching Request.prototype
	const originalDescriptor = Object.getOwnPropertyDescriptor(Request.prototype, 'next');

	try {
		// Patch Request.prototype to have a 'next' property (like Next.js does in edge runtime)
		Object.defineProperty(Request.prototype, 'next', {
			value: undefined,
			writable: true,
			enumerable: true,
			configurable: true,
		});

		const customFetch: typeof fetch = async (request, init) => {
			// Verify that the `next` option is still passed to fetch despite being on Request.prototype
			expect(init.next).toStrictEqual(options.next);
			return new Response(request.url);
		};

		await ky(fixture, {...options, fetch: customFetch}).text();
	} finally {
		// Restore original state
		if (originalDescriptor) {
			Object.defineProperty(Request.prototype, 'next', originalDescriptor);
		} else {
			delete (Request.prototype as any).next;
		}
	}
});
