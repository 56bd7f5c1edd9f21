// Ported from ky's test/methods.ts (https://github.com/sindresorhus/ky, commit 3419113), MIT licence:
// Copyright (c) Sindre Sorhus. See ./LICENSE. Converted from ava to vitest; ky's assertions are kept.
import {notThrowsAsync} from './helpers/assert.js';
import ky, {test} from './subject.js';
import {createHttpTestServer} from './helpers/create-http-test-server.js';

test.concurrent('common method is normalized', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.all('/', (_request, response) => {
		response.end();
	});

	await notThrowsAsync(
		expect,
		ky(server.url, {
			method: 'get',
			hooks: {
				beforeRequest: [
					({options}) => {
						expect(options.method).toBe('GET');
					},
				],
			},
		}),
	);
});

test.concurrent('method defaults to "GET"', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.all('/', (_request, response) => {
		response.end();
	});

	expect.assertions(2);

	await notThrowsAsync(
		expect,
		ky(server.url, {
			hooks: {
				beforeRequest: [
					({options}) => {
						expect(options.method).toBe('GET');
					},
				],
			},
		}),
	);
});

test.concurrent('QUERY method is normalized', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.all('/', (_request, response) => {
		response.end();
	});

	expect.assertions(1);

	await ky(server.url, {
		method: 'query',
		hooks: {
			beforeRequest: [
				({options}) => {
					expect(options.method).toBe('QUERY');
				},
			],
		},
	});
});

test.fails('custom method remains identical', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.all('/', (_request, response) => {
		response.end();
	});

	expect.assertions(1);

	await notThrowsAsync(
		// TODO: Is it correct for this to throw 400 status code?
		expect,
		// TODO: Is it correct for this to throw 400 status code?
		ky(server.url, {
			method: 'report',
			hooks: {
				beforeRequest: [
					({options}) => {
						expect(options.method).toBe('report');
					},
				],
			},
		}),
	);
});

test.concurrent('shortcut headers have correct accept headers set', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.all('/', (request, response) => {
		expect(request.headers.accept).toBe('text/*');
		response.end('whatever');
	});

	await ky.get(server.url).text();
});
