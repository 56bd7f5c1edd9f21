// Ported from ky's test/retry.ts (https://github.com/sindresorhus/ky, commit 3419113), MIT licence:
// Copyright (c) Sindre Sorhus. See ./LICENSE. Converted from ava to vitest; ky's assertions are kept.
import process from 'node:process';
import {setTimeout as delay} from 'node:timers/promises';
import {throws, throwsAsync} from './helpers/assert.js';
import ky, {
	isKyItself,
	rejectsAsBadInput,
	NetworkError,
	TimeoutError,
	isKyError,
	isNetworkError,
	test,
} from './subject.js';
import {createHttpTestServer, type OnTestFinished} from './helpers/create-http-test-server.js';
import {parseRawBody} from './helpers/parse-body.js';
import {withPerformance} from './helpers/with-performance.js';

const fixture = 'fixture';
const defaultRetryCount = 2;
const retryAfterOn500 = 2;
const retryAfterOn413 = 2;
const retryAfterTimestampText = '1704067200';
const retryAfterTimestampScheduledDelay = 2_147_483_647;
const httpDateDayNames = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const httpDateLongDayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const httpDateMonths = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const formatHttpTime = (date: Date) => [
	date.getUTCHours(),
	date.getUTCMinutes(),
	date.getUTCSeconds(),
].map(value => value.toString().padStart(2, '0')).join(':');

const formatAsctimeDate = (date: Date) => {
	const day = date.getUTCDate().toString().padStart(2, ' ');

	return `${httpDateDayNames[date.getUTCDay()]} ${httpDateMonths[date.getUTCMonth()]} ${day} ${formatHttpTime(date)} ${date.getUTCFullYear()}`;
};

const formatRfc850Date = (date: Date) => {
	const day = date.getUTCDate().toString().padStart(2, '0');
	const year = (date.getUTCFullYear() % 100).toString().padStart(2, '0');

	return `${httpDateLongDayNames[date.getUTCDay()]}, ${day}-${httpDateMonths[date.getUTCMonth()]}-${year} ${formatHttpTime(date)} GMT`;
};

const withCapturedTimeouts = async (body: (scheduledDelays: number[]) => Promise<void>) => {
	const originalSetTimeout = globalThis.setTimeout;
	const scheduledDelays: number[] = [];

	globalThis.setTimeout = ((handler, delayMs, ...arguments_) => {
		if (typeof delayMs === 'number') {
			scheduledDelays.push(delayMs);
		}

		const testDelayMs = typeof delayMs === 'number' && delayMs > 1_000_000 ? 0 : delayMs;
		return originalSetTimeout(handler, testDelayMs, ...arguments_);
	}) as typeof globalThis.setTimeout;

	try {
		await body(scheduledDelays);
	} finally {
		globalThis.setTimeout = originalSetTimeout;
	}
};

const createSingleRetryHeaderServer = async (onTestFinished: OnTestFinished, headers: Record<string, string | number>) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;
		if (requestCount === 2) {
			response.end(fixture);
			return;
		}

		response.writeHead(429, headers);
		response.end('');
	});

	return {
		server,
		get requestCount() {
			return requestCount;
		},
	};
};

test.concurrent('network error', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;

		if (requestCount === defaultRetryCount + 1) {
			response.end(fixture);
		} else {
			response.status(99_999).end();
		}
	});

	expect(await ky(server.url).text()).toBe(fixture);
	expect(requestCount).toBe(defaultRetryCount + 1);
});

test.concurrent('status code 500', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;

		if (requestCount === defaultRetryCount + 1) {
			response.end(fixture);
		} else {
			response.sendStatus(500);
		}
	});

	expect(await ky(server.url).text()).toBe(fixture);
	expect(requestCount).toBe(defaultRetryCount + 1);
});

test.concurrent('only on defined status codes', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;

		if (requestCount === defaultRetryCount + 1) {
			response.end(fixture);
		} else {
			response.sendStatus(400);
		}
	});

	await throwsAsync(expect, ky(server.url).text(), {message: /Bad Request/});
	expect(requestCount).toBe(1);
});

test.concurrent('not on POST', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.post('/', (_request, response) => {
		requestCount++;

		if (requestCount === defaultRetryCount + 1) {
			response.end(fixture);
		} else {
			response.sendStatus(500);
		}
	});

	await throwsAsync(expect, ky.post(server.url).text(), {
		message: /Internal Server Error/,
	});
	expect(requestCount).toBe(1);
});

test.concurrent('QUERY retries by default', async ({expect, onTestFinished}) => {
	let requestCount = 0;
	const receivedBodies: unknown[] = [];
	const receivedMethods: string[] = [];

	const server = await createHttpTestServer(onTestFinished);
	server.all('/', (request, response) => {
		requestCount++;
		receivedMethods.push(request.method);
		receivedBodies.push(request.body);

		if (requestCount === defaultRetryCount + 1) {
			response.json(request.body);
		} else {
			response.sendStatus(500);
		}
	});

	const json = {
		foo: true,
	};

	const result = await ky.query(server.url, {
		json,
		retry: {
			delay: () => 0,
		},
	}).json();

	expect(result).toStrictEqual(json);
	expect(requestCount).toBe(defaultRetryCount + 1);
	expect(receivedMethods).toStrictEqual(['QUERY', 'QUERY', 'QUERY']);
	expect(receivedBodies).toStrictEqual([json, json, json]);
});

// steadfetch: run alone, not beside the file's concurrent tests — its duration is the assertion.
test('respect Retry-After: 0 and retry immediately', async ({expect, onTestFinished}) => {
	const retryCount = 4;
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;

		if (requestCount === retryCount + 1) {
			response.end(fixture);
		} else {
			response.writeHead(413, {
				'Retry-After': 0,
			});

			response.end('');
		}
	});

	await withPerformance({
		expect,
		expectedDuration: 4 + 4 + 4 + 4,
		async test() {
			expect(await ky(server.url, {
				retry: retryCount,
			}).text()).toBe(fixture);
		},
	});

	expect(requestCount).toBe(5);
});

// steadfetch: run alone, not beside the file's concurrent tests — its duration is the assertion.
test('RateLimit-Reset delay seconds are respected like Retry-After', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;

		if (requestCount === defaultRetryCount + 1) {
			response.end(fixture);
		} else {
			const header = (requestCount < 2) ? 'RateLimit-Reset' : 'Retry-After';
			response.writeHead(429, {
				[header]: 1,
			});

			response.end('');
		}
	});

	await withPerformance({
		expect,
		expectedDuration: 1000 + 1000,
		async test() {
			expect(await ky(server.url).text()).toBe(fixture);
		},
	});

	expect(requestCount).toBe(3);
});

test.concurrent('respect 413 Retry-After', async ({expect, onTestFinished}) => {
	const startTime = Date.now();
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;

		if (requestCount === defaultRetryCount + 1) {
			response.end((Date.now() - startTime).toString());
		} else {
			response.writeHead(413, {
				'Retry-After': retryAfterOn413,
			});
			response.end('');
		}
	});

	const timeElapsedInMs = Number(await ky(server.url).text());
	expect(timeElapsedInMs >= retryAfterOn413 * 1000).toBe(true);
	expect(requestCount).toBe(retryAfterOn413 + 1);
});

test.concurrent('respect 413 Retry-After with HTTP date', async ({expect, onTestFinished}) => {
	const startTime = Date.now();
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	server.get('/', (_request, response) => {
		requestCount++;
		if (requestCount === defaultRetryCount + 1) {
			response.end((Date.now() - startTime).toString());
		} else {
			// @NOTE we need to round up to the next second due to http-date resolution
			const date = new Date(Date.now() + ((retryAfterOn413 + 1) * 1000)).toUTCString();
			response.writeHead(413, {
				'Retry-After': date,
			});
			response.end('');
		}
	});

	const timeElapsedInMs = Number(await ky(server.url).text());
	expect(timeElapsedInMs >= retryAfterOn413 * 1000).toBe(true);
	expect(requestCount).toBe(retryAfterOn413 + 1);
});

test.concurrent('doesn\'t retry on 413 without Retry-After header', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;
		response.sendStatus(413);
	});

	await throwsAsync(expect, ky(server.url).text(), {message: /Payload Too Large/});
	expect(requestCount).toBe(1);
	await ky(server.url, {throwHttpErrors: false}).text();
	expect(requestCount).toBe(2);
});

test.concurrent('respect custom `afterStatusCodes` (500) with Retry-After header', async ({expect, onTestFinished}) => {
	const startTime = Date.now();
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;

		if (requestCount === defaultRetryCount + 1) {
			response.end((Date.now() - startTime).toString());
		} else {
			response.writeHead(500, {
				'Retry-After': retryAfterOn500,
			});
			response.end('');
		}
	});

	const timeElapsedInMs = Number(await ky(server.url, {retry: {afterStatusCodes: [500]}}).text());
	expect(timeElapsedInMs >= retryAfterOn500 * 1000).toBe(true);
	expect(requestCount).toBe(retryAfterOn500 + 1);
});

test.concurrent('custom `afterStatusCodes` does not retry statuses missing from `statusCodes`', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;
		response.writeHead(400, {
			'Retry-After': 1,
		});
		response.end('');
	});

	await throwsAsync(
		expect,
		ky(server.url, {
			retry: {
				afterStatusCodes: [400],
			},
		}).text(),
		{
			message: /Bad Request/,
		},
	);
	expect(requestCount).toBe(1);
});

test.concurrent('respect number of retries', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;
		response.sendStatus(408);
	});

	await throwsAsync(
		expect,
		ky(server.url, {
			retry: {
				limit: 3,
			},
		}).text(),
		{
			message: /Request Timeout/,
		},
	);
	expect(requestCount).toBe(4);
});

test.concurrent('respect retry methods', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.post('/', (_request, response) => {
		requestCount++;
		response.sendStatus(408);
	});

	server.get('/', (_request, response) => {
		requestCount++;
		response.sendStatus(408);
	});

	await throwsAsync(
		expect,
		ky(server.url, {
			method: 'post',
			retry: {
				limit: 3,
				methods: ['get'],
			},
		}).text(),
		{
			message: /Request Timeout/,
		},
	);
	expect(requestCount).toBe(1);

	requestCount = 0;
	await throwsAsync(
		expect,
		ky(server.url, {
			retry: {
				limit: 2,
				methods: ['get'],
			},
		}).text(),
		{
			message: /Request Timeout/,
		},
	);
	expect(requestCount).toBe(defaultRetryCount + 1);
});

// steadfetch: run alone, not beside the file's concurrent tests — its duration is the assertion.
test('respect maxRetryAfter', async ({expect, onTestFinished}) => {
	const retryCount = 4;
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;

		if (requestCount === retryCount + 1) {
			response.end(fixture);
		} else {
			response.writeHead(413, {
				'Retry-After': 1,
			});

			response.end('');
		}
	});

	await withPerformance({
		expect,
		expectedDuration: 420 + 420 + 420 + 420,
		async test() {
			expect(await ky(server.url, {
				retry: {
					limit: retryCount,
					maxRetryAfter: 420,
				},
			}).text()).toBe(fixture);
		},
	});

	expect(requestCount).toBe(5);

	requestCount = 0;

	await withPerformance({
		expect,
		expectedDuration: 1000 + 1000 + 1000 + 1000,
		async test() {
			expect(await ky(server.url, {
				// steadfetch default differs: staleCache.networkTimeoutMs (the first phase stored a copy, which would answer after 3 s)
				// @ts-expect-error a steadfetch per-call option, not in ky's Options
				staleCache: { networkTimeoutMs: false },
				retry: {
					limit: retryCount,
					maxRetryAfter: 2000,
				},
			}).text()).toBe(fixture);
		},
	});

	expect(requestCount).toBe(5);
});

test.concurrent('retry - can provide retry as number', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', async (_request, response) => {
		requestCount++;
		response.sendStatus(408);
	});

	await throwsAsync(expect, ky(server.url, {retry: 4}).text(), {
		message: /Request Timeout/,
	});
	expect(requestCount).toBe(5);
});

test.concurrent('retry - extending a numeric `retry` with an object keeps the limit', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', async (_request, response) => {
		requestCount++;
		response.sendStatus(408);
	});

	// `retry: 3` is shorthand for `{limit: 3}`. Extending it with an object
	// should preserve that limit instead of falling back to the default.
	const extended = ky.create({retry: 3}).extend({retry: {methods: ['get']}});

	await throwsAsync(expect, extended(server.url).text(), {
		message: /Request Timeout/,
	});
	expect(requestCount).toBe(4);
});

test.concurrent('retry - shorthand expansion does not rewrite nested user data with a `retry` key', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.post('/', (request, response) => {
		response.json({body: request.body});
	});

	// A `retry` key inside the `json` body is user data, not the `retry` option,
	// so the number-to-`{limit}` shorthand must not touch it.
	const client = ky.create({json: {retry: 3}}).extend({json: {retry: {foo: 'bar'}}});

	const {body} = await client.post(server.url).json<{body: {retry: unknown}}>();
	expect(body.retry).toStrictEqual({foo: 'bar'});
});

test.concurrent('doesn\'t retry on 413 with empty statusCodes and methods', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);

	server.get('/', async (_request, response) => {
		requestCount++;
		response.sendStatus(413);
	});

	await throwsAsync(
		expect,
		ky(server.url, {
			retry: {
				limit: 10,
				statusCodes: [],
				methods: [],
			},
		}).text(),
		{
			message: /Payload Too Large/,
		},
	);

	expect(requestCount).toBe(1);
});

test.concurrent('doesn\'t retry on 413 with empty methods', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', async (_request, response) => {
		requestCount++;
		response.sendStatus(413);
	});

	await throwsAsync(
		expect,
		ky(server.url, {
			retry: {
				limit: 10,
				methods: [],
			},
		}).text(),
		{
			message: /Payload Too Large/,
		},
	);

	expect(requestCount).toBe(1);
});

test.concurrent('does retry on 408 with methods provided as array', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', async (_request, response) => {
		requestCount++;
		response.sendStatus(408);
	});

	await throwsAsync(
		expect,
		ky(server.url, {
			retry: {
				limit: 3,
				methods: ['get'],
			},
		}).text(),
		{
			message: /Request Timeout/,
		},
	);

	expect(requestCount).toBe(4);
});

test.concurrent('does retry on 408 with methods provided as uppercase array', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', async (_request, response) => {
		requestCount++;
		response.sendStatus(408);
	});

	await throwsAsync(
		expect,
		ky(server.url, {
			retry: {
				limit: 3,
				methods: ['GET'],
			},
		}).text(),
		{
			message: /Request Timeout/,
		},
	);

	expect(requestCount).toBe(4);
});

test.concurrent('does retry on 408 with statusCodes provided as array', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', async (_request, response) => {
		requestCount++;
		response.sendStatus(408);
	});

	await throwsAsync(
		expect,
		ky(server.url, {
			retry: {
				limit: 3,
				statusCodes: [408],
			},
		}).text(),
		{
			message: /Request Timeout/,
		},
	);

	expect(requestCount).toBe(4);
});

test.concurrent('doesn\'t retry when retry.limit is set to 0', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;
		response.sendStatus(408);
	});

	await throwsAsync(
		expect,
		ky(server.url, {
			retry: {
				limit: 0,
			},
		}).text(),
		{
			message: /Request Timeout/,
		},
	);

	expect(requestCount).toBe(1);
});

test.concurrent('streaming body POST succeeds when retry.limit is 0', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	server.post('/', async (request, response) => {
		response.send(await parseRawBody(request));
	});

	const body = 'hello stream';
	const stream = new ReadableStream({
		start(controller) {
			controller.enqueue(new TextEncoder().encode(body));
			controller.close();
		},
	});

	const result = await ky.post(server.url, {
		// @ts-expect-error - Types are outdated.
		duplex: 'half',
		body: stream,
		retry: {limit: 0},
	}).text();

	expect(result).toBe(body);
});

test.concurrent('streaming body is canceled once when retry.limit is 0 and fetch throws', async ({expect}) => {
	let cancelCount = 0;
	const stream = new ReadableStream({
		start(controller) {
			controller.enqueue(new TextEncoder().encode('cancel me'));
		},
		cancel() {
			cancelCount++;
		},
	});

	const expectedError = new Error('fetch failed');
	let fetchCallCount = 0;
	await throwsAsync(expect, ky.post('https://example.com', {
		// @ts-expect-error - Types are outdated.
		duplex: 'half',
		body: stream,
		retry: {limit: 0},
		async fetch() {
			fetchCallCount++;
			throw expectedError;
		},
	}).text(), {
		is: expectedError,
	});

	expect(fetchCallCount).toBe(1);
	expect(cancelCount).toBe(1);
});

test.concurrent('streaming body POST retries and succeeds when retry.limit is above 0', async ({expect, onTestFinished}) => {
	let requestCount = 0;
	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	server.post('/', async (request, response) => {
		requestCount++;
		if (requestCount === 1) {
			response.sendStatus(408);
			return;
		}

		response.send(await parseRawBody(request));
	});

	const body = 'retry stream body';
	const stream = new ReadableStream({
		start(controller) {
			controller.enqueue(new TextEncoder().encode(body));
			controller.close();
		},
	});

	const result = await ky.post(server.url, {
		// @ts-expect-error - Types are outdated.
		duplex: 'half',
		body: stream,
		retry: {
			limit: 1,
			methods: ['post'],
			statusCodes: [408],
		},
	}).text();

	expect(result).toBe(body);
	expect(requestCount).toBe(2);
});

test.concurrent('throws when retry.methods is not an array', async ({expect, onTestFinished}) => {
	// steadfetch differs (API.md "Errors"): bad input rejects with InvalidRequestError, never a synchronous throw.
	const server = await createHttpTestServer(onTestFinished);

	await rejectsAsBadInput(
expect, () => {
		return ky(server.url, {
			retry: {
				// @ts-expect-error
				methods: 'get',
			},
		});
	});
});

test.concurrent('throws when retry.statusCodes is not an array', async ({expect, onTestFinished}) => {
	// steadfetch differs (API.md "Errors"): bad input rejects with InvalidRequestError, never a synchronous throw.
	const server = await createHttpTestServer(onTestFinished);

	await rejectsAsBadInput(
expect, () => {
		return ky(server.url, {
			retry: {
				// @ts-expect-error
				statusCodes: 403,
			},
		});
	});
});

test.concurrent('retry options ignore undefined overrides and keep defaults', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;
		response.sendStatus(500);
	});

	await throwsAsync(expect, ky(server.url, {
		retry: {
			limit: undefined,
		},
	}).text(), {message: /Internal Server Error/});

	// Default limit is 2, so request should be attempted 3 times
	expect(requestCount).toBe(defaultRetryCount + 1);
});

// steadfetch: run alone, not beside the file's concurrent tests — its duration is the assertion.
test('respect maximum backoffLimit', async ({expect, onTestFinished}) => {
	const retryCount = 4;
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;

		if (requestCount === retryCount + 1) {
			response.end(fixture);
		} else {
			response.sendStatus(500);
		}
	});

	await withPerformance({
		expect,
		expectedDuration: 300 + 600 + 1200 + 2400,
		async test() {
			expect(await ky(server.url, {
				// steadfetch default differs: retry.jitter (ky: none)
				retry: {limit: retryCount, jitter: undefined},
			}).text()).toBe(fixture);
		},
	});

	expect(requestCount).toBe(5);

	requestCount = 0;

	await withPerformance({
		expect,
		expectedDuration: 300 + 600 + 1000 + 1000,
		async test() {
			expect(await ky(server.url, {
				retry: {
					// steadfetch default differs: retry.jitter (ky: none)
					jitter: undefined,
					limit: retryCount,
					backoffLimit: 1000,
				},
				// steadfetch default differs: staleCache.networkTimeoutMs (the first phase stored a copy, which answered after 3 s
				// once the 2.9 s of delays and four requests took longer on a loaded machine: 4 requests, not 5)
				// @ts-expect-error a steadfetch per-call option, not in ky's Options
				staleCache: { networkTimeoutMs: false },
			}).text()).toBe(fixture);
		},
	});

	expect(requestCount).toBe(5);
});

// steadfetch: run alone, not beside the file's concurrent tests — its duration is the assertion.
test('backoffLimit: undefined treats as no limit (Infinity)', async ({expect, onTestFinished}) => {
	const retryCount = 4;
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;

		if (requestCount === retryCount + 1) {
			response.end(fixture);
		} else {
			response.sendStatus(500);
		}
	});

	// When backoffLimit is undefined, it should behave the same as no limit
	// (i.e., delays should not be clamped, same as default behavior)
	await withPerformance({
		expect,
		expectedDuration: 300 + 600 + 1200 + 2400,
		async test() {
			expect(await ky(server.url, {
				retry: {
					// steadfetch default differs: retry.jitter (ky: none)
					jitter: undefined,
					limit: retryCount,
					backoffLimit: undefined,
				},
			}).text()).toBe(fixture);
		},
	});

	expect(requestCount).toBe(5);
});

// steadfetch: run alone, not beside the file's concurrent tests — its duration is the assertion.
test('respect custom retry.delay', async ({expect, onTestFinished}) => {
	const retryCount = 4;
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;

		if (requestCount === retryCount + 1) {
			response.end(fixture);
		} else {
			response.sendStatus(500);
		}
	});

	await withPerformance({
		expect,
		expectedDuration: 200 + 300 + 400 + 500,
		async test() {
			expect(await ky(server.url, {
				retry: {
					// steadfetch default differs: retry.jitter (ky: none)
					jitter: undefined,
					limit: retryCount,
					delay: n => 100 * (n + 1),
				},
			}).text()).toBe(fixture);
		},
	});

	expect(requestCount).toBe(5);
});

test.concurrent('jitter: true applies full jitter to delay', async ({expect, onTestFinished}) => {
	const retryCount = 3;
	let requestCount = 0;
	const delays: number[] = [];
	let lastTime = Date.now();

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		const now = Date.now();
		if (requestCount > 0) {
			delays.push(now - lastTime);
		}

		lastTime = now;
		requestCount++;

		if (requestCount === retryCount + 1) {
			response.end(fixture);
		} else {
			response.sendStatus(500);
		}
	});

	await ky(server.url, {
		retry: {
			limit: retryCount,
			jitter: true,
		},
	}).text();

	expect(requestCount).toBe(4);

	// Full jitter should produce delays between 0 and the computed delay
	// Add 50% tolerance for system overhead and CI variability
	expect(delays[0] >= 0 && delays[0] <= 450).toBe(true);
	expect(delays[1] >= 0 && delays[1] <= 900).toBe(true);
	expect(delays[2] >= 0 && delays[2] <= 1800).toBe(true);
});

test.concurrent('jitter: custom function applies custom jitter', async ({expect, onTestFinished}) => {
	const retryCount = 3;
	let requestCount = 0;
	const jitterCalls: number[] = [];

	const customJitter = (delay: number) => {
		jitterCalls.push(delay);
		return delay * 0.5; // Half the delay
	};

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;

		if (requestCount === retryCount + 1) {
			response.end(fixture);
		} else {
			response.sendStatus(500);
		}
	});

	await ky(server.url, {
		retry: {
			limit: retryCount,
			jitter: customJitter,
		},
	}).text();

	expect(requestCount).toBe(4);
	expect(jitterCalls.length).toBe(3); // Called for each retry

	// Verify the jitter function received the correct delays
	expect(jitterCalls[0]).toBe(300); // First retry
	expect(jitterCalls[1]).toBe(600); // Second retry
	expect(jitterCalls[2]).toBe(1200); // Third retry
});

test.concurrent('jitter respects backoffLimit', async ({expect, onTestFinished}) => {
	const retryCount = 3;
	let requestCount = 0;
	const delays: number[] = [];
	let lastTime = Date.now();

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		const now = Date.now();
		if (requestCount > 0) {
			delays.push(now - lastTime);
		}

		lastTime = now;
		requestCount++;

		if (requestCount === retryCount + 1) {
			response.end(fixture);
		} else {
			response.sendStatus(500);
		}
	});

	await ky(server.url, {
		retry: {
			limit: retryCount,
			backoffLimit: 500,
			jitter: true,
		},
	}).text();

	expect(requestCount).toBe(4);

	// With backoffLimit of 500, all delays should be <= 500ms
	// Even though the computed delays would be 300, 600, 1200
	// After jitter and backoffLimit, they should all be <= 500
	// Add 50% tolerance for system overhead and CI variability
	expect(delays[0] >= 0 && delays[0] <= 750).toBe(true);
	expect(delays[1] >= 0 && delays[1] <= 750).toBe(true);
	expect(delays[2] >= 0 && delays[2] <= 750).toBe(true);
});

test.concurrent('jitter works with custom delay function', async ({expect, onTestFinished}) => {
	const retryCount = 2;
	let requestCount = 0;
	const jitterCalls: number[] = [];

	const customJitter = (delay: number) => {
		jitterCalls.push(delay);
		return delay * 0.5;
	};

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;

		if (requestCount === retryCount + 1) {
			response.end(fixture);
		} else {
			response.sendStatus(500);
		}
	});

	await ky(server.url, {
		retry: {
			limit: retryCount,
			delay: n => 100 * n, // Custom delay: 100ms, 200ms, etc.
			jitter: customJitter,
		},
	}).text();

	expect(requestCount).toBe(3);
	expect(jitterCalls.length).toBe(2);
	expect(jitterCalls[0]).toBe(100); // First retry with custom delay
	expect(jitterCalls[1]).toBe(200); // Second retry with custom delay
});

test.concurrent('jitter is not applied when Retry-After header is present', async ({expect, onTestFinished}) => {
	const startTime = Date.now();
	let requestCount = 0;
	const jitterCalls: number[] = [];

	const customJitter = (delay: number) => {
		jitterCalls.push(delay);
		return delay * 0.5;
	};

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;

		if (requestCount === 3) {
			response.end((Date.now() - startTime).toString());
		} else {
			response.writeHead(429, {
				'Retry-After': 1,
			});
			response.end('');
		}
	});

	const timeElapsedInMs = Number(await ky(server.url, {
		retry: {
			jitter: customJitter,
		},
	}).text());

	// Should have made 3 requests (initial + 2 retries)
	expect(requestCount).toBe(3);
	// Jitter function should NOT have been called when Retry-After is present
	expect(jitterCalls.length).toBe(0);
	// Should have waited at least 2 seconds (1s per retry)
	expect(timeElapsedInMs >= 2000).toBe(true);
});

test.concurrent('retryOnTimeout: false (default) - does not retry on timeout', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', async (_request, response) => {
		requestCount++;
		// Delay longer than timeout to trigger timeout
		await delay(1000);
		response.end(fixture);
	});

	await throwsAsync(
		expect,
		ky(server.url, {
			timeout: 500,
			retry: {
				// steadfetch default differs: retry.retryOnTimeout (ky: false)
				retryOnTimeout: false,
				limit: 3,
			},
		}).text(),
		{
			name: 'TimeoutError',
		},
	);

	expect(requestCount).toBe(1); // Should not retry
});

test.concurrent('timeout: false does not throw TimeoutError during retries', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;
		if (requestCount === 1) {
			response.sendStatus(500);
			return;
		}

		response.end(fixture);
	});

	const result = await ky(server.url, {
		timeout: false,
		retry: {
			limit: 1,
		},
	}).text();

	expect(result).toBe(fixture);
	expect(requestCount).toBe(2);
});

test.concurrent('retryOnTimeout: each retry gets the full per-attempt timeout', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', async (_request, response) => {
		requestCount++;
		if (requestCount <= 2) {
			// Delay longer than timeout to trigger timeout
			await delay(1000);
			response.end(fixture);
			return;
		}

		response.end(fixture);
	});

	const result = await ky(server.url, {
		timeout: 500,
		retry: {
			limit: 3,
			retryOnTimeout: true,
			delay: () => 0,
		},
	}).text();

	expect(result).toBe(fixture);
	expect(requestCount).toBe(3);
});

test.concurrent('totalTimeout takes precedence over retry limit', async ({expect}) => {
	let requestCount = 0;

	const customFetch: typeof fetch = async () => {
		requestCount++;
		// Each attempt takes 300ms
		await delay(300);
		return new Response('', {status: 500});
	};

	await throwsAsync(
		expect,
		ky('https://example.com', {
			fetch: customFetch,
			totalTimeout: 500,
			// steadfetch default differs: retry.retryOnTimeout (ky: false). With it on, an attempt that the total
			// budget's timer ends a fraction of a ms early (Node timers vs performance.now()) may be retried.
			retry: {
				limit: 10,
				delay: () => 0,
				retryOnTimeout: false,
			},
		}).text(),
		{
			name: 'TimeoutError',
		},
	);
	// Each attempt takes ~300ms. With 500ms totalTimeout, only 1-2 attempts fit
	// before the budget is exhausted (far fewer than the limit of 10).
	expect(requestCount >= 1 && requestCount <= 2).toBe(true);
});

test.concurrent('shouldRetry: returns true cannot exceed totalTimeout budget', async ({expect}) => {
	let requestCount = 0;

	const customFetch: typeof fetch = async () => {
		requestCount++;
		await delay(300);
		return new Response('', {status: 500});
	};

	await throwsAsync(
		expect,
		ky('https://example.com', {
			fetch: customFetch,
			totalTimeout: 500,
			retry: {
				limit: 5,
				shouldRetry: () => true,
				delay: () => 0,
			},
		}).text(),
		{
			name: 'TimeoutError',
		},
	);
	// At most 1-2 attempts fit within the 500ms totalTimeout (each takes ~300ms)
	expect(requestCount >= 1 && requestCount <= 2).toBe(true);
});

test.concurrent('shouldRetry: returns false - prevents retry', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;
		response.sendStatus(500); // Normally retriable
	});

	await throwsAsync(
		expect,
		ky(server.url, {
			retry: {
				limit: 3,
				shouldRetry: () => false, // Prevent all retries
			},
		}).text(),
		{
			message: /Internal Server Error/,
		},
	);

	expect(requestCount).toBe(1); // No retries
});

test.concurrent('shouldRetry: returns undefined - uses default retry logic', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;
		if (requestCount <= 2) {
			response.sendStatus(500); // Retriable
		} else {
			response.end(fixture);
		}
	});

	const result = await ky(server.url, {
		retry: {
			limit: 3,
			shouldRetry: () => undefined, // Fall through to default
		},
	}).text();

	expect(result).toBe(fixture);
	expect(requestCount).toBe(3); // Default retry behavior
});

test.concurrent('shouldRetry: receives correct state object', async ({expect, onTestFinished}) => {
	let requestCount = 0;
	const states: Array<{errorName: string; retryCount: number}> = [];

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;
		if (requestCount <= 2) {
			response.sendStatus(500);
		} else {
			response.end(fixture);
		}
	});

	await ky(server.url, {
		retry: {
			limit: 3,
			shouldRetry({error, retryCount}) {
				states.push({errorName: error.name, retryCount});
				return undefined; // Use default logic
			},
		},
	}).text();

	expect(states.length).toBe(2);
	expect(states[0].errorName).toBe('HTTPError');
	expect(states[0].retryCount).toBe(1); // First retry
	expect(states[1].errorName).toBe('HTTPError');
	expect(states[1].retryCount).toBe(2); // Second retry
});

test.concurrent('shouldRetry: custom business logic with HTTPError', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;
		if (requestCount === 1) {
			response.sendStatus(400);
		} else if (requestCount === 2) {
			response.sendStatus(500);
		} else {
			response.end(fixture);
		}
	});

	const result = await ky(server.url, {
		retry: {
			limit: 3,
			async shouldRetry({error, retryCount}) {
				const {HTTPError} = await import('./subject.js');
				if (error instanceof HTTPError) {
					const {status} = error.response;
					if (status === 400 && retryCount <= 1) {
						return true;
					}

					if (status >= 400 && status < 500) {
						return false;
					}
				}

				return undefined;
			},
		},
	}).text();

	expect(result).toBe(fixture);
	expect(requestCount).toBe(3);
});

test.concurrent('shouldRetry: error propagates if shouldRetry throws', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		response.sendStatus(500);
	});

	await throwsAsync(
		expect,
		ky(server.url, {
			retry: {
				limit: 3,
				shouldRetry() {
					throw new Error('shouldRetry failed');
				},
			},
		}).text(),
		{
			message: 'shouldRetry failed',
		},
	);
});

test.concurrent('shouldRetry: works with TimeoutError', async ({expect, onTestFinished}) => {
	let requestCount = 0;
	const errorNames: string[] = [];

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', async (_request, response) => {
		requestCount++;
		// Delay longer than timeout to trigger timeout
		await delay(1000);
		response.end(fixture);
	});

	await throwsAsync(
		expect,
		ky(server.url, {
			timeout: 500,
			retry: {
				limit: 3,
				async shouldRetry({error}) {
					errorNames.push(error.name);
					return error instanceof TimeoutError;
				},
			},
		}).text(),
		{
			name: 'TimeoutError',
		},
	);
	// Each retry gets the full per-attempt timeout, so shouldRetry is called for each of the 3 retries
	expect(errorNames).toStrictEqual(['TimeoutError', 'TimeoutError', 'TimeoutError']);
	expect(requestCount).toBe(4);
});

test.concurrent('each retry gets the full per-attempt timeout (not a shared budget)', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', async (_request, response) => {
		requestCount++;
		if (requestCount === 1) {
			// First attempt: consume most of a 2000ms timeout, then return 500
			await delay(1500);
			response.sendStatus(500);
			return;
		}

		// Second attempt: also takes 1500ms, which would fail if timeout were a shared budget
		// (only ~500ms would remain), but succeeds because each retry gets the full 2000ms
		await delay(1500);
		response.end(fixture);
	});

	const result = await ky(server.url, {
		timeout: 2000,
		retry: {
			limit: 1,
			delay: () => 0,
		},
	}).text();

	expect(result).toBe(fixture);
	expect(requestCount).toBe(2);
});

// steadfetch: run alone, not beside the file's concurrent tests — its duration is the assertion.
test('Retry-After delay is bounded by totalTimeout budget', async ({expect, onTestFinished}) => {
	let requestCount = 0;
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;
		response.writeHead(429, {
			'Retry-After': 5,
		});
		response.end('');
	});

	let timeoutError: Error | undefined;
	await withPerformance({
		expect,
		expectedDuration: 1000,
		async test() {
			timeoutError = await throwsAsync(expect, ky(server.url, {
				totalTimeout: 1000,
				retry: {
					limit: 15,
				},
			}).text());
		},
	});

	expect(timeoutError?.name).toBe('TimeoutError');
	expect(requestCount).toBe(1);
});

test.concurrent('shouldRetry: precedence over retryOnTimeout', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', async (_request, response) => {
		requestCount++;
		// Delay longer than timeout to trigger timeout
		await delay(1000);
		response.end(fixture);
	});

	await throwsAsync(
		expect,
		ky(server.url, {
			timeout: 500,
			retry: {
				limit: 3,
				retryOnTimeout: true, // Would retry
				shouldRetry: () => false, // But shouldRetry prevents it
			},
		}).text(),
		{
			name: 'TimeoutError',
		},
	);

	expect(requestCount).toBe(1); // No retries
});

test.concurrent('shouldRetry: works with synchronous function', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;
		if (requestCount <= 2) {
			response.sendStatus(400);
		} else {
			response.end(fixture);
		}
	});

	const result = await ky(server.url, {
		retry: {
			limit: 3,
			shouldRetry: () => true, // Sync function returning true
		},
	}).text();

	expect(result).toBe(fixture);
	expect(requestCount).toBe(3);
});

test.concurrent('shouldRetry: non-boolean return values fall through to default logic', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;
		if (requestCount <= 2) {
			response.sendStatus(500); // Retriable by default
		} else {
			response.end(fixture);
		}
	});

	// Test with various non-boolean return values - all should fall through
	const result = await ky(server.url, {
		retry: {
			limit: 3,
			shouldRetry: () => 42 as any, // Non-boolean (number) falls through
		},
	}).text();

	expect(result).toBe(fixture);
	expect(requestCount).toBe(3); // Should retry using default logic
});

test.concurrent('shouldRetry: receives proper Error instance even for HTTPError', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		response.sendStatus(404);
	});

	let receivedError: Error | undefined;

	await throwsAsync(
		expect,
		ky(server.url, {
			retry: {
				limit: 1,
				shouldRetry({error}) {
					receivedError = error;
					// Verify it's a proper Error instance
					expect(error instanceof Error).toBe(true);
					expect(error.name).toBe('HTTPError');
					return false;
				},
			},
		}).text(),
	);

	// Ensure shouldRetry was called
	expect(receivedError).toBeTruthy();
});

test.concurrent('shouldRetry: combines with default status code logic when returning undefined', async ({expect, onTestFinished}) => {
	let requestCount = 0;
	const capturedStatuses: number[] = [];

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;
		if (requestCount === 1) {
			response.sendStatus(500); // Retriable
		} else if (requestCount === 2) {
			response.sendStatus(404); // Not retriable
		} else {
			response.end(fixture);
		}
	});

	await throwsAsync(
		expect,
		ky(server.url, {
			retry: {
				limit: 3,
				async shouldRetry({error}) {
					const {HTTPError} = await import('./subject.js');
					if (error instanceof HTTPError) {
						capturedStatuses.push(error.response.status);
					}

					return undefined; // Fall through to default logic
				},
			},
		}).text(),
		{
			message: /Not Found/,
		},
	);

	// Should retry on 500, then fail on 404
	expect(requestCount).toBe(2);
	expect(capturedStatuses).toStrictEqual([500, 404]);
});

test.concurrent('shouldRetry: retryCount starts at 1 for first retry', async ({expect, onTestFinished}) => {
	const retryCounts: number[] = [];

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		response.sendStatus(500);
	});

	await throwsAsync(
		expect,
		ky(server.url, {
			retry: {
				limit: 3,
				shouldRetry({retryCount}) {
					retryCounts.push(retryCount);
					return retryCount < 3; // Stop at 3rd retry
				},
			},
		}).text(),
	);

	expect(retryCounts).toStrictEqual([1, 2, 3]);
});

test.concurrent('shouldRetry: handles Promise return value correctly', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;
		if (requestCount <= 2) {
			response.sendStatus(400);
		} else {
			response.end(fixture);
		}
	});

	const result = await ky(server.url, {
		retry: {
			limit: 3,
			shouldRetry: async () => true,
		},
	}).text();

	expect(result).toBe(fixture);
	expect(requestCount).toBe(3);
});

test.concurrent('shouldRetry: error propagates if shouldRetry returns rejected Promise', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		response.sendStatus(500);
	});

	await throwsAsync(
		expect,
		ky(server.url, {
			retry: {
				limit: 3,
				// eslint-disable-next-line @typescript-eslint/promise-function-async
				shouldRetry: () => Promise.reject(new Error('shouldRetry Promise rejected')),
			},
		}).text(),
		{
			message: 'shouldRetry Promise rejected',
		},
	);
});

test.concurrent('totalTimeout with timeout: false - per-attempt disabled, total enabled', async ({expect}) => {
	let requestCount = 0;

	const customFetch: typeof fetch = async () => {
		requestCount++;
		if (requestCount === 1) {
			// First attempt takes too long
			await delay(300);
			return new Response('', {status: 500});
		}

		return new Response('ok');
	};

	const result = await ky('https://example.com', {
		fetch: customFetch,
		timeout: false,
		totalTimeout: 2000,
		retry: {
			limit: 2,
			delay: () => 0,
		},
	}).text();

	expect(result).toBe('ok');
	expect(requestCount).toBe(2);
});

test.concurrent('totalTimeout with timeout: false - exceeds total budget', async ({expect}) => {
	let requestCount = 0;

	const customFetch: typeof fetch = async () => {
		requestCount++;
		await delay(600);
		return new Response('', {status: 500});
	};

	await throwsAsync(
		expect,
		ky('https://example.com', {
			fetch: customFetch,
			timeout: false,
			totalTimeout: 500,
			// steadfetch default differs: retry.retryOnTimeout (ky: false). With it on, an attempt that the total
			// budget's timer ends a fraction of a ms early (Node timers vs performance.now()) may be retried.
			retry: {
				limit: 5,
				delay: () => 0,
				retryOnTimeout: false,
			},
		}).text(),
		{
			name: 'TimeoutError',
		},
	);

	expect(requestCount).toBe(1);
});

test.concurrent('totalTimeout bounds hanging HTTPError body reads when timeout is disabled', {timeout: 2000}, async ({expect}) => {
	// ava: t.timeout(2000)
	let requestCount = 0;
	let hookError: Error | undefined;

	const customFetch: typeof fetch = async () => {
		requestCount++;

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

	await throwsAsync(
		expect,
		ky('https://example.com', {
			fetch: customFetch,
			timeout: false,
			totalTimeout: 250,
			retry: {
				limit: 5,
				delay: () => 0,
			},
			hooks: {
				beforeError: [
					({error}) => {
						hookError = error;
						error.message = 'http-error-body-timeout-beforeError';
						return error;
					},
				],
			},
		}).text(),
		{
			name: 'TimeoutError',
			message: 'http-error-body-timeout-beforeError',
		},
	);

	expect(requestCount).toBe(1);
	expect(hookError instanceof TimeoutError).toBe(true);
});

test.concurrent('totalTimeout bounds hanging HTTPError body reads when timeout is larger', {timeout: 2000}, async ({expect}) => {
	// ava: t.timeout(2000)
	let requestCount = 0;

	const customFetch: typeof fetch = async () => {
		requestCount++;

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

	await throwsAsync(
		expect,
		ky('https://example.com', {
			fetch: customFetch,
			timeout: 1000,
			totalTimeout: 250,
			retry: {
				limit: 5,
				delay: () => 0,
			},
		}).text(),
		{
			name: 'TimeoutError',
		},
	);

	expect(requestCount).toBe(1);
});

test.concurrent('totalTimeout bounds hanging HTTPError parseJson when timeout is disabled', {timeout: 2000}, async ({expect}) => {
	// ava: t.timeout(2000)
	let requestCount = 0;

	const customFetch: typeof fetch = async () => {
		requestCount++;
		return new Response('{"error":"parse-timeout"}', {
			status: 500,
			headers: {'content-type': 'application/json'},
		});
	};

	await throwsAsync(
		expect,
		ky('https://example.com', {
			fetch: customFetch,
			timeout: false,
			totalTimeout: 250,
			parseJson: async () => new Promise<never>(() => {
				// Intentionally never settles
			}),
			retry: {
				limit: 5,
				delay: () => 0,
			},
		}).text(),
		{
			name: 'TimeoutError',
		},
	);

	expect(requestCount).toBe(1);
});

test.concurrent('totalTimeout smaller than timeout - effective timeout is capped', async ({expect}) => {
	let requestCount = 0;

	const customFetch: typeof fetch = async () => {
		requestCount++;
		// Takes 800ms, within the 10s per-attempt timeout but exceeding 500ms totalTimeout
		await delay(800);
		return new Response('ok');
	};

	await throwsAsync(
		expect,
		ky('https://example.com', {
			fetch: customFetch,
			timeout: 10_000,
			totalTimeout: 500,
			retry: {
				limit: 2,
			},
		}).text(),
		{
			name: 'TimeoutError',
		},
	);

	expect(requestCount).toBe(1);
});

test.concurrent('totalTimeout: 0 throws immediately', async ({expect}) => {
	let fetchCalled = false;

	const customFetch: typeof fetch = async () => {
		fetchCalled = true;
		return new Response('ok');
	};

	await throwsAsync(
		expect,
		ky('https://example.com', {
			fetch: customFetch,
			totalTimeout: 0,
		}).text(),
		{
			name: 'TimeoutError',
		},
	);

	expect(fetchCalled).toBe(false);
});

test.concurrent('totalTimeout exceeding maxSafeTimeout throws RangeError', async ({expect}) => {
	const call = () => ky('https://example.com', {
		fetch: async () => new Response('ok'),
		totalTimeout: 2_147_483_648,
	}).text();
	// steadfetch differs (API.md "Option values"): a duration beyond 2147483647 ms is an InvalidRequestError
	// naming the option (its cause a RangeError), before any I/O.
	await (isKyItself
		? throwsAsync(expect, call(), {instanceOf: RangeError})
		: rejectsAsBadInput(expect, call, {instanceOf: RangeError, message: /^`totalTimeout` must be .* up to 2147483647/}));
});

test.concurrent('totalTimeout expires mid-delay between retries', async ({expect}) => {
	let requestCount = 0;

	const customFetch: typeof fetch = async () => {
		requestCount++;
		return new Response('', {status: 500});
	};

	await throwsAsync(
		expect,
		ky('https://example.com', {
			fetch: customFetch,
			totalTimeout: 200,
			retry: {
				limit: 5,
				// Delay is 500ms, longer than the remaining totalTimeout budget
				delay: () => 500,
				// steadfetch default differs: retry.jitter (ky: none)
				jitter: undefined,
			},
		}).text(),
		{
			name: 'TimeoutError',
		},
	);

	// First request succeeds quickly, but the 500ms delay exceeds the remaining budget
	expect(requestCount).toBe(1);
});

test.concurrent('totalTimeout caps total time while timeout caps each attempt', async ({expect}) => {
	let requestCount = 0;

	const customFetch: typeof fetch = async () => {
		requestCount++;
		// Each attempt takes 200ms (within 300ms per-attempt timeout)
		await delay(200);
		return new Response('', {status: 500});
	};

	await throwsAsync(
		expect,
		ky('https://example.com', {
			fetch: customFetch,
			timeout: 300,
			totalTimeout: 800,
			retry: {
				limit: 10,
				delay: () => 0,
			},
		}).text(),
		{
			name: 'TimeoutError',
		},
	);

	expect(requestCount >= 2 && requestCount < 10, `Expected totalTimeout to allow retries but cap below the retry limit, got ${requestCount}`).toBe(true);
});

test.concurrent('totalTimeout works with ky.create()', async ({expect}) => {
	let requestCount = 0;

	const customFetch: typeof fetch = async () => {
		requestCount++;
		await delay(600);
		return new Response('', {status: 500});
	};

	const api = ky.create({
		fetch: customFetch,
		totalTimeout: 500,
		// steadfetch default differs: retry.retryOnTimeout (ky: false). With it on, an attempt that the total
		// budget's timer ends a fraction of a ms early (Node timers vs performance.now()) may be retried.
		retry: {
			limit: 3,
			delay: () => 0,
			retryOnTimeout: false,
		},
	});

	await throwsAsync(expect, api('https://example.com').text(), {
		name: 'TimeoutError',
	});

	expect(requestCount).toBe(1);
});

test.concurrent('totalTimeout can be overridden via extend()', async ({expect}) => {
	let requestCount = 0;

	const customFetch: typeof fetch = async () => {
		requestCount++;
		await delay(10);
		if (requestCount <= 2) {
			return new Response('', {status: 500});
		}

		return new Response('ok');
	};

	const parent = ky.create({
		fetch: customFetch,
		totalTimeout: 1,
		retry: {
			limit: 3,
			delay: () => 0,
		},
	});

	// Override totalTimeout to a generous value
	const child = parent.extend({totalTimeout: 10_000});

	const result = await child('https://example.com').text();
	expect(result).toBe('ok');
	expect(requestCount).toBe(3);
});

test.concurrent('totalTimeout can be disabled via extend()', async ({expect}) => {
	let requestCount = 0;

	const customFetch: typeof fetch = async () => {
		requestCount++;
		if (requestCount === 1) {
			await delay(200);
			return new Response('', {status: 500});
		}

		return new Response('ok');
	};

	const parent = ky.create({
		fetch: customFetch,
		totalTimeout: 100,
		retry: {
			limit: 2,
			delay: () => 0,
		},
	});

	// Disable totalTimeout
	const child = parent.extend({totalTimeout: false});

	const result = await child('https://example.com').text();
	expect(result).toBe('ok');
	expect(requestCount).toBe(2);
});

test.concurrent('totalTimeout with retryOnTimeout: true caps total time across retries', async ({expect}) => {
	let requestCount = 0;

	const customFetch: typeof fetch = async () => {
		requestCount++;
		// Each attempt takes longer than the per-attempt timeout, so every attempt times out.
		await delay(300);
		return new Response('ok');
	};

	await throwsAsync(
		expect,
		ky('https://example.com', {
			fetch: customFetch,
			timeout: 100,
			totalTimeout: 2000,
			// steadfetch default differs: the breaker (on by default) opens after 5 failures in a row
			// @ts-expect-error a steadfetch per-call option, not in ky's Options
			breaker: false,
			retry: {
				limit: 30,
				retryOnTimeout: true,
				delay: () => 0,
			},
		}).text(),
		{
			name: 'TimeoutError',
		},
	);

	expect(requestCount >= 2 && requestCount < 30, `Expected retryOnTimeout to retry but totalTimeout to cap below the retry limit, got ${requestCount}`).toBe(true);
});

test.concurrent('NetworkError wraps fetch network errors', async ({expect}) => {
	const error = await throwsAsync(
		expect,
		ky('https://example.com', {
			retry: 0,
			async fetch() {
				throw new TypeError('Failed to fetch');
			},
		}),
	);

	expect(error instanceof NetworkError).toBe(true);
	expect(isNetworkError(error)).toBe(true);
	expect(isKyError(error)).toBe(true);
	expect(error.name).toBe('NetworkError');
	expect(error.request.url.includes('example.com')).toBe(true);
	expect(error.cause instanceof TypeError).toBe(true);
	expect((error.cause as TypeError).message).toBe('Failed to fetch');
	expect(error.message).toBe('Request failed due to a network error: GET https://example.com/');
});

test.concurrent('NetworkError wraps Safari network errors with domain', async ({expect}) => {
	const error = await throwsAsync(
		expect,
		ky('https://example.com', {
			retry: 0,
			async fetch() {
				const error = new TypeError('Load failed (api.example.com)');
				error.stack = undefined;
				throw error;
			},
		}),
	);

	expect(error instanceof NetworkError).toBe(true);
	expect(isNetworkError(error)).toBe(true);
	expect(error!.cause instanceof TypeError).toBe(true);
	expect((error!.cause as TypeError).message).toBe('Load failed (api.example.com)');
});

test.concurrent('NetworkError does not wrap stacked Safari Load failed errors with domain', async ({expect}) => {
	const error = await throwsAsync(
		expect,
		ky('https://example.com', {
			retry: 0,
			async fetch() {
				throw new TypeError('Load failed (api.example.com)');
			},
		}),
	);

	expect(error instanceof TypeError).toBe(true);
	expect(isNetworkError(error)).toBe(false);
	expect(error.message).toBe('Load failed (api.example.com)');
});

test.concurrent('non-network TypeError is not retried', async ({expect}) => {
	let fetchCallCount = 0;

	await throwsAsync(
		expect,
		ky('https://example.com', {
			retry: {
				limit: 2,
				delay: () => 0,
			},
			async fetch() {
				fetchCallCount++;
				throw new TypeError('Cannot read properties of undefined');
			},
		}),
		{instanceOf: TypeError},
	);

	expect(fetchCallCount).toBe(1);
});

test.concurrent('shouldRetry can force retry of non-network errors', async ({expect}) => {
	let fetchCallCount = 0;

	await throwsAsync(
		expect,
		ky('https://example.com', {
			retry: {
				limit: 2,
				delay: () => 0,
				shouldRetry: () => true,
			},
			async fetch() {
				fetchCallCount++;
				throw new TypeError('Cannot read properties of undefined');
			},
		}),
		{instanceOf: TypeError},
	);

	// 1 initial + 2 retries
	expect(fetchCallCount).toBe(3);
});

test.concurrent('NetworkError is retried by default', async ({expect}) => {
	let fetchCallCount = 0;

	const result = await ky('https://example.com', {
		retry: {
			limit: 2,
			delay: () => 0,
		},
		async fetch() {
			fetchCallCount++;
			if (fetchCallCount <= 2) {
				throw new TypeError('Failed to fetch');
			}

			return new Response('ok');
		},
	}).text();

	expect(result).toBe('ok');
	expect(fetchCallCount).toBe(3);
});

test.concurrent('NetworkError is not retried for non-retriable method (POST)', async ({expect}) => {
	let fetchCallCount = 0;

	const error = await throwsAsync(
		expect,
		ky.post('https://example.com', {
			retry: {
				limit: 2,
				delay: () => 0,
			},
			async fetch() {
				fetchCallCount++;
				throw new TypeError('Failed to fetch');
			},
		}),
	);

	expect(isNetworkError(error)).toBe(true);
	expect(fetchCallCount).toBe(1);
});

test.concurrent('shouldRetry receives NetworkError (not raw TypeError)', async ({expect}) => {
	let receivedError: Error | undefined;

	await throwsAsync(
		expect,
		ky('https://example.com', {
			retry: {
				limit: 1,
				delay: () => 0,
				shouldRetry({error}) {
					receivedError = error;
					return false;
				},
			},
			async fetch() {
				throw new TypeError('Failed to fetch');
			},
		}),
	);

	expect(isNetworkError(receivedError)).toBe(true);
	expect(receivedError!.cause instanceof TypeError).toBe(true);
});

test.concurrent('non-network TypeError is not wrapped in NetworkError', async ({expect}) => {
	const error = await throwsAsync(
		expect,
		ky('https://example.com', {
			retry: 0,
			async fetch() {
				throw new TypeError('Cannot read properties of undefined');
			},
		}),
	);

	expect(error instanceof TypeError).toBe(true);
	expect(isNetworkError(error)).toBe(false);
	expect(error.message).toBe('Cannot read properties of undefined');
});

test.concurrent('shouldRetry returning undefined for NetworkError falls through to default retry', async ({expect}) => {
	let fetchCallCount = 0;

	const result = await ky('https://example.com', {
		retry: {
			limit: 2,
			delay: () => 0,
			shouldRetry() {
				return undefined;
			},
		},
		async fetch() {
			fetchCallCount++;
			if (fetchCallCount <= 2) {
				throw new TypeError('Failed to fetch');
			}

			return new Response('ok');
		},
	}).text();

	expect(result).toBe('ok');
	expect(fetchCallCount).toBe(3);
});

test.concurrent('beforeError hook receives NetworkError with cause chain', async ({expect}) => {
	let receivedError: Error | undefined;

	await throwsAsync(
		expect,
		ky('https://example.com', {
			retry: 0,
			async fetch() {
				throw new TypeError('Failed to fetch');
			},
			hooks: {
				beforeError: [
					({error}) => {
						receivedError = error;
						return error;
					},
				],
			},
		}),
	);

	expect(receivedError instanceof NetworkError).toBe(true);
	expect(isNetworkError(receivedError)).toBe(true);
	expect(receivedError!.name).toBe('NetworkError');
	expect(receivedError!.cause instanceof TypeError).toBe(true);
	expect((receivedError!.cause as TypeError).message).toBe('Failed to fetch');
});

test.concurrent('NetworkError is thrown when timeout is disabled', async ({expect}) => {
	const error = await throwsAsync(
		expect,
		ky('https://example.com', {
			timeout: false,
			retry: 0,
			async fetch() {
				throw new TypeError('Failed to fetch');
			},
		}),
	);

	expect(isNetworkError(error)).toBe(true);
	expect(error.name).toBe('NetworkError');
	expect(error.cause instanceof TypeError).toBe(true);
});

// ava runs a file's serial tests apart from its concurrent ones; vitest runs adjacent concurrent
// tests together, so the serial ones are gathered here, after the concurrent ones.
test('Retry-After number is treated as delay seconds, not timestamp', async ({expect, onTestFinished}) => {
	const retryServer = await createSingleRetryHeaderServer(onTestFinished, {
		'Retry-After': retryAfterTimestampText,
	});

	await withCapturedTimeouts(async scheduledDelays => {
		expect(await ky(retryServer.server.url, {
			// steadfetch default differs: the breaker (on by default) honours Retry-After past maxRetryAfter (API.md)
			// @ts-expect-error a steadfetch per-call option, not in ky's Options
			breaker: false,
			// steadfetch default differs: totalTimeout (ky: none)
			totalTimeout: false,
			retry: {
				// steadfetch default differs: retry.maxRetryAfter (ky: no cap)
				maxRetryAfter: undefined,
				limit: 1,
			},
		}).text()).toBe(fixture);

		expect(scheduledDelays.includes(retryAfterTimestampScheduledDelay)).toBe(true);
	});

	expect(retryServer.requestCount).toBe(2);
});

test('invalid Retry-After number 0x10 falls back to retry delay', async ({expect, onTestFinished}) => {
	const retryServer = await createSingleRetryHeaderServer(onTestFinished, {
		'Retry-After': '0x10',
	});

	await withCapturedTimeouts(async scheduledDelays => {
		expect(await ky(retryServer.server.url, {
			timeout: false,
			retry: {
				// steadfetch default differs: retry.jitter (ky: none)
				jitter: undefined,
				limit: 1,
				delay: () => 10,
			},
		}).text()).toBe(fixture);

		expect(scheduledDelays.includes(10)).toBe(true);
	});

	expect(retryServer.requestCount).toBe(2);
});

test('X-RateLimit-Retry-After number is treated as delay seconds, not timestamp', async ({expect, onTestFinished}) => {
	const retryServer = await createSingleRetryHeaderServer(onTestFinished, {
		'X-RateLimit-Retry-After': retryAfterTimestampText,
	});

	await withCapturedTimeouts(async scheduledDelays => {
		expect(await ky(retryServer.server.url, {
			// steadfetch default differs: totalTimeout (ky: none)
			totalTimeout: false,
			retry: {
				// steadfetch default differs: retry.maxRetryAfter (ky: no cap)
				maxRetryAfter: undefined,
				limit: 1,
			},
		}).text()).toBe(fixture);

		expect(scheduledDelays.includes(retryAfterTimestampScheduledDelay)).toBe(true);
	});

	expect(retryServer.requestCount).toBe(2);
});

test('Retry-After takes precedence over RateLimit-Reset', async ({expect, onTestFinished}) => {
	const retryServer = await createSingleRetryHeaderServer(onTestFinished, {
		'Retry-After': '1',
		'RateLimit-Reset': retryAfterTimestampText,
	});

	await withCapturedTimeouts(async scheduledDelays => {
		expect(await ky(retryServer.server.url, {
			retry: {
				limit: 1,
			},
		}).text()).toBe(fixture);

		expect(scheduledDelays.includes(1000)).toBe(true);
		expect(scheduledDelays.includes(retryAfterTimestampScheduledDelay)).toBe(false);
	});

	expect(retryServer.requestCount).toBe(2);
});

test('invalid Retry-After does not fall back to RateLimit-Reset', async ({expect, onTestFinished}) => {
	const retryServer = await createSingleRetryHeaderServer(onTestFinished, {
		'Retry-After': '1e3',
		'RateLimit-Reset': retryAfterTimestampText,
	});

	await withCapturedTimeouts(async scheduledDelays => {
		expect(await ky(retryServer.server.url, {
			retry: {
				// steadfetch default differs: retry.jitter (ky: none)
				jitter: undefined,
				limit: 1,
				delay: () => 23,
			},
		}).text()).toBe(fixture);

		expect(scheduledDelays.includes(23)).toBe(true);
		expect(scheduledDelays.includes(retryAfterTimestampScheduledDelay)).toBe(false);
	});

	expect(retryServer.requestCount).toBe(2);
});

test('empty Retry-After does not fall back to RateLimit-Reset', async ({expect, onTestFinished}) => {
	const retryServer = await createSingleRetryHeaderServer(onTestFinished, {
		'Retry-After': '',
		'RateLimit-Reset': retryAfterTimestampText,
	});

	await withCapturedTimeouts(async scheduledDelays => {
		expect(await ky(retryServer.server.url, {
			retry: {
				// steadfetch default differs: retry.jitter (ky: none)
				jitter: undefined,
				limit: 1,
				delay: () => 31,
			},
		}).text()).toBe(fixture);

		expect(scheduledDelays.includes(31)).toBe(true);
		expect(scheduledDelays.includes(retryAfterTimestampScheduledDelay)).toBe(false);
	});

	expect(retryServer.requestCount).toBe(2);
});

test('non-standard Retry-After date falls back to retry delay', async ({expect, onTestFinished}) => {
	const retryServer = await createSingleRetryHeaderServer(onTestFinished, {
		'Retry-After': 'Sun Nov 06 1994 08:49:37 GMT',
	});

	await withCapturedTimeouts(async scheduledDelays => {
		expect(await ky(retryServer.server.url, {
			retry: {
				// steadfetch default differs: retry.jitter (ky: none)
				jitter: undefined,
				limit: 1,
				delay: () => 29,
			},
		}).text()).toBe(fixture);

		expect(scheduledDelays.includes(29)).toBe(true);
	});

	expect(retryServer.requestCount).toBe(2);
});

for (const [dateFormat, formatDate] of [
	['RFC 850', formatRfc850Date],
	['asctime', formatAsctimeDate],
] as const) {
	test(`Retry-After supports obsolete HTTP-date format: ${dateFormat}`, async ({expect, onTestFinished}) => {
		const retryAfterDate = formatDate(new Date(Date.now() + 2_000_000));
		const retryServer = await createSingleRetryHeaderServer(onTestFinished, {
			'Retry-After': retryAfterDate,
		});

		await withCapturedTimeouts(async scheduledDelays => {
			expect(await ky(retryServer.server.url, {
				// steadfetch default differs: the breaker (on by default) honours Retry-After past maxRetryAfter (API.md)
				// @ts-expect-error a steadfetch per-call option, not in ky's Options
				breaker: false,
				// steadfetch default differs: totalTimeout (ky: none)
				totalTimeout: false,
				retry: {
					// steadfetch default differs: retry.maxRetryAfter (ky: no cap)
					maxRetryAfter: undefined,
					limit: 1,
					delay: () => 13,
				},
			}).text()).toBe(fixture);

			expect(scheduledDelays.some(delay => delay > 1_000_000)).toBe(true);
			expect(scheduledDelays.includes(13)).toBe(false);
		});

		expect(retryServer.requestCount).toBe(2);
	});
}

test('Retry-After asctime HTTP-date is parsed as GMT', async ({expect, onTestFinished}) => {
	const retryAfterDate = formatAsctimeDate(new Date(Date.now() + 2_000_000));
	const retryServer = await createSingleRetryHeaderServer(onTestFinished, {
		'Retry-After': retryAfterDate,
	});

	const timeZone = process.env.TZ;
	try {
		process.env.TZ = 'Pacific/Kiritimati';
		await withCapturedTimeouts(async scheduledDelays => {
			expect(await ky(retryServer.server.url, {
				// steadfetch default differs: the breaker (on by default) honours Retry-After past maxRetryAfter (API.md)
				// @ts-expect-error a steadfetch per-call option, not in ky's Options
				breaker: false,
				// steadfetch default differs: totalTimeout (ky: none)
				totalTimeout: false,
				retry: {
					// steadfetch default differs: retry.maxRetryAfter (ky: no cap)
					maxRetryAfter: undefined,
					limit: 1,
					delay: () => 13,
				},
			}).text()).toBe(fixture);

			expect(scheduledDelays.some(delay => delay > 1_000_000)).toBe(true);
			expect(scheduledDelays.includes(13)).toBe(false);
		});
	} finally {
		if (timeZone === undefined) {
			delete process.env.TZ;
		} else {
			process.env.TZ = timeZone;
		}
	}

	expect(retryServer.requestCount).toBe(2);
});

test('Retry-After HTTP-date supports a leap second', async ({expect, onTestFinished}) => {
	const now = Date.now();
	const retryAfterInstant = new Date(now + 2_000_000);
	retryAfterInstant.setUTCSeconds(59, 0);
	const day = retryAfterInstant.getUTCDate().toString().padStart(2, '0');
	const hours = retryAfterInstant.getUTCHours().toString().padStart(2, '0');
	const minutes = retryAfterInstant.getUTCMinutes().toString().padStart(2, '0');
	const dayName = httpDateDayNames[retryAfterInstant.getUTCDay()];
	const month = httpDateMonths[retryAfterInstant.getUTCMonth()];
	const retryAfterDate = `${dayName}, ${day} ${month} ${retryAfterInstant.getUTCFullYear()} ${hours}:${minutes}:60 GMT`;
	const expectedDelay = retryAfterInstant.getTime() + 1000 - now;

	const retryServer = await createSingleRetryHeaderServer(onTestFinished, {
		'Retry-After': retryAfterDate,
	});

	const dateNow = Date.now;
	try {
		Date.now = () => now;
		await withCapturedTimeouts(async scheduledDelays => {
			expect(await ky(retryServer.server.url, {
				// steadfetch default differs: the breaker (on by default) honours Retry-After past maxRetryAfter (API.md)
				// @ts-expect-error a steadfetch per-call option, not in ky's Options
				breaker: false,
				// steadfetch default differs: totalTimeout (ky: none)
				totalTimeout: false,
				retry: {
					// steadfetch default differs: retry.maxRetryAfter (ky: no cap)
					maxRetryAfter: undefined,
					limit: 1,
					delay: () => 13,
				},
			}).text()).toBe(fixture);

			expect(scheduledDelays.includes(expectedDelay)).toBe(true);
			expect(scheduledDelays.includes(expectedDelay - 1000)).toBe(false);
			expect(scheduledDelays.includes(13)).toBe(false);
		});
	} finally {
		Date.now = dateNow;
	}

	expect(retryServer.requestCount).toBe(2);
});

test('Retry-After RFC 850 HTTP-date applies the two-digit year rule', async ({expect, onTestFinished}) => {
	const retryAfterDate = new Date(Date.now() + 2000);
	retryAfterDate.setUTCFullYear(retryAfterDate.getUTCFullYear() + 49);

	const retryServer = await createSingleRetryHeaderServer(onTestFinished, {
		'Retry-After': formatRfc850Date(retryAfterDate),
	});

	await withCapturedTimeouts(async scheduledDelays => {
		expect(await ky(retryServer.server.url, {
			// steadfetch default differs: totalTimeout (ky: none)
			totalTimeout: false,
			retry: {
				// steadfetch default differs: retry.maxRetryAfter (ky: no cap)
				maxRetryAfter: undefined,
				limit: 1,
				delay: () => 13,
			},
		}).text()).toBe(fixture);

		expect(scheduledDelays.some(delay => delay > 1_000_000)).toBe(true);
		expect(scheduledDelays.includes(13)).toBe(false);
	});

	expect(retryServer.requestCount).toBe(2);
});

test('Retry-After RFC 850 HTTP-date more than 50 years in the future is interpreted as past', async ({expect, onTestFinished}) => {
	const retryAfterDate = new Date(Date.now() + 2000);
	retryAfterDate.setUTCFullYear(retryAfterDate.getUTCFullYear() + 51);

	const retryServer = await createSingleRetryHeaderServer(onTestFinished, {
		'Retry-After': formatRfc850Date(retryAfterDate),
	});

	await withCapturedTimeouts(async scheduledDelays => {
		expect(await ky(retryServer.server.url, {
			retry: {
				limit: 1,
				delay: () => 13,
				maxRetryAfter: 1,
			},
		}).text()).toBe(fixture);

		expect(scheduledDelays.includes(0)).toBe(true);
		expect(scheduledDelays.includes(1)).toBe(false);
		expect(scheduledDelays.includes(13)).toBe(false);
	});

	expect(retryServer.requestCount).toBe(2);
});

test('invalid Retry-After HTTP-date components fall back to retry delay', async ({expect, onTestFinished}) => {
	const retryServer = await createSingleRetryHeaderServer(onTestFinished, {
		'Retry-After': 'Sun, 32 Dec 2030 25:99:99 GMT',
	});

	await withCapturedTimeouts(async scheduledDelays => {
		expect(await ky(retryServer.server.url, {
			retry: {
				// steadfetch default differs: retry.jitter (ky: none)
				jitter: undefined,
				limit: 1,
				delay: () => 17,
			},
		}).text()).toBe(fixture);

		expect(scheduledDelays.includes(17)).toBe(true);
	});

	expect(retryServer.requestCount).toBe(2);
});

test('RateLimit-Reset with time since epoch', async ({expect, onTestFinished}) => {
	const now = Date.UTC(2026, 0, 1);
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;

		if (requestCount === defaultRetryCount + 1) {
			response.end(fixture);
		} else {
			const oneSecondByDelta = 1;
			const threeSecondsByEpoch = (now / 1000) + 3;
			response.writeHead(429, {
				'RateLimit-Reset': (requestCount < 2) ? oneSecondByDelta : threeSecondsByEpoch,
			});

			response.end('');
		}
	});

	const dateNow = Date.now;
	try {
		Date.now = () => now;
		await withCapturedTimeouts(async scheduledDelays => {
			expect(await ky(server.url, {
				// steadfetch default differs: staleCache.networkTimeoutMs (its deadline is a timer too: the test reads the scheduled delays)
				// @ts-expect-error a steadfetch per-call option, not in ky's Options
				staleCache: { networkTimeoutMs: false },
			}).text()).toBe(fixture);

			expect(scheduledDelays.includes(1000)).toBe(true);
			expect(scheduledDelays.includes(3000)).toBe(true);
			expect(scheduledDelays.indexOf(1000) < scheduledDelays.indexOf(3000)).toBe(true);
			expect(scheduledDelays.includes(retryAfterTimestampScheduledDelay)).toBe(false);
		});
	} finally {
		Date.now = dateNow;
	}

	expect(requestCount).toBe(3);
});

test('empty RateLimit-Reset falls back to retry delay', async ({expect, onTestFinished}) => {
	const retryServer = await createSingleRetryHeaderServer(onTestFinished, {
		'RateLimit-Reset': '',
	});

	await withCapturedTimeouts(async scheduledDelays => {
		expect(await ky(retryServer.server.url, {
			retry: {
				// steadfetch default differs: retry.jitter (ky: none)
				jitter: undefined,
				limit: 1,
				delay: () => 37,
			},
		}).text()).toBe(fixture);

		expect(scheduledDelays.includes(37)).toBe(true);
	});

	expect(retryServer.requestCount).toBe(2);
});

test('empty RateLimit-Reset does not fall back to lower-priority reset alias', async ({expect, onTestFinished}) => {
	const retryServer = await createSingleRetryHeaderServer(onTestFinished, {
		'RateLimit-Reset': '',
		'X-RateLimit-Reset': retryAfterTimestampText,
	});

	await withCapturedTimeouts(async scheduledDelays => {
		expect(await ky(retryServer.server.url, {
			retry: {
				// steadfetch default differs: retry.jitter (ky: none)
				jitter: undefined,
				limit: 1,
				delay: () => 41,
			},
		}).text()).toBe(fixture);

		expect(scheduledDelays.includes(41)).toBe(true);
		expect(scheduledDelays.includes(retryAfterTimestampScheduledDelay)).toBe(false);
	});

	expect(retryServer.requestCount).toBe(2);
});

for (const rateLimitResetHeader of ['X-RateLimit-Reset', 'X-Rate-Limit-Reset']) {
	test(`${rateLimitResetHeader} supports time since epoch`, async ({expect, onTestFinished}) => {
		const now = Date.UTC(2026, 0, 1);
		const retryServer = await createSingleRetryHeaderServer(onTestFinished, {
			[rateLimitResetHeader]: (now / 1000) + 2,
		});

		const dateNow = Date.now;
		try {
			Date.now = () => now;
			await withCapturedTimeouts(async scheduledDelays => {
				expect(await ky(retryServer.server.url, {
					retry: {
						limit: 1,
						delay: () => 7,
						maxRetryAfter: 3500,
					},
				}).text()).toBe(fixture);

				expect(scheduledDelays.includes(2000)).toBe(true);
				expect(scheduledDelays.includes(3500)).toBe(false);
				expect(scheduledDelays.includes(7)).toBe(false);
			});
		} finally {
			Date.now = dateNow;
		}

		expect(retryServer.requestCount).toBe(2);
	});
}

test('invalid Retry-After header falls back to retry delay', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;
		if (requestCount === 1) {
			response.writeHead(429, {
				'Retry-After': 'not-a-valid-value',
			});
			response.end('');
			return;
		}

		response.end(fixture);
	});

	await withCapturedTimeouts(async scheduledDelays => {
		expect(await ky(server.url, {
			timeout: false,
			retry: {
				// steadfetch default differs: retry.jitter (ky: none)
				jitter: undefined,
				limit: 1,
				delay: () => 50,
				maxRetryAfter: 10,
			},
		}).text()).toBe(fixture);

		expect(scheduledDelays.includes(50)).toBe(true);
		expect(scheduledDelays.includes(10)).toBe(false);
	});

	expect(requestCount).toBe(2);
});

test('invalid 413 Retry-After header falls back to retry delay', async ({expect, onTestFinished}) => {
	let requestCount = 0;

	const server = await createHttpTestServer(onTestFinished);
	server.get('/', (_request, response) => {
		requestCount++;
		if (requestCount === 1) {
			response.writeHead(413, {
				'Retry-After': 'not-a-valid-value',
			});
			response.end('');
			return;
		}

		response.end(fixture);
	});

	await withCapturedTimeouts(async scheduledDelays => {
		expect(await ky(server.url, {
			timeout: false,
			retry: {
				// steadfetch default differs: retry.jitter (ky: none)
				jitter: undefined,
				limit: 1,
				delay: () => 50,
				maxRetryAfter: 10,
			},
		}).text()).toBe(fixture);

		expect(scheduledDelays.includes(50)).toBe(true);
		expect(scheduledDelays.includes(10)).toBe(false);
	});

	expect(requestCount).toBe(2);
});

test('totalTimeout is rechecked after per-attempt HTTPError body timeout', {timeout: 2000}, async ({expect}) => {
	// ava: t.timeout(2000)
	const originalPerformanceNow = globalThis.performance.now;
	let performanceNowCallCount = 0;
	let requestCount = 0;

	const customFetch: typeof fetch = async () => {
		requestCount++;

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

	globalThis.performance.now = () => {
		performanceNowCallCount++;
		return performanceNowCallCount < 4 ? 0 : 100;
	};

	try {
		await throwsAsync(
			expect,
			ky('https://example.com', {
				fetch: customFetch,
				timeout: 50,
				totalTimeout: 51,
				retry: 0,
			}).text(),
			{
				name: 'TimeoutError',
			},
		);
	} finally {
		globalThis.performance.now = originalPerformanceNow;
	}

	expect(requestCount).toBe(1);
	expect(performanceNowCallCount >= 4).toBe(true);
});
