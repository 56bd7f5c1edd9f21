// Ported from ky's test/prefix.ts (https://github.com/sindresorhus/ky, commit 3419113), MIT licence:
// Copyright (c) Sindre Sorhus. See ./LICENSE. Converted from ava to vitest; ky's assertions are kept.
import {throws} from './helpers/assert.js';
import ky, {rejectsAsBadInput, test} from './subject.js';
import {createHttpTestServer} from './helpers/create-http-test-server.js';

test.concurrent('prefix option', async ({expect, onTestFinished}) => {
	// steadfetch differs (API.md "Errors"): bad input rejects with InvalidRequestError, never a synchronous throw.
	const server = await createHttpTestServer(onTestFinished);
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

	expect(
		// @ts-expect-error {prefix: boolean} isn't officially supported
		await ky(`${server.url}/foo/bar`, {prefix: false}).text(),
	).toBe('/foo/bar');
	expect(await ky(`${server.url}/foo/bar`, {prefix: ''}).text()).toBe('/foo/bar');
	expect(await ky(new URL(`${server.url}/foo/bar`), {prefix: ''}).text()).toBe('/foo/bar');
	expect(await ky('foo/bar', {prefix: server.url}).text()).toBe('/foo/bar');
	expect(await ky('foo/bar', {prefix: new URL(server.url)}).text()).toBe('/foo/bar');
	expect(await ky('/bar', {prefix: `${server.url}/foo/`}).text()).toBe('/foo/bar');
	expect(await ky('/bar', {prefix: `${server.url}/foo`}).text()).toBe('/foo/bar');
	expect(await ky('//bar', {prefix: `${server.url}/foo`}).text()).toBe('/foo/bar');
	expect(await ky('/bar', {prefix: `${server.url}/foo//`}).text()).toBe('/foo/bar');
	expect(await ky('bar', {prefix: `${server.url}/foo/`}).text()).toBe('/foo/bar');
	expect(await ky('bar', {prefix: `${server.url}/foo`}).text()).toBe('/foo/bar');
	expect(await ky('bar', {prefix: new URL(`${server.url}/foo`)}).text()).toBe('/foo/bar');
	expect(await ky('', {prefix: server.url}).text()).toBe('/');
	expect(await ky('', {prefix: `${server.url}/`}).text()).toBe('/');
	expect(await ky('', {prefix: new URL(server.url)}).text()).toBe('/');
	expect(
		await ky(
			'bar',
			Object.assign(
				Object.create({prefixUrl: `${server.url}/api`}),
				{prefix: `${server.url}/foo`},
			),
		).text(),
	).toBe('/foo/bar');
	await rejectsAsBadInput(
		expect,
		() => {
			// @ts-expect-error TS2561: ky does not type-check its tests
			return ky(`${server.url}/unicorn`, {prefixUrl: ''});
		},
		{
			message: 'The `prefixUrl` option has been renamed `prefix` in v2 and enhanced to allow slashes in input. See also the new `baseUrl` option for improved flexibility with standard URL resolution: https://github.com/sindresorhus/ky#baseurl',
		},
	);
	await rejectsAsBadInput(
		expect,
		() => {
			// @ts-expect-error TS2561: ky does not type-check its tests
			return ky(`${server.url}/unicorn`, {prefixUrl: undefined});
		},
		{
			message: 'The `prefixUrl` option has been renamed `prefix` in v2 and enhanced to allow slashes in input. See also the new `baseUrl` option for improved flexibility with standard URL resolution: https://github.com/sindresorhus/ky#baseurl',
		},
	);

	await rejectsAsBadInput(
		expect,
		() => {
			// @ts-expect-error TS2561: ky does not type-check its tests
			return ky('/unicorn', {prefixUrl: `${server.url}/api`});
		},
		{
			message: 'The `prefixUrl` option has been renamed `prefix` in v2 and enhanced to allow slashes in input. See also the new `baseUrl` option for improved flexibility with standard URL resolution: https://github.com/sindresorhus/ky#baseurl',
		},
	);
	await rejectsAsBadInput(
		expect,
		() => {
			// @ts-expect-error TS2561: ky does not type-check its tests
			return ky(new Request(`${server.url}/unicorn`), {prefixUrl: `${server.url}/api`});
		},
		{
			message: 'The `prefixUrl` option has been renamed `prefix` in v2 and enhanced to allow slashes in input. See also the new `baseUrl` option for improved flexibility with standard URL resolution: https://github.com/sindresorhus/ky#baseurl',
		},
	);
	await rejectsAsBadInput(
		expect,
		() => {
			// @ts-expect-error TS2561: ky does not type-check its tests
			return ky(new URL(`${server.url}/unicorn`), {prefixUrl: `${server.url}/api`});
		},
		{
			message: 'The `prefixUrl` option has been renamed `prefix` in v2 and enhanced to allow slashes in input. See also the new `baseUrl` option for improved flexibility with standard URL resolution: https://github.com/sindresorhus/ky#baseurl',
		},
	);
});
