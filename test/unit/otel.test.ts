/** steadfetch/otel (issue 16): a call span and a client span per attempt, with the ids the server saw, in the SDK's in-memory exporter. */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { otel } from '../../src/entries/otel.js';
import { hedge } from '../../src/entries/hedge.js';
import { refusedUrl, serve, type RunningServer } from '../helpers/node-server.js';
import { createHandler } from '../helpers/server-handler.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('steadfetch-test');

let server: RunningServer;
let dead: string;
/** The trace headers each request carried. */
const seen: Array<{ path: string; requestId: string | null; traceparent: string | null }> = [];
beforeAll(async () => {
	const handler = createHandler();
	server = await serve(async (request) => {
		const url = new URL(request.url);
		seen.push({ path: url.pathname, requestId: request.headers.get('x-request-id'), traceparent: request.headers.get('traceparent') });
		return handler(request);
	});
	dead = await refusedUrl();
});
afterAll(async () => {
	await server.close();
	await provider.shutdown();
});
beforeEach(() => {
	seen.length = 0;
	exporter.reset();
});

const byKind = (spans: ReadableSpan[]) => ({
	call: spans.filter((span) => span.name.startsWith('steadfetch ')),
	attempts: spans.filter((span) => !span.name.startsWith('steadfetch ')).sort((a, b) => Number(a.attributes['http.request.resend_count'] ?? 0) - Number(b.attributes['http.request.resend_count'] ?? 0)),
});

describe('otel', () => {
	it('a call with three attempts: one call span, three client spans under it with the ids the server saw', async () => {
		const api = createClient({ baseUrl: server.url, trace: otel({ tracer }), retry: { limit: 2, delay: () => 0 } });
		const response = await api.get(`${server.url}/plan/503,503,200?id=otel-1&access_token=s3cret`);
		expect(response.status).toBe(200);
		const { call, attempts } = byKind(exporter.getFinishedSpans());
		expect(call).toHaveLength(1);
		expect(attempts).toHaveLength(3);
		const [root] = call;
		for (const [index, span] of attempts.entries()) {
			expect(span.spanContext().traceId).toBe(root!.spanContext().traceId);
			expect(span.parentSpanContext?.spanId).toBe(root!.spanContext().spanId);
			// The server saw this attempt's own span as the parent.
			expect(seen[index]!.traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
		}

		expect(new Set(seen.map((request) => request.requestId)).size).toBe(1);
		const redacted = `${server.url}/plan/503,503,200?id=otel-1&access_token=`;
		expect(attempts.map((span) => span.attributes)).toEqual([
			{ 'http.request.method': 'GET', 'url.full': redacted, 'server.address': '127.0.0.1', 'server.port': Number(new URL(server.url).port), 'http.response.status_code': 503, 'error.type': '503' },
			expect.objectContaining({ 'http.request.resend_count': 1, 'http.response.status_code': 503, 'error.type': '503' }),
			expect.objectContaining({ 'http.request.resend_count': 2, 'http.response.status_code': 200 }),
		]);
		expect(attempts.map((span) => span.status.code)).toEqual([2, 2, 0]); // ERROR, ERROR, UNSET
		expect(attempts[2]!.attributes['error.type']).toBeUndefined();
		expect(root!.attributes).toMatchObject({ 'http.request.method': 'GET', 'url.full': redacted, 'http.response.status_code': 200, 'steadfetch.request_id': seen[0]!.requestId });
		expect(JSON.stringify(exporter.getFinishedSpans().map((span) => span.attributes))).not.toContain('s3cret');
		api.close();
	});

	it('the call span has the request id the server saw also when the attempt was a copy of the call\'s request (hedge)', async () => {
		const api = createClient({ baseUrl: server.url, trace: otel({ tracer }), retry: 0, hedge: hedge({ delayMs: 5_000 }) });
		await api.get(`${server.url}/echo?id=otel-hedge`);
		const { call } = byKind(exporter.getFinishedSpans());
		expect(seen[0]!.requestId).toMatch(/^[\da-f-]{36}$/);
		expect(call[0]!.attributes['steadfetch.request_id']).toBe(seen[0]!.requestId);
		api.close();
	});

	it('a network failure: error.type from classify on the attempt and the call, both ERROR', async () => {
		const api = createClient({ trace: otel({ tracer }), retry: 0 });
		await expect(api.get(`${dead}/x`)).rejects.toThrow();
		const { call, attempts } = byKind(exporter.getFinishedSpans());
		expect(attempts.map((span) => [span.attributes['error.type'], span.status.code])).toEqual([['NETWORK', 2]]);
		expect(call.map((span) => [span.attributes['error.type'], span.status.code])).toEqual([['NETWORK', 2]]);
		api.close();
	});

	it('a traceparent given on the call is the call span\'s parent; the request id header can be renamed', async () => {
		const api = createClient({ trace: otel({ tracer, requestIdHeader: 'X-Correlation-ID', propagateTo: [server.url] }), retry: 0 });
		const parent = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
		await api.get(`${server.url}/echo?id=otel-3`, { headers: { traceparent: `00-${parent.traceId}-${parent.spanId}-01`, 'x-correlation-id': 'corr-1' } });
		const { call, attempts } = byKind(exporter.getFinishedSpans());
		expect(call[0]!.spanContext().traceId).toBe(parent.traceId);
		expect(call[0]!.parentSpanContext?.spanId).toBe(parent.spanId);
		expect(seen[0]!.traceparent).toBe(`00-${parent.traceId}-${attempts[0]!.spanContext().spanId}-01`);
		expect(call[0]!.attributes['steadfetch.request_id']).toBe('corr-1');
		api.close();
	});

	it('a tracer that throws never fails a call (the request id and a traceparent still go)', async () => {
		const broken = { startSpan: () => {
			throw new Error('exporter down');
		} } as unknown as typeof tracer;
		const api = createClient({ trace: otel({ tracer: broken, propagateTo: '*' }), retry: 0 });
		expect((await api.get(`${server.url}/json?id=otel-broken`)).status).toBe(200);
		expect(seen[0]!.traceparent).toMatch(/^00-[\da-f]{32}-[\da-f]{16}-01$/);
		expect(seen[0]!.requestId).toMatch(/^[\da-f-]{36}$/);
		api.close();
	});

	it('propagateTo: an origin not listed gets no trace header, yet its attempt has its span', async () => {
		const api = createClient({ trace: otel({ tracer, propagateTo: ['https://api.example.test'] }), retry: 0 });
		await api.get(`${server.url}/json?id=otel-third`);
		expect(seen.map(({ requestId, traceparent }) => [requestId, traceparent])).toEqual([[null, null]]);
		const { call, attempts } = byKind(exporter.getFinishedSpans());
		expect([call.length, attempts.length]).toEqual([1, 1]);
		expect(attempts[0]!.parentSpanContext?.spanId).toBe(call[0]!.spanContext().spanId);
		api.close();
	});

	it('status messages carry no sensitive query value: ky\'s HTTPError and TimeoutError messages name the URL, redacted with the client\'s sensitiveParams', async () => {
		const api = createClient({ trace: otel({ tracer }), retry: 0, sensitiveParams: ['token', 'session'] });
		await expect(api.get(`${server.url}/status/500?id=otel-r&token=TOPSECRET&session=SESSIONVALUE`)).rejects.toThrow(/TOPSECRET/);
		await expect(api.get(`${server.url}/hang?id=otel-r&token=TOPSECRET`, { timeout: 50 })).rejects.toThrow(/timed out.*TOPSECRET/);
		const spans = exporter.getFinishedSpans();
		expect(byKind(spans).call.map((span) => span.status.message)).toEqual([
			`Request failed with status code 500 Internal Server Error: GET ${server.url}/status/500?id=otel-r&token=&session=`,
			`Request timed out: GET ${server.url}/hang?id=otel-r&token=`,
		]);
		expect(JSON.stringify(spans.map((span) => [span.status, span.attributes, span.events]))).not.toMatch(/TOPSECRET|SESSIONVALUE/);
		api.close();
	});

	it('status messages carry no sensitive query value when the URL they name is relative (no prefix: InvalidRequestError names the input as given), as events redact it', async () => {
		const api = createClient({ trace: otel({ tracer }), retry: 0 });
		const events: unknown[] = [];
		api.on('*', (event) => events.push(event));
		// The caller's error names no sensitive value either (defect hunt, tenth round: an error's message is logged).
		await expect(api.get('users?token=TOPSECRET&id=1')).rejects.toThrow(/^Invalid request: Failed to parse URL from users\?token=&id=1;/);
		const [span] = byKind(exporter.getFinishedSpans()).call;
		expect(span?.status.message).toBe('Invalid request: Failed to parse URL from users?token=&id=1; give the client an absolute `baseUrl` or `prefix`');
		expect(JSON.stringify([exporter.getFinishedSpans().map((each) => [each.status, each.attributes]), events])).not.toMatch(/TOPSECRET/);
		api.close();
	});

	it('status messages name no header value fetch refused (Node\'s error names it: a beforeRequest hook\'s token with a line break), as InvalidRequestError hides it', async () => {
		const api = createClient({
			baseUrl: server.url, trace: otel({ tracer }), retry: 0,
			hooks: { beforeRequest: [({ request }) => void request.headers.set('authorization', 'Bearer part\nTOPSECRET-2')] },
		});
		await expect(api.get(`${server.url}/json?id=otel-header`)).rejects.toThrow(TypeError);
		const [span] = byKind(exporter.getFinishedSpans()).call;
		expect(span?.status.message).toMatch(/^Headers\.set: "…" is an invalid header value/);
		expect(JSON.stringify(exporter.getFinishedSpans().map((each) => [each.status, each.attributes]))).not.toMatch(/TOPSECRET/);
		api.close();
	});

	it('bad options: a RangeError at creation', () => {
		expect(() => otel({} as never)).toThrow(/otel\.tracer/);
		expect(() => otel({ tracer, requestIdHeader: 'bad header' })).toThrow(/requestIdHeader/);
		expect(() => otel({ tracer, propagateTo: ['https://api.example.test/v1'] })).toThrow(/otel\.propagateTo/);
		expect(() => otel({ tracer, propagateTo: 'everywhere' as never })).toThrow(/otel\.propagateTo/);
	});
});
