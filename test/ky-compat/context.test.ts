// Ported from ky's test/context.ts (https://github.com/sindresorhus/ky, commit 3419113), MIT licence:
// Copyright (c) Sindre Sorhus. See ./LICENSE. Converted from ava to vitest; ky's assertions are kept.
import {throwsAsync} from './helpers/assert.js';
import ky, {isHTTPError, test} from './subject.js';
import {createHttpTestServer} from './helpers/create-http-test-server.js';

test.concurrent('context is available in all hooks', async ({expect, onTestFinished}) => {
	expect.assertions(4);

	const server = await createHttpTestServer(onTestFinished);
	let requestCount = 0;
	server.get('/', (_request, response) => {
		requestCount++;
		if (requestCount === 1) {
			response.sendStatus(500);
		} else {
			response.json({success: true});
		}
	});

	const context = {id: '123'};

	await throwsAsync(
		expect,
		ky.get(server.url, {
			context,
			retry: {limit: 0},
			hooks: {
				beforeRequest: [
					({options}) => {
						expect(options.context).toStrictEqual(context);
					},
				],
				afterResponse: [
					async ({options}) => {
						expect(options.context).toStrictEqual(context);
					},
				],
				beforeError: [
					({error}) => {
						if (isHTTPError(error)) {
							expect(error.options.context).toStrictEqual(context);
						}

						return error;
					},
				],
			},
		}).json(),
	);

	// Test beforeRetry hook
	await ky.get(server.url, {
		context,
		retry: {limit: 1},
		hooks: {
			beforeRetry: [
				async ({options}) => {
					expect(options.context).toStrictEqual(context);
				},
			],
		},
	}).json();
});

test.concurrent('context works with ky.create and ky.extend', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		response.json({success: true});
	});

	const baseApi = ky.create({
		baseUrl: server.url,
		context: {base: 'value'},
	});

	await baseApi.get('', {
		hooks: {
			beforeRequest: [
				({options}) => {
					expect(options.context).toStrictEqual({base: 'value'});
				},
			],
		},
	}).json();

	const extendedApi = baseApi.extend({context: {extended: 'value'}});
	await extendedApi.get('', {
		context: {request: 'value'},
		hooks: {
			beforeRequest: [
				({options}) => {
					expect(options.context).toStrictEqual({base: 'value', extended: 'value', request: 'value'});
				},
			],
		},
	}).json();
});

test.concurrent('context is preserved across retries', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	let requestCount = 0;
	server.get('/', (_request, response) => {
		requestCount++;
		if (requestCount <= 2) {
			response.sendStatus(500);
		} else {
			response.json({success: true});
		}
	});

	const context = {id: 'session'};
	let beforeRequestCallCount = 0;
	let beforeRetryCallCount = 0;

	await ky.get(server.url, {
		context,
		retry: {limit: 2},
		hooks: {
			beforeRequest: [
				({options}) => {
					expect(options.context).toStrictEqual(context);
					beforeRequestCallCount++;
				},
			],
			beforeRetry: [
				({options}) => {
					expect(options.context).toStrictEqual(context);
					beforeRetryCallCount++;
				},
			],
		},
	}).json();

	expect(beforeRequestCallCount).toBe(1);
	expect(beforeRetryCallCount).toBe(2);
});

test.concurrent('context defaults to empty object when not provided', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		response.json({success: true});
	});

	await ky.get(server.url, {
		hooks: {
			beforeRequest: [({options}) => expect(options.context).toStrictEqual({})],
		},
	}).json();
});

test.concurrent('context is shallow merged', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		response.json({success: true});
	});

	const baseApi = ky.create({
		baseUrl: server.url,
		context: {
			auth: {apiKey: 'base', userId: 'user-123'},
			settings: {timeout: 5000},
		},
	});

	const extendedApi = baseApi.extend({
		context: {
			auth: {apiKey: 'extended'},
			settings: {retries: 3},
			newField: 'added',
		},
	});

	await extendedApi.get('', {
		hooks: {
			beforeRequest: [
				({options}) => {
					const context = options.context as any;
					expect(context.auth.apiKey).toBe('extended');
					expect(context.auth.userId).toBe(undefined);
					expect(context.settings.timeout).toBe(undefined);
					expect(context.settings.retries).toBe(3);
					expect(context.newField).toBe('added');
				},
			],
		},
	}).json();
});
