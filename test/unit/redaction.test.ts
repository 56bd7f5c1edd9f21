/**
 * Every URL in an event, log record or span has its sensitive query values removed, like a stored
 * one (issue 22): names compared case-insensitively after percent-decoding, OpenTelemetry's default
 * list and the signed-URL parameters of the clouds included.
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { HTTPError } from 'ky';
import { failover } from '../../src/entries/failover.js';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { logger, type LogRecord } from '../../src/entries/logger.js';
import { trace } from '../../src/entries/trace.js';
import { otel } from '../../src/entries/otel.js';
import { redact, sensitiveParamSet, splitSensitive } from '../../src/utils/sensitive.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { createHandler } from '../helpers/server-handler.js';

const params = sensitiveParamSet({});

/** A query with a secret under each disguise, between two harmless parameters kept byte for byte. */
const secrets = [
	'secre%74=S1', 'pass%77ord=S2', 'ACCESS_TOKEN=S3', 'client%5Fsecret=S4', 'AWSAccessKeyId=S5', 'Signature=S6', 'sig=S7',
	'X-Goog-Signature=S8', 'x-goog-credential=S9', 'X-Amz-Signature=S10', 'X-Amz-Credential=S11', 'X-Amz-Security-Token=S12',
];
const query = `q=a%20b+c&${secrets.join('&')}&page=2`;
const expected = `q=a%20b+c&${secrets.map((pair) => pair.slice(0, pair.indexOf('=') + 1)).join('&')}&page=2`;
const leaks = /S\d+\b/;

describe('redact / splitSensitive', () => {
	it('removes the value of every sensitive name however it is written, and nothing else', () => {
		const url = `https://api.test/path?${query}#part`;
		expect(redact(url, params)).toBe(`https://api.test/path?${expected}#part`);
		const { found } = splitSensitive(url, params);
		expect(found!.split('\n').filter(Boolean)).toEqual([
			'secret=S1', 'password=S2', 'ACCESS_TOKEN=S3', 'client_secret=S4', 'AWSAccessKeyId=S5', 'Signature=S6', 'sig=S7',
			'X-Goog-Signature=S8', 'x-goog-credential=S9', 'X-Amz-Signature=S10', 'X-Amz-Credential=S11', 'X-Amz-Security-Token=S12',
		]);
	});

	it('leaves a URL without a sensitive parameter as it is (the same string), and one without a query untouched', () => {
		const plain = 'https://api.test/a?tokens=1&secretary=2&x=token%3D3';
		expect(redact(plain, params)).toBe(plain);
		expect(splitSensitive(plain, params).found).toBeUndefined();
		expect(redact('https://api.test/a/b', params)).toBe('https://api.test/a/b');
	});

	it('the default list is the documented one', () => {
		for (const name of ['AWSAccessKeyId', 'Signature', 'sig', 'X-Goog-Signature', 'X-Goog-Credential', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token', 'access_token', 'password']) {
			expect(params.has(name.toLowerCase())).toBe(true);
		}
	});
});

describe('URLs in events, log records and spans', () => {
	let server: RunningServer;
	let failing: RunningServer;
	beforeAll(async () => {
		server = await serve(createHandler());
		failing = await serve(() => new Response('down', { status: 503 }));
	});
	afterAll(async () => Promise.all([server.close(), failing.close()]));

	it('attempt:start, attempt:end and retry events carry the redacted URL', async () => {
		const api = createCore({ trace: trace(), retry: { limit: 1, delay: () => 0 } });
		const urls: string[] = [];
		api.on('*', (event) => {
			if (event.url !== undefined) {
				urls.push(`${event.type} ${event.url}`);
			}
		});
		await api.get(`${server.url}/plan/503,200?id=redact-events&${query}`);
		const url = `${server.url}/plan/503,200?id=redact-events&${expected}`;
		expect(urls).toEqual([`attempt:start ${url}`, `attempt:end ${url}`, `retry ${url}`, `attempt:start ${url}`, `attempt:end ${url}`]);
		api.close();
	});

	it('the retry event\'s error names no secret: ky\'s message carries the URL, so a redacted stand-in replaces it', async () => {
		const api = createCore({ retry: { limit: 1, delay: () => 0 } });
		const errors: unknown[] = [];
		api.on('retry', (event) => errors.push(event.error));
		await api.get(`${server.url}/plan/503,200?id=redact-retry-error&${query}`);
		expect(errors).toHaveLength(1);
		const error = errors[0] as Error;
		expect(error.name).toBe('HTTPError');
		expect(error.message).toContain(`?id=redact-retry-error&${expected}`);
		expect(`${error.message} ${JSON.stringify(error)}`).not.toMatch(leaks);
		expect((error as { request?: unknown }).request).toBeUndefined();
		// Without a sensitive value, a stand-in with ky's response: never ky's error, whose request and
		// options carry the call's credentials.
		const plain: unknown[] = [];
		api.on('retry', (event) => plain.push(event.error));
		await api.get(`${server.url}/plan/503,200?id=redact-retry-plain`, { headers: { authorization: 'Bearer BEARER-SECRET', cookie: 'sid=COOKIE-SECRET' } });
		const stand = plain.at(-1) as Error & { response?: Response; request?: Request; options?: unknown };
		expect(stand).toBeInstanceOf(HTTPError);
		expect(stand).toMatchObject({ name: 'HTTPError' });
		expect(stand.message).toContain('redact-retry-plain');
		expect(stand.response?.status).toBe(503);
		expect(stand.request).toBeUndefined();
		expect(stand.options).toBeUndefined();
		expect(JSON.stringify(Object.entries(stand))).not.toMatch(/SECRET/);
		api.close();
	});

	it('a failover event: the primary URL and the mirror that answered, both redacted', async () => {
		const api = createCore({ retry: 0, failover: failover({ mirrors: { [failing.url]: [server.url] } }) });
		const events: Array<{ url: string; mirror: string }> = [];
		api.on('failover', (event) => events.push(event));
		expect((await api.get(`${failing.url}/json?id=redact-failover&${query}`)).status).toBe(200);
		expect(events).toEqual([expect.objectContaining({ url: `${failing.url}/json?id=redact-failover&${expected}`, mirror: `${server.url}/json?id=redact-failover&${expected}` })]);
		api.close();
	});

	it('log records: percent-encoded names and the clouds\' signatures are redacted too', async () => {
		const records: LogRecord[] = [];
		const sink = { info: (record: LogRecord) => records.push(record), warn: (record: LogRecord) => records.push(record), error: (record: LogRecord) => records.push(record) };
		const api = createClient({ logger: logger(sink), store: memoryStore, staleCache: false, breaker: false, retry: { limit: 1, delay: () => 0 } });
		await api.get(`${server.url}/plan/503,200?id=redact-log&${query}`);
		expect(records.map(({ event, url }) => [event, url])).toEqual([
			['retry', `${server.url}/plan/503,200?id=redact-log&${expected}`],
			['call', `${server.url}/plan/503,200?id=redact-log&${expected}`],
		]);
		expect(JSON.stringify(records)).not.toMatch(leaks);
		api.close();
	});

	it('spans: url.full of the call and of each attempt', async () => {
		const exporter = new InMemorySpanExporter();
		const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
		const api = createCore({ trace: otel({ tracer: provider.getTracer('redaction') }), retry: 0 });
		await api.get(`${server.url}/json?id=redact-span&${query}`);
		const urls = exporter.getFinishedSpans().map((span) => span.attributes['url.full']);
		expect(urls).toEqual([`${server.url}/json?id=redact-span&${expected}`, `${server.url}/json?id=redact-span&${expected}`]);
		api.close();
		await provider.shutdown();
	});
});
