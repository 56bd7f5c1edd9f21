/** The observing policies per call, round-4 variants: `{ trace: false }` (trace() and otel()) and `{ logger: false }`, typed and checked. */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createClient, InvalidRequestError } from '../../src/entries/core.js';
import { logger, type LogRecord } from '../../src/entries/logger.js';
import { otel } from '../../src/entries/otel.js';
import { trace } from '../../src/entries/trace.js';

const seen: Headers[] = [];
const fetch = (async (request: Request) => {
	seen.push(request.headers);
	return new Response('ok');
}) as typeof globalThis.fetch;

describe('trace and logger: off per call', () => {
	it('{ trace: false } sends no trace headers and makes no span, with trace() and otel(); any other value is InvalidRequestError before any I/O', async () => {
		const exporter = new InMemorySpanExporter();
		const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('t');
		for (const policy of [trace({ propagateTo: '*' }), otel({ tracer, propagateTo: '*' })]) {
			seen.length = 0;
			exporter.reset();
			const api = createClient({ retry: 0, fetch, trace: policy });
			await api.get('https://api.test/off', { trace: false }).text();
			expect([seen[0]?.get('traceparent'), seen[0]?.get('x-request-id'), exporter.getFinishedSpans().length]).toEqual([null, null, 0]);
			// Before: sent with the trace on.
			await expect(api.get('https://api.test/wrong', { trace: 'no' } as never)).rejects.toBeInstanceOf(InvalidRequestError);
			expect(seen).toHaveLength(1);
			api.close();
		}
	});

	it('{ logger: false } writes no record of the call; any other value is InvalidRequestError before any I/O', async () => {
		const records: LogRecord[] = [];
		const sink = { info: (record: LogRecord) => records.push(record), warn: (record: LogRecord) => records.push(record), error: (record: LogRecord) => records.push(record) };
		seen.length = 0;
		const api = createClient({ retry: 0, fetch, logger: logger(sink) });
		await api.get('https://api.test/quiet', { logger: false }).text();
		await api.get('https://api.test/logged').text();
		// Before: a record of /quiet too.
		expect(records.map((record) => record.url)).toEqual(['https://api.test/logged']);
		await expect(api.get('https://api.test/wrong', { logger: 0 } as never)).rejects.toBeInstanceOf(InvalidRequestError);
		expect(seen).toHaveLength(2);
		api.close();
	});
});
