/**
 * Defect hunt, twenty-third round: the trace slot's request ids and the deadline header — where an id or a trace header
 * goes (a redirect steadfetch follows itself, a mirror, a hedge) and what events, log records and spans show of a
 * sensitive one. Each against the line of API.md or the TSDoc it broke.
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { classify, createClient, type EventMap } from '../../src/entries/core.js';
import { trace } from '../../src/entries/trace.js';
import { otel } from '../../src/entries/otel.js';
import { logger, type LogRecord } from '../../src/entries/logger.js';
import { failover } from '../../src/entries/failover.js';
import { hedge } from '../../src/entries/hedge.js';
import { ManualClock } from '../helpers/manual-clock.js';

const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);

/** A fetch that answers with `answer(url)` (else 200) and keeps each request's URL and headers as sent. */
const recording = (answer: (url: URL) => Response | undefined = () => undefined) => {
	const sent: Array<{ url: string; headers: Record<string, string> }> = [];
	const fetch = (async (request: Request) => {
		const url = new URL(request.url);
		sent.push({ url: url.host + url.pathname, headers: Object.fromEntries(request.headers) });
		return answer(url) ?? new Response('ok');
	}) as typeof globalThis.fetch;
	return { sent, fetch };
};

/** What a record or event list shows, as text: a secret must be in none of it. */
const shown = (value: unknown): string => JSON.stringify(value);

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
afterAll(async () => provider.shutdown());

describe('a request id header listed in sensitiveHeaders: its value is sent, never shown', () => {
	const make = (fetch: typeof globalThis.fetch, slot: 'trace' | 'otel') => {
		const records: LogRecord[] = [];
		const sink = { info: (record: LogRecord) => records.push(record), warn: (record: LogRecord) => records.push(record), error: (record: LogRecord) => records.push(record) };
		const api = createClient({
			fetch, prefix: 'https://api.test/', sensitiveHeaders: ['X-Corr'], retry: { limit: 1, delay: () => 0, jitter: false }, retryBudget: false,
			trace: slot === 'trace' ? trace({ requestIdHeader: 'X-Corr' }) : otel({ tracer: provider.getTracer('h23'), requestIdHeader: 'X-Corr' }),
			logger: logger(sink),
		});
		const events: Array<EventMap['attempt:start'] | EventMap['attempt:end']> = [];
		api.on('attempt:start', (event) => events.push(event));
		api.on('attempt:end', (event) => events.push(event));
		return { api, events, records };
	};

	for (const slot of ['trace', 'otel'] as const) {
		it(`${slot}(): the caller's value goes out on every attempt, and no event, log record or span shows it`, async () => {
			exporter.reset();
			let answers = 0;
			const { sent, fetch } = recording(() => (++answers === 1 ? new Response('busy', { status: 503 }) : undefined));
			const { api, events, records } = make(fetch, slot);
			expect(await code(api.get('orders', { headers: { 'X-Corr': 'S-secret-corr' } }))).toBe('OK');
			// Sent as the caller gave it, on the retry too.
			expect(sent.map(({ headers }) => headers['x-corr'])).toEqual(['S-secret-corr', 'S-secret-corr']);
			// Before: every attempt:* event's requestId, the log record's and the call span's steadfetch.request_id were 'S-secret-corr'.
			expect(shown(events)).not.toContain('S-secret');
			expect(shown(records)).not.toContain('S-secret');
			expect(shown(exporter.getFinishedSpans().map(({ attributes }) => attributes))).not.toContain('S-secret');
			// Still one id of the call's own, the same on its attempts and its record: events can be told apart and matched.
			const ids = new Set(events.map(({ requestId }) => requestId));
			expect(ids.size).toBe(1);
			expect(records.find(({ event }) => event === 'call')?.requestId).toBe([...ids][0]);
			api.close();
		});
	}

	it('a call with trace: false: the logger does not show the caller\'s value either', async () => {
		const { fetch } = recording();
		const { api, records } = make(fetch, 'trace');
		expect(await code(api.get('orders', { headers: { 'X-Corr': 'S-secret-corr' }, trace: false }))).toBe('OK');
		// Before: the record's requestId was 'S-secret-corr'.
		expect(shown(records)).not.toContain('S-secret');
		api.close();
	});

	it('an id the slot made itself is shown and sent alike (no secret of the caller\'s)', async () => {
		const { sent, fetch } = recording();
		const { api, events } = make(fetch, 'trace');
		expect(await code(api.get('orders'))).toBe('OK');
		expect(events[0]!.requestId).toBe(sent[0]!.headers['x-corr']);
		api.close();
	});
});

describe('deadlineHeader and the trace slot\'s requestIdHeader: one header cannot be both', () => {
	for (const [deadlineHeader, slot, name] of [
		['X-Request-ID', trace(), 'trace()'],
		['x-request-id', trace(), 'trace()'],
		['X-Corr', trace({ requestIdHeader: 'x-CORR' }), "trace({ requestIdHeader: 'x-CORR' })"],
		['X-Request-ID', otel({ tracer: provider.getTracer('h23') }), 'otel()'],
	] as const) {
		it(`deadlineHeader ${JSON.stringify(deadlineHeader)} with ${name}: a RangeError at creation`, () => {
			// Before: made; each attempt's id was overwritten by the time left (or the other way round).
			expect(() => createClient({ prefix: 'https://api.test/', deadlineHeader, trace: slot })).toThrow(RangeError);
			expect(() => createClient({ prefix: 'https://api.test/', deadlineHeader, trace: slot })).toThrow(/deadlineHeader/);
		});
	}

	it('different names: made; extend() to the same name: refused as at creation', () => {
		const api = createClient({ prefix: 'https://api.test/', deadlineHeader: 'request-timeout-ms', trace: trace() });
		expect(() => api.extend({ deadlineHeader: 'x-REQUEST-id' })).toThrow(/deadlineHeader/);
		api.close();
	});
});

describe('a redirect steadfetch follows itself (deadlineHeader set): trace headers only where propagateTo allows', () => {
	const incoming = () => new Request('https://worker.test/', { headers: { 'request-timeout-ms': '5000' } });
	const hopping = (location: string) => recording((url) => (url.pathname === '/hop' ? new Response(null, { status: 302, headers: { location } }) : undefined));
	const made = (fetch: typeof globalThis.fetch, propagateTo?: string[]) => {
		const api = createClient({ clock: new ManualClock(), fetch, prefix: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0, trace: trace(propagateTo ? { propagateTo } : {}) });
		return { api, here: api.withContext({ waitUntil: () => undefined }, { request: incoming() }) };
	};
	const traceHeaders = ({ headers }: { headers: Record<string, string> }) => ['x-request-id', 'traceparent', 'tracestate', 'request-timeout-ms'].filter((name) => name in headers);

	it('to another origin: none of them (before: X-Request-ID and traceparent went on, the deadline header did not)', async () => {
		const { sent, fetch } = hopping('https://other.test/landed');
		const { api, here } = made(fetch);
		expect(await code(here.get('hop', { headers: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, tracestate: 'k=v' } }))).toBe('OK');
		expect(sent.map(({ url }) => url)).toEqual(['api.test/hop', 'other.test/landed']);
		expect(traceHeaders(sent[0]!)).toEqual(['x-request-id', 'traceparent', 'tracestate', 'request-timeout-ms']);
		expect(traceHeaders(sent[1]!)).toEqual([]);
		api.close();
	});

	it('within the origin: all of them, the same ids', async () => {
		const { sent, fetch } = hopping('/landed');
		const { api, here } = made(fetch);
		expect(await code(here.get('hop'))).toBe('OK');
		expect(traceHeaders(sent[1]!)).toEqual(['x-request-id', 'traceparent', 'request-timeout-ms']);
		expect(sent[1]!.headers['x-request-id']).toBe(sent[0]!.headers['x-request-id']);
		api.close();
	});

	it('to another origin propagateTo names: the trace headers, not the deadline', async () => {
		const { sent, fetch } = hopping('https://other.test/landed');
		const { api, here } = made(fetch, ['https://api.test', 'https://other.test']);
		expect(await code(here.get('hop'))).toBe('OK');
		expect(traceHeaders(sent[1]!)).toEqual(['x-request-id', 'traceparent']);
		api.close();
	});

	it('away and back: none on the other origin, the attempt\'s own again on the way back', async () => {
		const { sent, fetch } = recording((url) => (url.pathname === '/hop' ? new Response(null, { status: 302, headers: { location: 'https://other.test/bounce' } })
			: url.pathname === '/bounce' ? new Response(null, { status: 307, headers: { location: 'https://api.test/landed' } }) : undefined));
		const { api, here } = made(fetch);
		expect(await code(here.get('hop', { headers: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, tracestate: 'k=v' } }))).toBe('OK');
		expect(sent.map(({ url }) => url)).toEqual(['api.test/hop', 'other.test/bounce', 'api.test/landed']);
		expect(sent.map(traceHeaders)).toEqual([['x-request-id', 'traceparent', 'tracestate', 'request-timeout-ms'], [], ['x-request-id', 'traceparent', 'tracestate', 'request-timeout-ms']]);
		for (const name of ['x-request-id', 'traceparent', 'tracestate']) {
			expect(sent[2]!.headers[name]).toBe(sent[0]!.headers[name]);
		}

		api.close();
	});

	it('from an origin propagateTo does not name: the caller\'s own headers are left as they are', async () => {
		const { sent, fetch } = hopping('https://third.test/landed');
		const { api, here } = made(fetch, ['https://other.test']);
		expect(await code(here.get('hop', { headers: { 'X-Request-ID': 'mine' } }))).toBe('OK');
		expect(sent.map(({ headers }) => headers['x-request-id'])).toEqual(['mine', 'mine']);
		api.close();
	});
});

describe('neighbours: a mirror, a hedge, a replay, a log record', () => {
	it('failover to a mirror propagateTo does not name: no trace header goes there, the call keeps its id', async () => {
		const { sent, fetch } = recording((url) => (url.host === 'api.test' ? new Response('down', { status: 503 }) : undefined));
		const api = createClient({
			fetch, prefix: 'https://api.test/', retry: 0, retryBudget: false, trace: trace(),
			failover: failover({ mirrors: { 'https://api.test': ['https://mirror.test'] } }),
		});
		const starts: Array<EventMap['attempt:start']> = [];
		api.on('attempt:start', (event) => starts.push(event));
		expect(await code(api.get('orders', { headers: { tracestate: 'k=v', traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` } }))).toBe('OK');
		expect(sent.map(({ url, headers }) => [url, 'x-request-id' in headers])).toEqual([['api.test/orders', true], ['mirror.test/orders', false]]);
		// The caller's own trace headers stay on the mirror's request as they were given (not the slot's new span id).
		expect(sent[1]!.headers['traceparent']).toBe(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`);
		expect(new Set(starts.map(({ requestId }) => requestId)).size).toBe(1);
		api.close();
	});

	it('a hedge with a sensitive request id header: the caller\'s value on both attempts, shown on neither', async () => {
		const sent: Array<string | null> = [];
		// The first attempt hangs until aborted (the hedge won); the hedge answers.
		const fetch = (async (request: Request) => {
			sent.push(request.headers.get('x-corr'));
			if (sent.length === 1) {
				return new Promise<Response>((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)));
			}

			return new Response('ok');
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, prefix: 'https://api.test/', sensitiveHeaders: ['x-corr'], retry: 0, trace: trace({ requestIdHeader: 'X-Corr' }), hedge: hedge({ delayMs: 5 }) });
		const events: Array<EventMap['attempt:start']> = [];
		api.on('attempt:start', (event) => events.push(event));
		expect(await code(api.get('orders', { headers: { 'X-Corr': 'S-secret-corr' } }))).toBe('OK');
		expect(sent).toEqual(['S-secret-corr', 'S-secret-corr']);
		expect(events.map(({ hedge }) => hedge)).toEqual([false, true]);
		expect(shown(events)).not.toContain('S-secret');
		expect(events[0]!.requestId).toBe(events[1]!.requestId);
		api.close();
	});

	it('the logger\'s call record of a call refused before its request was built shows its URL without sensitive values', async () => {
		const records: LogRecord[] = [];
		const sink = { info: (record: LogRecord) => records.push(record), warn: (record: LogRecord) => records.push(record), error: (record: LogRecord) => records.push(record) };
		const { fetch } = recording();
		const api = createClient({ fetch, retry: 0, sensitiveParams: ['sessionid'], logger: logger(sink), trace: trace() });
		// fetch refuses a URL with a password as the Request is built: the record names the URL the caller gave.
		expect(await code(api.get('https://user:S-pass0@api.test/x?SessionId=S-sess1&token=S-tok1#access_token=S-frag1'))).toBe('INVALID_REQUEST');
		expect(await code(api.get('https://api.test/x?SessionId=S-sess2&a%5Btoken%5D=S-tok2'))).toBe('OK');
		expect(records.length).toBe(2);
		expect(shown(records)).not.toContain('S-');
		api.close();
	});
});
