// Ported from ky's test/memory-leak.ts (https://github.com/sindresorhus/ky, commit 3419113), MIT licence:
// Copyright (c) Sindre Sorhus. See ./LICENSE. Converted from ava to vitest; ky's assertions are kept.
import {ReadableStream} from 'node:stream/web';
import {throwsAsync} from './helpers/assert.js';
import LeakDetector from 'jest-leak-detector';
import ky, {NetworkError, type KyInstance, test} from './subject.js';
import {createHttpTestServer} from './helpers/create-http-test-server.js';

test.concurrent('shared abort signal must not cause memory leak of input', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		response.end('ok');
	});

	async function isKyLeaking(api: KyInstance) {
		let url: URL | undefined = new URL(`${server.url.toString()}?id=${Math.random()}`);
		const detector = new LeakDetector(url);

		await api.get(url);

		url = undefined;

		return detector.isLeaking();
	}

	const abortController = new AbortController();

	try {
		expect(await isKyLeaking(ky.extend({}))).toBe(false);
		expect(await isKyLeaking(ky.extend({signal: abortController.signal}))).toBe(false);
	} finally {
		abortController.abort();
	}
});

test.concurrent('failed stream request must not cause memory leak', async ({expect}) => {
	async function isStreamLeaking() {
		const stream: ReadableStream | undefined = ReadableStream.from([new TextEncoder().encode('Bell is Ringing.')]);
		const detector = new LeakDetector(stream);

		await throwsAsync(
			expect,
			ky.post('invalid:', {
				body: stream,
			}),
			{
				instanceOf: NetworkError,
			},
		);

		return detector.isLeaking();
	}

	expect(await isStreamLeaking()).toBe(false);
});
