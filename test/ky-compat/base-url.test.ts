// Ported from ky's test/base-url.ts (https://github.com/sindresorhus/ky, commit 3419113), MIT licence:
// Copyright (c) Sindre Sorhus. See ./LICENSE. Converted from ava to vitest; ky's assertions are kept.
import ky, {test} from './subject.js';
import {createHttpTestServer} from './helpers/create-http-test-server.js';

test.concurrent('baseUrl option', async ({expect}) => {
	const server = await createHttpTestServer();
	const serverHost = new URL(server.url).host;
	server.get('/', (_request, response) => {
		response.end('/');
	});
	server.get('/foo', (_request, response) => {
		response.end('/foo');
	});
	server.get('/bar', (_request, response) => {
		response.end('/bar');
	});
	server.get('/foo/bar', (_request, response) => {
		response.end('/foo/bar');
	});
	server.get('/api/v1/users', (_request, response) => {
		response.end('/api/v1/users');
	});

	expect(
		// @ts-expect-error {baseUrl: boolean} isn't officially supported
		await ky(`${server.url}/foo/bar`, {baseUrl: false}).text(),
	).toBe('/foo/bar');
	expect(await ky(`${server.url}/foo/bar`, {baseUrl: '/api'}).text()).toBe('/foo/bar');
	expect(await ky(`${server.url}/foo/bar`, {baseUrl: ''}).text()).toBe('/foo/bar');
	expect(await ky(new URL(`${server.url}/foo/bar`), {baseUrl: ''}).text()).toBe('/foo/bar');
	expect(await ky(new URL(`${server.url}/foo/bar`), {baseUrl: `${server.url}/api/`}).text()).toBe('/foo/bar');
	expect(await ky(new Request(`${server.url}/foo/bar`), {baseUrl: `${server.url}/api/`}).text()).toBe('/foo/bar');
	expect(await ky('foo/bar', {baseUrl: server.url}).text()).toBe('/foo/bar');
	expect(await ky(`//${serverHost}/foo/bar`, {baseUrl: `${server.url}/api/`}).text()).toBe('/foo/bar');
	expect(await ky('/users', {prefix: 'v1', baseUrl: `${server.url}/api/`}).text()).toBe('/api/v1/users');
	expect(await ky('foo/bar', {baseUrl: new URL(server.url)}).text()).toBe('/foo/bar');
	expect(await ky('/bar', {baseUrl: `${server.url}/foo/`}).text()).toBe('/bar');
	expect(await ky('/bar', {baseUrl: `${server.url}/foo`}).text()).toBe('/bar');
	expect(await ky('bar', {baseUrl: `${server.url}/foo/`}).text()).toBe('/foo/bar');
	expect(await ky('bar', {baseUrl: `${server.url}/foo`}).text()).toBe('/bar');
	expect(await ky('bar', {baseUrl: new URL(`${server.url}/foo`)}).text()).toBe('/bar');
	expect(await ky('', {baseUrl: server.url}).text()).toBe('/');
	expect(await ky('', {baseUrl: `${server.url}/`}).text()).toBe('/');
	expect(await ky('', {baseUrl: new URL(server.url)}).text()).toBe('/');

	await server.close();
});

test.concurrent('baseUrl is exposed on normalized hook options', async ({expect}) => {
	const server = await createHttpTestServer();
	let receivedBaseUrl: URL | string | undefined;

	server.get('/api/status', (_request, response) => {
		response.end('ok');
	});

	await ky('status', {
		baseUrl: `${server.url}/api/`,
		hooks: {
			beforeRequest: [
				({options}) => {
					receivedBaseUrl = options.baseUrl;
				},
			],
		},
	}).text();

	expect(receivedBaseUrl).toBe(`${server.url}/api/`);

	await server.close();
});
