// Ported from ky's test/bytes.ts (https://github.com/sindresorhus/ky, commit 3419113), MIT licence:
// Copyright (c) Sindre Sorhus. See ./LICENSE. Converted from ava to vitest; ky's assertions are kept.
import {Buffer} from 'node:buffer';
import {throwsAsync} from './helpers/assert.js';
import ky, {test} from './subject.js';
import {createHttpTestServer} from './helpers/create-http-test-server.js';

const supportsBytes = typeof (globalThis.Response?.prototype as unknown as {bytes?: unknown})?.bytes === 'function';

test.concurrent('.bytes() returns Uint8Array when supported', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);

	server.get('/', (request, response) => {
		expect(request.headers.accept).toBe('*/*');
		// Send raw binary bytes
		response.end(Buffer.from([0, 1, 2, 255]));
	});

	if (!supportsBytes) {
		await ky(server.url).text();
		expect(true).toBe(true); // ava: t.pass()
		return;
	}

	const bytes = await ky(server.url).bytes();
	expect(bytes instanceof Uint8Array).toBe(true);
	expect([...bytes]).toStrictEqual([0, 1, 2, 255]);
});

test.concurrent('.bytes() throws on HTTP errors when supported', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);

	server.get('/', (_request, response) => {
		response.status(400).end('nope');
	});

	if (!supportsBytes) {
		await ky(server.url, {throwHttpErrors: false}).text();
		expect(true).toBe(true); // ava: t.pass()
		return;
	}

	await throwsAsync(expect, ky(server.url).bytes(), {message: /Bad Request/});
});
