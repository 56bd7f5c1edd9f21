// Ported from ky's test/stream.ts (https://github.com/sindresorhus/ky, commit 3419113), MIT licence:
// Copyright (c) Sindre Sorhus. See ./LICENSE. Converted from ava to vitest; ky's assertions are kept.
import ky, {type Progress, test} from './subject.js';
import {createLargeBlob} from './helpers/create-large-file.js';
import {createHttpTestServer} from './helpers/create-http-test-server.js';
import {parseRawBody, parseJsonBody} from './helpers/parse-body.js';

test.concurrent('POST JSON with upload progress', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	server.post('/', async (request, response) => {
		response.json(await parseRawBody(request));
	});

	const json = {test: 'test'};
	const data: Progress[] = [];
	const chunks: string[] = [];
	const responseJson = await ky
		.post(server.url, {
			json,
			onUploadProgress(progress, chunk) {
				data.push(progress);
				chunks.push(new TextDecoder().decode(chunk));
			},
		})
		.json();

	// Check if we have at least two progress updates
	expect(data.length > 0, 'Should have at least one progress update').toBe(true);
	expect(
		chunks,
		'Should have chunks for all events',
	).toStrictEqual(
		[
			'{"test":"test"}',
		],
	);

	// Check the first progress update
	expect(
		data[0].percent >= 0 && data[0].percent <= 1,
		'First update should have progress between 0 and 100%',
	).toBe(true);
	expect(
		data[0].transferredBytes >= 0,
		'First update should have non-negative transferred bytes',
	).toBe(true);

	// Check intermediate updates (if any)
	for (let i = 1; i < data.length - 1; i++) {
		expect(
			data[i].percent >= data[i - 1].percent,
			`Update ${i} should have higher or equal percent than previous`,
		).toBe(true);
		expect(
			data[i].transferredBytes >= data[i - 1].transferredBytes,
			`Update ${i} should have more or equal transferred bytes than previous`,
		).toBe(true);
	}

	// Check the last progress update
	const lastUpdate = data.at(-1);
	expect(lastUpdate.percent, 'Last update should have 100% progress').toBe(1);
	expect(
		lastUpdate.totalBytes > 0,
		'Last update should have positive total bytes',
	).toBe(true);
	expect(
		lastUpdate.transferredBytes,
		'Last update should have transferred all bytes',
	).toBe(lastUpdate.totalBytes);
});

test.concurrent('multiple beforeRequest Request hooks do not duplicate upload progress events', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	server.post('/', async (request, response) => {
		response.json(await parseJsonBody<Record<string, unknown>>(request));
	});

	let completedUploadProgressEvents = 0;
	const payload = {test: 'test'};
	const responseJson = await ky
		.post(server.url, {
			json: payload,
			hooks: {
				beforeRequest: [
					({request}) => {
						const headers = new Headers(request.headers);
						headers.set('x-hook-1', 'hook-1');
						return new Request(request, {headers});
					},
					({request}) => {
						const headers = new Headers(request.headers);
						headers.set('x-hook-2', 'hook-2');
						return new Request(request, {headers});
					},
				],
			},
			onUploadProgress(progress) {
				if (progress.percent === 1) {
					completedUploadProgressEvents++;
				}
			},
		})
		.json<Record<string, unknown>>();

	expect(responseJson).toStrictEqual(payload);
	expect(completedUploadProgressEvents).toBe(1);
});

test.concurrent('multiple beforeRequest Request hooks do not duplicate upload progress events across retries', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	let requestCount = 0;
	server.post('/', async (request, response) => {
		requestCount++;
		if (requestCount === 1) {
			response.status(500).json({error: 'retry'});
			return;
		}

		response.json(await parseJsonBody<Record<string, unknown>>(request));
	});

	const completedUploadProgressEventsPerAttempt: number[] = [0];
	const payload = {test: 'retry'};
	const responseJson = await ky
		.post(server.url, {
			json: payload,
			retry: {
				limit: 1,
				methods: ['post'],
			},
			hooks: {
				beforeRequest: [
					({request}) => {
						const headers = new Headers(request.headers);
						headers.set('x-hook-1', 'hook-1');
						return new Request(request, {headers});
					},
					({request}) => {
						const headers = new Headers(request.headers);
						headers.set('x-hook-2', 'hook-2');
						return new Request(request, {headers});
					},
				],
				beforeRetry: [
					() => {
						completedUploadProgressEventsPerAttempt.push(0);
					},
				],
			},
			onUploadProgress(progress) {
				if (progress.percent !== 1) {
					return;
				}

				const currentAttemptIndex = completedUploadProgressEventsPerAttempt.length - 1;
				completedUploadProgressEventsPerAttempt[currentAttemptIndex]++;
			},
		})
		.json<Record<string, unknown>>();

	expect(responseJson).toStrictEqual(payload);
	expect(completedUploadProgressEventsPerAttempt).toStrictEqual([1, 1]);
});

test.concurrent('beforeRequest Request replacement preserves upload progress sizing', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	server.post('/', async (request, response) => {
		let totalBytes = 0;
		for await (const chunk of request) {
			totalBytes += chunk.length as number;
		}

		response.json({receivedBytes: totalBytes});
	});

	const largeBlob = createLargeBlob(10);
	const progressEvents: Progress[] = [];
	const response = await ky
		.post(server.url, {
			body: largeBlob,
			hooks: {
				beforeRequest: [
					({request}) => {
						const headers = new Headers(request.headers);
						headers.set('x-hook', '1');
						return new Request(request, {headers});
					},
				],
			},
			onUploadProgress(progress) {
				progressEvents.push(progress);
			},
		})
		.json<{receivedBytes: number}>();

	expect(progressEvents.length >= 2, 'Should produce multiple progress events').toBe(true);
	const nonFinalProgressEvents = progressEvents.filter(progress => progress.percent < 1);
	expect(nonFinalProgressEvents.length > 0, 'Should include non-final progress events').toBe(true);
	for (const progress of nonFinalProgressEvents) {
		const expectedPercent = progress.transferredBytes / largeBlob.size;
		expect(progress.percent <= expectedPercent + 0.01, 'Intermediate progress should reflect known body size').toBe(true);
	}

	const finalProgress = progressEvents.at(-1);
	expect(finalProgress).toBeTruthy();
	expect(finalProgress!.percent).toBe(1);
	expect(finalProgress!.totalBytes > 1024 * 1024).toBe(true);
	expect(finalProgress!.totalBytes).toBe(finalProgress!.transferredBytes);
	expect(response.receivedBytes).toBe(finalProgress!.totalBytes);
});

test.concurrent('beforeRequest Request replacement with new body preserves upload progress sizing', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	server.post('/', async (request, response) => {
		let receivedBytes = 0;
		for await (const chunk of request) {
			receivedBytes += chunk.length as number;
		}

		response.json({receivedBytes});
	});

	const payload = {initial: true};
	const replacementBody = createLargeBlob(10);
	const progressEvents: Progress[] = [];
	const response = await ky
		.post(server.url, {
			json: payload,
			hooks: {
				beforeRequest: [
					({request}) => new Request(request, {body: replacementBody}),
				],
			},
			onUploadProgress(progress) {
				progressEvents.push(progress);
			},
		})
		.json<{receivedBytes: number}>();

	expect(progressEvents.length > 0, 'Should produce progress events').toBe(true);
	const expectedSize = replacementBody.size;
	const finalProgress = progressEvents.at(-1);
	expect(finalProgress).toBeTruthy();
	expect(finalProgress!.percent).toBe(1);
	expect(finalProgress!.totalBytes).toBe(expectedSize);
	expect(finalProgress!.transferredBytes).toBe(expectedSize);
	expect(response.receivedBytes).toBe(expectedSize);
});

test.concurrent('missing content-length still uses original body size for upload progress', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	server.post('/', async (request, response) => {
		let receivedBytes = 0;
		for await (const chunk of request) {
			receivedBytes += chunk.length as number;
		}

		response.json({receivedBytes});
	});

	const body = createLargeBlob(10);
	const progressEvents: Progress[] = [];
	const response = await ky
		.post(server.url, {
			body,
			hooks: {
				beforeRequest: [
					({request}) => {
						request.headers.delete('content-length');
					},
				],
			},
			onUploadProgress(progress) {
				progressEvents.push(progress);
			},
		})
		.json<{receivedBytes: number}>();

	expect(progressEvents.length >= 2, 'Should produce multiple progress events').toBe(true);
	const nonFinalProgressEvents = progressEvents.filter(progress => progress.percent < 1);
	expect(nonFinalProgressEvents.length > 0, 'Should include non-final progress events').toBe(true);
	expect(nonFinalProgressEvents[0].percent > 0, 'Non-final progress should use known total size').toBe(true);

	const finalProgress = progressEvents.at(-1);
	expect(finalProgress).toBeTruthy();
	expect(finalProgress!.percent).toBe(1);
	expect(finalProgress!.totalBytes).toBe(body.size);
	expect(finalProgress!.transferredBytes).toBe(body.size);
	expect(response.receivedBytes).toBe(body.size);
});

test.concurrent('beforeRequest replacement with smaller body completes upload progress correctly', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	server.post('/', async (request, response) => {
		let receivedBytes = 0;
		for await (const chunk of request) {
			receivedBytes += chunk.length as number;
		}

		response.json({receivedBytes});
	});

	const originalBody = createLargeBlob(10);
	const replacementBody = 'small-body';
	const replacementBodySize = Buffer.byteLength(replacementBody);
	const progressEvents: Progress[] = [];
	const response = await ky
		.post(server.url, {
			body: originalBody,
			hooks: {
				beforeRequest: [
					({request}) => new Request(request, {body: replacementBody}),
				],
			},
			onUploadProgress(progress) {
				progressEvents.push(progress);
			},
		})
		.json<{receivedBytes: number}>();

	expect(progressEvents.length > 0, 'Should produce progress events').toBe(true);
	const nonFinalProgressEvents = progressEvents.filter(progress => progress.percent < 1);
	for (const progress of nonFinalProgressEvents) {
		expect(progress.percent < 1, 'Intermediate progress should stay below completion').toBe(true);
	}

	const finalProgress = progressEvents.at(-1);
	expect(finalProgress).toBeTruthy();
	expect(finalProgress!.percent).toBe(1);
	expect(finalProgress!.transferredBytes).toBe(replacementBodySize);
	expect(response.receivedBytes).toBe(replacementBodySize);
});

test.concurrent('beforeRequest replacement with larger body has monotonic upload progress', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	server.post('/', async (request, response) => {
		let receivedBytes = 0;
		for await (const chunk of request) {
			receivedBytes += chunk.length as number;
		}

		response.json({receivedBytes});
	});

	const replacementBody = createLargeBlob(10);
	const progressEvents: Progress[] = [];
	const response = await ky
		.post(server.url, {
			body: 'tiny',
			hooks: {
				beforeRequest: [
					({request}) => new Request(request, {body: replacementBody}),
				],
			},
			onUploadProgress(progress) {
				progressEvents.push(progress);
			},
		})
		.json<{receivedBytes: number}>();

	expect(progressEvents.length > 0, 'Should produce progress events').toBe(true);
	for (let index = 1; index < progressEvents.length; index++) {
		expect(progressEvents[index].transferredBytes >= progressEvents[index - 1].transferredBytes, 'Transferred bytes should be monotonic').toBe(true);
		expect(progressEvents[index].percent >= progressEvents[index - 1].percent, 'Percent should be monotonic').toBe(true);
	}

	const finalProgress = progressEvents.at(-1);
	expect(finalProgress).toBeTruthy();
	expect(finalProgress!.percent).toBe(1);
	expect(finalProgress!.transferredBytes).toBe(replacementBody.size);
	expect(response.receivedBytes).toBe(replacementBody.size);
});

test.concurrent('beforeRequest body replacement followed by header hook keeps progress and headers', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	server.post('/', async (request, response) => {
		let receivedBytes = 0;
		for await (const chunk of request) {
			receivedBytes += chunk.length as number;
		}

		response.json({
			receivedBytes,
			header: request.headers['x-hook-2'],
		});
	});

	const replacementBody = 'hook-replacement-body';
	const replacementBodySize = Buffer.byteLength(replacementBody);
	const progressEvents: Progress[] = [];
	const response = await ky
		.post(server.url, {
			body: createLargeBlob(10),
			hooks: {
				beforeRequest: [
					({request}) => new Request(request, {body: replacementBody}),
					({request}) => {
						const headers = new Headers(request.headers);
						headers.set('x-hook-2', 'true');
						return new Request(request, {headers});
					},
				],
			},
			onUploadProgress(progress) {
				progressEvents.push(progress);
			},
		})
		.json<{receivedBytes: number; header: string | undefined}>();

	const finalProgress = progressEvents.at(-1);
	expect(finalProgress).toBeTruthy();
	expect(finalProgress!.percent).toBe(1);
	expect(finalProgress!.transferredBytes).toBe(replacementBodySize);
	expect(response.receivedBytes).toBe(replacementBodySize);
	expect(response.header).toBe('true');
});

test.concurrent('retry with beforeRequest body changes tracks per-attempt upload progress', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	let requestCount = 0;
	server.post('/', async (_request, response) => {
		requestCount++;
		if (requestCount === 1) {
			response.status(500).json({error: 'retry'});
			return;
		}

		response.status(200).json({ok: true});
	});

	const firstAttemptBody = 'first-attempt';
	const secondAttemptBody = 'second-attempt-body';
	const firstAttemptBodySize = Buffer.byteLength(firstAttemptBody);
	const secondAttemptBodySize = Buffer.byteLength(secondAttemptBody);
	const eventsByAttempt: Progress[][] = [];
	let currentAttempt = 0;

	await ky.post(server.url, {
		body: 'initial',
		retry: {
			limit: 1,
			methods: ['post'],
		},
		hooks: {
			beforeRequest: [
				({request, retryCount}) => {
					currentAttempt = retryCount;
					eventsByAttempt[currentAttempt] = [];
					return new Request(request, {body: firstAttemptBody});
				},
			],
			beforeRetry: [
				({request}) => {
					currentAttempt = 1;
					eventsByAttempt[currentAttempt] = [];
					return new Request(request, {body: secondAttemptBody});
				},
			],
		},
		onUploadProgress(progress) {
			eventsByAttempt[currentAttempt].push(progress);
		},
	}).json();

	expect(eventsByAttempt.length).toBe(2);
	const firstAttemptFinalProgress = eventsByAttempt[0].at(-1);
	const secondAttemptFinalProgress = eventsByAttempt[1].at(-1);
	expect(firstAttemptFinalProgress).toBeTruthy();
	expect(secondAttemptFinalProgress).toBeTruthy();
	expect(firstAttemptFinalProgress!.percent).toBe(1);
	expect(secondAttemptFinalProgress!.percent).toBe(1);
	expect(firstAttemptFinalProgress!.transferredBytes).toBe(firstAttemptBodySize);
	expect(secondAttemptFinalProgress!.transferredBytes).toBe(secondAttemptBodySize);
	expect(eventsByAttempt[0].filter(progress => progress.percent === 1).length).toBe(1);
	expect(eventsByAttempt[1].filter(progress => progress.percent === 1).length).toBe(1);
});

test.concurrent('ReadableStream upload emits stable non-final progress and completes once', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	server.post('/', async (request, response) => {
		let receivedBytes = 0;
		for await (const chunk of request) {
			receivedBytes += chunk.length as number;
		}

		response.json({receivedBytes});
	});

	const streamBody = new ReadableStream<Uint8Array>({
		start(controller) {
			controller.enqueue(new TextEncoder().encode('chunk-1'));
			controller.enqueue(new TextEncoder().encode('chunk-2'));
			controller.close();
		},
	});

	const progressEvents: Progress[] = [];
	const response = await ky
		.post(server.url, {
			body: streamBody,
			onUploadProgress(progress) {
				progressEvents.push(progress);
			},
		})
		.json<{receivedBytes: number}>();

	expect(progressEvents.length > 0, 'Should emit upload progress').toBe(true);
	const nonFinalProgressEvents = progressEvents.filter(progress => progress.percent < 1);
	expect(nonFinalProgressEvents.length > 0, 'Should emit non-final progress').toBe(true);
	for (const progress of nonFinalProgressEvents) {
		expect(progress.percent >= 0 && progress.percent < 1, 'Non-final progress should be within [0, 1)').toBe(true);
	}

	const completedProgressEvents = progressEvents.filter(progress => progress.percent === 1);
	expect(completedProgressEvents.length, 'Should complete exactly once').toBe(1);
	const finalProgress = completedProgressEvents[0];
	expect(finalProgress.transferredBytes).toBe(response.receivedBytes);
});

test.concurrent('onDownloadProgress cancels original response body', async ({expect}) => {
	let originalResponse: Response | undefined;
	let didReportProgress = false;

	const customFetch: typeof fetch = async request => {
		if (!(request instanceof Request)) {
			throw new TypeError('Expected input to be a Request');
		}

		const responseBody = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new TextEncoder().encode('ok'));
				controller.close();
			},
		});

		const response = new Response(responseBody, {
			headers: {
				'content-length': '2',
			},
		});
		originalResponse = response;

		return response;
	};

	const responseText = await ky('https://example.com', {
		fetch: customFetch,
		onDownloadProgress() {
			didReportProgress = true;
		},
	}).text();

	expect(responseText).toBe('ok');
	expect(originalResponse?.bodyUsed).toBe(true);
	expect(didReportProgress).toBe(true);
});

test.concurrent('forced retry custom request keeps upload progress', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	let requestCount = 0;

	server.post('/', async (request, response) => {
		requestCount++;

		if (requestCount === 1) {
			response.status(500).json({error: 'try again'});
			return;
		}

		const body = await parseJsonBody<Record<string, unknown>>(request);
		response.json(body);
	});

	const attemptEvents: Progress[][] = [];
	const payload = {payload: 'forced-retry'};

	const responseJson = await ky
		.post(server.url, {
			json: payload,
			retry: {
				limit: 1,
				methods: ['post'],
			},
			hooks: {
				beforeRequest: [
					() => {
						attemptEvents.push([]);
					},
				],
				beforeRetry: [
					() => {
						attemptEvents.push([]);
					},
				],
				afterResponse: [
					async ({request, response}) => {
						if (response.status === 500) {
							return ky.retry({request: new Request(request)});
						}
					},
				],
			},
			onUploadProgress(progress) {
				const currentAttempt = attemptEvents.at(-1);
				if (!currentAttempt) {
					return;
				}

				currentAttempt.push(progress);
			},
		})
		.json<Record<string, unknown>>();

	expect(responseJson).toStrictEqual(payload);
	expect(attemptEvents.length, 'Should attempt request twice').toBe(2);

	for (const [index, events] of attemptEvents.entries()) {
		expect(events.length > 0, `Attempt ${index + 1} should emit upload progress`).toBe(true);
		const last = events.at(-1);
		expect(last).toBeTruthy();
		expect(last!.percent, `Attempt ${index + 1} progress should reach completion`).toBe(1);

		// Verify gradual progress (not just 0% -> 100%)
		// With proper body size calculation, we should see intermediate progress events
		expect(last!.totalBytes > 0, `Attempt ${index + 1} should have correct totalBytes (got ${last!.totalBytes})`).toBe(true);
		expect(last!.transferredBytes > 0, `Attempt ${index + 1} should have transferredBytes`).toBe(true);
		expect(last!.totalBytes, `Attempt ${index + 1} final totalBytes should equal transferredBytes`).toBe(last!.transferredBytes);
	}
});

test.concurrent('forced retry custom request has correct body size for upload progress', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	let requestCount = 0;

	server.post('/', async (request, response) => {
		requestCount++;

		if (requestCount === 1) {
			response.status(500).json({error: 'try again'});
			return;
		}

		const body = await parseJsonBody<Record<string, unknown>>(request);
		response.json(body);
	});

	const attemptTotalBytes: number[] = [];
	const payload = {data: 'x'.repeat(1000)}; // 1KB payload

	await ky
		.post(server.url, {
			json: payload,
			retry: {
				limit: 1,
				methods: ['post'],
			},
			hooks: {
				afterResponse: [
					async ({request, response}) => {
						if (response.status === 500) {
							return ky.retry({request: new Request(request)});
						}
					},
				],
			},
			onUploadProgress(progress) {
				if (progress.percent === 1) {
					attemptTotalBytes.push(progress.totalBytes);
				}
			},
		})
		.json<Record<string, unknown>>();

	expect(attemptTotalBytes.length, 'Should track totalBytes for both attempts').toBe(2);

	// Both attempts should have the same totalBytes (proving body size is correctly preserved)
	expect(attemptTotalBytes[0], 'Both attempts should have identical totalBytes').toBe(attemptTotalBytes[1]);

	// Verify totalBytes is non-zero (correct size calculation)
	expect(attemptTotalBytes[0] > 1000, `totalBytes should be > 1000 (got ${attemptTotalBytes[0]})`).toBe(true);
});

test.concurrent('beforeRetry override updates upload progress after body change', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	let requestCount = 0;

	server.post('/', async (request, response) => {
		requestCount++;

		if (requestCount === 1) {
			response.status(500).json({error: 'retry'});
			return;
		}

		const body = await parseJsonBody<Record<string, unknown>>(request);
		response.json(body);
	});

	const firstPayload = {attempt: 'initial'};
	const updatedPayload = {attempt: 'retry', data: 'x'.repeat(2048)};
	const updatedPayloadString = JSON.stringify(updatedPayload);
	const attempts: Progress[][] = [];

	const responseJson = await ky
		.post(server.url, {
			json: firstPayload,
			retry: {
				limit: 1,
				methods: ['post'],
			},
			hooks: {
				beforeRequest: [
					() => {
						attempts.push([]);
					},
				],
				beforeRetry: [
					({request}) => {
						attempts.push([]);
						return new Request(request, {body: updatedPayloadString});
					},
				],
			},
			onUploadProgress(progress) {
				const currentAttempt = attempts.at(-1);
				if (!currentAttempt) {
					return;
				}

				currentAttempt.push(progress);
			},
		})
		.json<Record<string, unknown>>();

	expect(responseJson).toStrictEqual(updatedPayload);
	expect(attempts.length, 'Should perform two attempts').toBe(2);

	const firstAttempt = attempts[0];
	const secondAttempt = attempts[1];
	expect(firstAttempt).toBeTruthy();
	expect(secondAttempt).toBeTruthy();

	const firstFinal = firstAttempt.at(-1);
	const secondFinal = secondAttempt.at(-1);
	expect(firstFinal).toBeTruthy();
	expect(secondFinal).toBeTruthy();

	expect(firstFinal!.percent).toBe(1);
	expect(firstFinal!.totalBytes > 0).toBe(true);
	expect(firstFinal!.totalBytes).toBe(firstFinal!.transferredBytes);

	const expectedUpdatedTotal = Buffer.byteLength(updatedPayloadString);
	expect(secondFinal!.percent).toBe(1);
	expect(secondFinal!.totalBytes, 'Retry should reflect new payload size').toBe(expectedUpdatedTotal);
	expect(secondFinal!.transferredBytes).toBe(expectedUpdatedTotal);
});

test.concurrent('forced retry with custom request updates upload progress size', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	let requestCount = 0;

	server.post('/', async (request, response) => {
		requestCount++;

		if (requestCount === 1) {
			response.status(500).json({error: 'forced-retry'});
			return;
		}

		const body = await parseJsonBody<Record<string, unknown>>(request);
		response.json(body);
	});

	const firstPayload = {attempt: 'initial'};
	const updatedPayload = {attempt: 'forced', data: 'y'.repeat(3072)};
	const updatedPayloadString = JSON.stringify(updatedPayload);
	const attempts: Progress[][] = [];

	const responseJson = await ky
		.post(server.url, {
			json: firstPayload,
			retry: {
				limit: 1,
				methods: ['post'],
			},
			hooks: {
				beforeRequest: [
					() => {
						attempts.push([]);
					},
				],
				beforeRetry: [
					() => {
						attempts.push([]);
					},
				],
				afterResponse: [
					async ({request, response}) => {
						if (response.status === 500) {
							return ky.retry({
								request: new Request(request, {body: updatedPayloadString}),
							});
						}
					},
				],
			},
			onUploadProgress(progress) {
				const currentAttempt = attempts.at(-1);
				if (!currentAttempt) {
					return;
				}

				currentAttempt.push(progress);
			},
		})
		.json<Record<string, unknown>>();

	expect(responseJson).toStrictEqual(updatedPayload);
	expect(attempts.length, 'Should perform two attempts').toBe(2);

	const firstAttempt = attempts[0];
	const secondAttempt = attempts[1];
	expect(firstAttempt).toBeTruthy();
	expect(secondAttempt).toBeTruthy();

	const firstFinal = firstAttempt.at(-1);
	const secondFinal = secondAttempt.at(-1);
	expect(firstFinal).toBeTruthy();
	expect(secondFinal).toBeTruthy();

	expect(firstFinal!.percent).toBe(1);
	expect(firstFinal!.totalBytes > 0).toBe(true);
	expect(firstFinal!.totalBytes).toBe(firstFinal!.transferredBytes);

	const expectedUpdatedTotal = Buffer.byteLength(updatedPayloadString);
	expect(secondFinal!.percent).toBe(1);
	expect(secondFinal!.totalBytes, 'Forced retry should reflect new payload size').toBe(expectedUpdatedTotal);
	expect(secondFinal!.transferredBytes).toBe(expectedUpdatedTotal);
});

test.concurrent('POST FormData with 10MB file upload progress', async ({expect, onTestFinished}) => {
	const server = await createHttpTestServer(onTestFinished, {bodyParser: false});
	server.post('/', async (request, response) => {
		let totalBytes = 0;
		for await (const chunk of request) {
			totalBytes += chunk.length as number;
		}

		response.json({receivedBytes: totalBytes});
	});

	const largeBlob = createLargeBlob(10); // 10MB Blob
	const formData = new FormData();
	formData.append('file', largeBlob, 'large-file.bin');

	const data: Array<{
		percent: number;
		transferredBytes: number;
		totalBytes: number;
	}> = [];
	const response = await ky
		.post(server.url, {
			body: formData,
			onUploadProgress(progress) {
				data.push(progress);
			},
		})
		.json<{receivedBytes: number}>();

	// Check if we have at least two progress updates
	expect(data.length >= 2, 'Should have at least two progress updates').toBe(true);

	// Check the first progress update
	expect(
		data[0].percent >= 0 && data[0].percent < 1,
		'First update should have progress between 0 and 100%',
	).toBe(true);
	expect(
		data[0].transferredBytes >= 0,
		'First update should have non-negative transferred bytes',
	).toBe(true);

	// Check intermediate updates (if any)
	for (let i = 1; i < data.length - 1; i++) {
		expect(
			data[i].percent >= data[i - 1].percent,
			`Update ${i} should have higher or equal percent than previous`,
		).toBe(true);
		expect(
			data[i].transferredBytes >= data[i - 1].transferredBytes,
			`Update ${i} should have more or equal transferred bytes than previous`,
		).toBe(true);
	}

	// Check the last progress update
	const lastUpdate = data.at(-1);
	expect(lastUpdate.percent, 'Last update should have 100% progress').toBe(1);
	expect(
		lastUpdate.totalBytes > 0,
		'Last update should have positive total bytes',
	).toBe(true);
	expect(
		lastUpdate.transferredBytes,
		'Last update should have transferred all bytes',
	).toBe(lastUpdate.totalBytes);
});
