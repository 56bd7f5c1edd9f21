/**
 * The request id across outbox replays (defect hunt, eighteenth round): stable for every origin, the
 * ones trace() sends no header to included — stored with the entry, as the id, never as a header.
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox, type ClientOptions, type EventMap, type KeyValueStore } from '../../src/entries/index.js';
import { trace } from '../../src/entries/trace.js';
import { otel } from '../../src/entries/otel.js';
import { logger, type LogRecord } from '../../src/entries/logger.js';
import { ManualClock } from '../helpers/manual-clock.js';

/** A fetch that answers each request with the next status (then 201), and keeps a copy of every request. */
const scripted = (statuses: number[]) => {
	const seen: Request[] = [];
	const fetch = async (request: Request) => {
		seen.push(request.clone());
		return new Response('{}', { status: statuses[seen.length - 1] ?? 201 });
	};

	return { seen, fetch: fetch as typeof globalThis.fetch };
};

/** A client of the name 'orders' on `store`, its trace headers sent to https://api.test only (its baseUrl). */
const make = (store: KeyValueStore, fetch: typeof globalThis.fetch, options: Pick<ClientOptions, 'sensitiveHeaders' | 'trace' | 'logger'> = {}) => {
	const api = createClient({
		name: 'orders', fetch, baseUrl: 'https://api.test', clock: new ManualClock(), random: () => 0.5, store: () => store,
		trace: trace(), retry: 0, retryBudget: false, breaker: false, staleCache: false, outbox: outbox({ baseBackoffMs: 1 }), ...options,
	});
	const starts: Array<EventMap['attempt:start']> = [];
	api.on('attempt:start', (event) => starts.push(event));
	return { api, starts };
};

/** The stored records of the outbox (its pending and dead keys). */
const records = async (store: KeyValueStore): Promise<Array<Record<string, unknown>>> => {
	const keys = (await store.keys()).filter((key) => /^[pd]\|/.test(key));
	return Promise.all(keys.map(async (key) => await store.get(key) as Record<string, unknown>));
};

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
afterAll(async () => provider.shutdown());

describe('the request id of a queued write, on its replays', () => {
	it('to an origin trace() sends no header to: the replay\'s attempt:start carries the queued call\'s id (before: a new one), and no header goes out', async () => {
		const { seen, fetch } = scripted([503]);
		const { api, starts } = make(memoryStore('a'), fetch);
		await expect(api.post('https://partner.test/orders', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		expect(Object.keys((await api.outbox.list())[0]!)).not.toContain('requestId'); // Kept with the record, not shown.
		expect(await api.outbox.flush()).toMatchObject({ sent: 1 });
		expect(starts.map(({ replay, requestId }) => [replay, requestId])).toEqual([[false, expect.stringMatching(/^[\da-f-]{36}$/)], [true, starts[0]!.requestId]]);
		expect(seen.map((request) => [request.headers.get('x-request-id'), request.headers.get('traceparent')])).toEqual([[null, null], [null, null]]);
		api.close();
	});

	it('after a reload: a second client of the name and store replays it with the id its first attempt had', async () => {
		const store = memoryStore('b');
		const { seen, fetch } = scripted([503, 503]);
		const first = make(store, fetch);
		await expect(first.api.post('https://partner.test/orders', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		first.api.close();
		const second = make(store, fetch);
		// Its first replay fails (503) and is stored again: the one after still carries the id.
		expect(await second.api.outbox.flush()).toMatchObject({ failed: 1 });
		expect(await second.api.outbox.flush()).toMatchObject({ sent: 1 });
		expect(second.starts.map(({ replay, requestId }) => [replay, requestId])).toEqual([[true, first.starts[0]!.requestId], [true, first.starts[0]!.requestId]]);
		expect(seen.every((request) => !request.headers.has('x-request-id'))).toBe(true);
		second.api.close();
	});

	it('to an origin it is sent to: unchanged — the stored header is the id, the replay sends it and is told it', async () => {
		const store = memoryStore('c');
		const { seen, fetch } = scripted([503]);
		const { api, starts } = make(store, fetch);
		await expect(api.post('https://api.test/orders', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		const id = starts[0]!.requestId;
		expect((await records(store)).map((record) => (record['headers'] as Record<string, string>)['x-request-id'])).toEqual([id]);
		await api.outbox.flush();
		expect(starts.map(({ requestId }) => requestId)).toEqual([id, id]);
		expect(seen.map((request) => request.headers.get('x-request-id'))).toEqual([id, id]);
		api.close();
	});

	it('a record stored without one (an older build\'s) is still replayed, with an id of its own', async () => {
		const store = memoryStore('d');
		const { seen, fetch } = scripted([503]);
		const first = make(store, fetch);
		await expect(first.api.post('https://partner.test/orders', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		first.api.close();
		for (const key of (await store.keys()).filter((name) => name.startsWith('p|'))) {
			const { requestId: _, ...older } = await store.get(key) as Record<string, unknown>;
			await store.set(key, older);
		}

		const second = make(store, fetch);
		expect(await second.api.outbox.flush()).toMatchObject({ sent: 1 });
		expect(seen).toHaveLength(2);
		expect(second.starts.map(({ replay, requestId }) => [replay, typeof requestId])).toEqual([[true, 'string']]);
		second.api.close();
	});

	it('a record whose stored id is no string, or no header value, is malformed (storage:error), never replayed with it', async () => {
		for (const bad of [42, 'line\nbreak']) {
			const store = memoryStore('e');
			const { seen, fetch } = scripted([503]);
			const first = make(store, fetch);
			await expect(first.api.post('https://partner.test/orders', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
			first.api.close();
			for (const key of (await store.keys()).filter((name) => name.startsWith('p|'))) {
				await store.set(key, { ...await store.get(key) as object, requestId: bad });
			}

			const second = make(store, fetch);
			const errors: unknown[] = [];
			second.api.on('storage:error', (event) => errors.push(event));
			await second.api.outbox.flush();
			expect(seen).toHaveLength(1);
			expect(second.starts).toEqual([]);
			expect(errors.length).toBeGreaterThan(0);
			second.api.close();
		}
	});

	it('never stored when its header is one the outbox never stores (sensitiveHeaders)', async () => {
		const store = memoryStore('f');
		const { fetch } = scripted(Array.from({ length: 10 }, () => 503)); // Both stored (and any drain's replay fails).
		const { api, starts } = make(store, fetch, { sensitiveHeaders: ['x-request-id'] });
		await expect(api.post('https://partner.test/orders', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		await expect(api.post('https://api.test/orders', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		expect(starts.filter(({ replay }) => !replay)).toHaveLength(2);
		const stored = JSON.stringify(await records(store));
		expect(starts.filter(({ requestId }) => stored.includes(requestId))).toEqual([]);
		api.close();
	});

	it('the logger\'s call record and otel()\'s call span of the replay carry the queued call\'s id', async () => {
		exporter.reset();
		const { fetch } = scripted([503]);
		const logged: LogRecord[] = [];
		const sink = { info: (record: LogRecord) => logged.push(record), warn: (record: LogRecord) => logged.push(record), error: (record: LogRecord) => logged.push(record) };
		const { api, starts } = make(memoryStore('g'), fetch, { trace: otel({ tracer: provider.getTracer('t') }), logger: logger(sink) });
		await expect(api.post('https://partner.test/orders', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		await api.outbox.flush();
		const id = starts[0]!.requestId;
		expect(starts.map(({ requestId }) => requestId)).toEqual([id, id]);
		expect(logged.filter(({ event }) => event === 'call').map(({ requestId }) => requestId)).toEqual([id, id]);
		const calls = exporter.getFinishedSpans().filter((span) => span.name.startsWith('steadfetch '));
		expect(calls.map((span) => span.attributes['steadfetch.request_id'])).toEqual([id, id]);
		api.close();
	});
});
