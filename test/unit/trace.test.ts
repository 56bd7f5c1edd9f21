/** Request ids and trace context (issue 16): one id per call across attempts and the outbox replay, a span per attempt. */
import { describe, expect, it } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { createClient, memoryStore, type EventMap } from '../../src/entries/index.js';
import { trace } from '../../src/entries/trace.js';

const scripted = (statuses: number[]) => {
	const seen: Request[] = [];
	const fetch = async (request: Request) => {
		seen.push(request.clone());
		return new Response('{}', { status: statuses[seen.length - 1] ?? 200 });
	};

	return { seen, fetch: fetch as typeof globalThis.fetch };
};

describe('trace', () => {
	it('one request id across a call\'s 3 attempts; one trace id, a new span id per attempt; attempt events', async () => {
		const { seen, fetch } = scripted([503, 503, 200]);
		const api = createCore({ fetch, trace: trace(), retry: { limit: 2, delay: () => 0 } });
		const events: Array<EventMap['attempt:end']> = [];
		api.on('attempt:end', (event) => events.push(event));
		await api.get('https://api.test/a').text();
		expect(seen).toHaveLength(3);
		const ids = seen.map((request) => request.headers.get('x-request-id'));
		expect(new Set(ids).size).toBe(1);
		expect(ids[0]).toMatch(/^[\da-f-]{36}$/);
		const parents = seen.map((request) => /^00-([\da-f]{32})-([\da-f]{16})-01$/.exec(request.headers.get('traceparent') ?? '')!);
		expect(new Set(parents.map((match) => match[1])).size).toBe(1);
		expect(new Set(parents.map((match) => match[2])).size).toBe(3);
		expect(events.map(({ attempt, status, requestId }) => [attempt, status, requestId])).toEqual([[1, 503, ids[0]], [2, 503, ids[0]], [3, 200, ids[0]]]);
	});

	it('continues a traceparent already on the request, and a request id header of its own name', async () => {
		const { seen, fetch } = scripted([200]);
		const api = createCore({ fetch, trace: trace({ requestIdHeader: 'x-correlation-id' }) });
		await api.get('https://api.test/a', { headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' } }).text();
		expect(seen[0]!.headers.get('traceparent')).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-(?!b7ad6b7169203331)[\da-f]{16}-00$/);
		expect(seen[0]!.headers.get('x-correlation-id')).toMatch(/^[\da-f-]{36}$/);
	});

	it('an outbox replay carries the request id and the trace id of the first attempt', async () => {
		const { seen, fetch } = scripted([503, 201]);
		const api = createClient({ fetch, trace: trace(), store: memoryStore, retry: 0, breaker: false, staleCache: false, outbox: { baseBackoffMs: 1 } });
		await api.post('https://api.test/m', { json: { a: 1 } }).catch(() => undefined);
		await new Promise((resolve) => setTimeout(resolve, 10));
		await api.outbox.flush();
		expect(seen).toHaveLength(2);
		expect(seen[1]!.headers.get('x-request-id')).toBe(seen[0]!.headers.get('x-request-id'));
		expect(seen[1]!.headers.get('traceparent')!.split('-')[1]).toBe(seen[0]!.headers.get('traceparent')!.split('-')[1]);
		api.close();
	});

	it('a bad requestIdHeader is a RangeError naming it', () => {
		expect(() => createCore({ trace: trace({ requestIdHeader: 'bad header' }) })).toThrow(/trace\.requestIdHeader/);
	});
});
