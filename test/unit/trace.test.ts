/** Request ids and trace context (issue 16): one id per call across attempts and the outbox replay, a span per attempt. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { createClient, memoryStore, type EventMap, outbox } from '../../src/entries/index.js';
import { trace } from '../../src/entries/trace.js';
import { hedge } from '../../src/entries/hedge.js';

const scripted = (statuses: number[]) => {
	const seen: Request[] = [];
	const fetch = async (request: Request) => {
		seen.push(request.clone());
		return new Response('{}', { status: statuses[seen.length - 1] ?? 200 });
	};

	return { seen, fetch: fetch as typeof globalThis.fetch };
};

afterEach(() => {
	vi.unstubAllGlobals();
});

const traceHeaders = (request: Request) => [request.headers.get('x-request-id'), request.headers.get('traceparent')];

describe('trace', () => {
	it('attempt:end of a dropped connection carries classify()\'s code (NETWORK), never the engine\'s class name', async () => {
		const dropped = async () => {
			throw new TypeError('fetch failed');
		};

		const api = createCore({ fetch: dropped as typeof globalThis.fetch, prefix: 'https://api.test/', trace: trace(), retry: 0 });
		const codes: Array<string | undefined> = [];
		api.on('attempt:end', (event) => codes.push(event.code));
		await expect(api.get('a')).rejects.toMatchObject({ name: 'NetworkError' });
		expect(codes).toEqual(['NETWORK']);
		api.close();
	});

	it('attempt:end of an attempt ky\'s timeout (or totalTimeout) ended says TIMEOUT, as classify() says of the call\'s error; the caller\'s own abort says ABORTED', async () => {
		let sent = 0;
		const hangs = (async (request: Request) => new Promise<Response>((_, reject) => {
			sent++;
			request.signal.addEventListener('abort', () => reject(request.signal.reason));
		})) as typeof globalThis.fetch;
		for (const options of [{ timeout: 30 }, { timeout: false as const, totalTimeout: 30 }]) {
			const api = createCore({ fetch: hangs, prefix: 'https://api.test/', trace: trace(), retry: 0, ...options });
			const codes: Array<string | undefined> = [];
			api.on('attempt:end', (event) => codes.push(event.code));
			await expect(api.get('a')).rejects.toMatchObject({ name: 'TimeoutError' });
			await expect.poll(() => codes).toEqual(['TIMEOUT']);
			const controller = new AbortController();
			const call = api.get('b', { signal: controller.signal, timeout: false, totalTimeout: false });
			// Aborted once it went out (an attempt aborted before has no events: it is not sent).
			const before = sent;
			await expect.poll(() => sent).toBe(before + 1);
			controller.abort();
			await expect(call).rejects.toMatchObject({ name: 'AbortError' });
			await expect.poll(() => codes).toEqual(['TIMEOUT', 'ABORTED']);
			api.close();
		}
	});

	it('one request id across a call\'s 3 attempts; one trace id, a new span id per attempt; attempt events', async () => {
		const { seen, fetch } = scripted([503, 503, 200]);
		const api = createCore({ fetch, prefix: 'https://api.test/', trace: trace(), retry: { limit: 2, delay: () => 0 } });
		const events: Array<EventMap['attempt:end']> = [];
		api.on('attempt:end', (event) => events.push(event));
		await api.get('a').text();
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
		const api = createCore({ fetch, trace: trace({ requestIdHeader: 'x-correlation-id', propagateTo: ['https://api.test'] }) });
		await api.get('https://api.test/a', { headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' } }).text();
		expect(seen[0]!.headers.get('traceparent')).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-(?!b7ad6b7169203331)[\da-f]{16}-00$/);
		expect(seen[0]!.headers.get('x-correlation-id')).toMatch(/^[\da-f-]{36}$/);
	});

	it('an outbox replay carries the request id and the trace id of the first attempt', async () => {
		const { seen, fetch } = scripted([503, 201]);
		const api = createClient({ fetch, baseUrl: 'https://api.test', trace: trace(), store: memoryStore, retry: 0, breaker: false, staleCache: false, outbox: outbox({ baseBackoffMs: 1 }) });
		await api.post('https://api.test/m', { json: { a: 1 } }).catch(() => undefined);
		await new Promise((resolve) => setTimeout(resolve, 10));
		await api.outbox.flush();
		expect(seen).toHaveLength(2);
		expect(seen[1]!.headers.get('x-request-id')).toBe(seen[0]!.headers.get('x-request-id'));
		expect(seen[1]!.headers.get('traceparent')!.split('-')[1]).toBe(seen[0]!.headers.get('traceparent')!.split('-')[1]);
		api.close();
	});

	it('an outbox replay of a keyed write carries the request id and the trace id of the first attempt also with hedge(), whose attempts are copies of the call\'s Request (defect hunt, eleventh round)', async () => {
		const { seen, fetch } = scripted([503, 503, 201]);
		const api = createClient({ fetch, baseUrl: 'https://api.test', trace: trace(), hedge: hedge({ delayMs: 1_000 }), store: memoryStore, retry: 0, breaker: false, staleCache: false, outbox: outbox({ baseBackoffMs: 1 }) });
		await api.post('https://api.test/m', { json: { a: 1 }, headers: { 'idempotency-key': 'order-1' } }).catch(() => undefined);
		// Replayed until delivered (503, then 201), each replay once its backoff (1 ms) is due.
		await vi.waitFor(async () => {
			await api.outbox.flush();
			expect(seen).toHaveLength(3);
		});
		// Before: each replay went out with a request id and a trace of its own (3 ids, 3 trace ids).
		const ids = seen.map((request) => [request.headers.get('x-request-id'), request.headers.get('traceparent')!.split('-')[1]]);
		expect(ids).toEqual([ids[0], ids[0], ids[0]]);
		api.close();
	});

	it('a bad requestIdHeader is a RangeError naming it', () => {
		expect(() => createCore({ trace: trace({ requestIdHeader: 'bad header' }) })).toThrow(/trace\.requestIdHeader/);
	});

	it('sends its headers only to the origin of the client\'s prefix or baseUrl by default; a third party gets none, yet every attempt is traced', async () => {
		const { seen, fetch } = scripted([]);
		await createCore({ fetch, prefix: 'https://api.test/v1/', trace: trace() }).get('users').text();
		const api = createCore({ fetch, baseUrl: 'https://api.test/v1/', trace: trace() });
		const events: Array<EventMap['attempt:start']> = [];
		api.on('attempt:start', (event) => events.push(event));
		await api.get('users').text();
		await api.get('https://third-party.test/pixel').text();
		await api.get('https://api.test.evil.test/x').text(); // a longer host that starts like the API's
		for (const request of seen.slice(0, 2)) {
			expect(traceHeaders(request)).toEqual([expect.stringMatching(/^[\da-f-]{36}$/), expect.stringMatching(/^00-[\da-f]{32}-[\da-f]{16}-01$/)]);
		}

		expect(traceHeaders(seen[2]!)).toEqual([null, null]);
		expect(traceHeaders(seen[3]!)).toEqual([null, null]);
		expect(events.map(({ url, requestId }) => [url, typeof requestId])).toEqual([
			['https://api.test/v1/users', 'string'], ['https://third-party.test/pixel', 'string'], ['https://api.test.evil.test/x', 'string'],
		]);
	});

	it('the default includes location.origin where there is one (a page, a worker); a request the caller traced itself is left as it is', async () => {
		vi.stubGlobal('location', new URL('https://app.test/page'));
		const { seen, fetch } = scripted([200, 200, 200]);
		const api = createCore({ fetch, trace: trace() });
		await api.get('https://app.test/api/a').text();
		await api.get('https://api.test/a').text();
		const own = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
		await api.get('https://api.test/b', { headers: { traceparent: own, 'x-request-id': 'mine' } }).text();
		expect(traceHeaders(seen[0]!)).toEqual([expect.any(String), expect.any(String)]);
		expect(traceHeaders(seen[1]!)).toEqual([null, null]);
		expect(traceHeaders(seen[2]!)).toEqual(['mine', own]);
	});

	it('propagateTo: \'*\' sends to every origin; a list replaces the default', async () => {
		const { seen, fetch } = scripted([200, 200, 200, 200]);
		const everywhere = createCore({ fetch, baseUrl: 'https://api.test/', trace: trace({ propagateTo: '*' }) });
		await everywhere.get('https://third-party.test/a').text();
		const listed = createCore({ fetch, baseUrl: 'https://api.test/', trace: trace({ propagateTo: ['https://partner.test/', 'HTTPS://Other.TEST'] }) });
		await listed.get('https://partner.test/a').text();
		await listed.get('https://other.test/a').text();
		await listed.get('a').text(); // the prefix's origin is not in the list
		expect(seen.map((request) => request.headers.has('traceparent'))).toEqual([true, true, true, false]);
	});

	it('an invalid incoming traceparent starts a new trace (its tracestate dropped); a valid one, of a later version too, is continued with its tracestate', async () => {
		const traceId = '0af7651916cd43dd8448eb211c80319c';
		const invalid = [
			`00-${'0'.repeat(32)}-b7ad6b7169203331-01`, // all-zero trace id
			`00-${traceId}-${'0'.repeat(16)}-01`, // all-zero span id
			`ff-${traceId}-b7ad6b7169203331-01`, // version ff
			`00-${traceId}-b7ad6b7169203331-01-extra`, // version 00 is exactly 55 characters
			`00-${traceId}-b7ad6b716920333-01`, // short span id
			`00-${traceId.toUpperCase()}-b7ad6b7169203331-01`, // upper-case hex
		];
		const { seen, fetch } = scripted([]);
		const api = createCore({ fetch, trace: trace({ propagateTo: '*' }) });
		for (const given of [...invalid, `00-${traceId}-b7ad6b7169203331-00`, `cc-${traceId}-b7ad6b7169203331-01-future`]) {
			await api.get('https://api.test/a', { headers: { traceparent: given, tracestate: 'vendor=abc' } }).text();
		}

		// A new trace drops the tracestate that came with the invalid traceparent (W3C); a continued one keeps it.
		expect(seen.map((request) => request.headers.get('tracestate'))).toEqual([...invalid.map(() => null), 'vendor=abc', 'vendor=abc']);

		const sent = seen.map((request) => /^00-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/.exec(request.headers.get('traceparent')!)!);
		for (const fields of sent.slice(0, invalid.length)) {
			expect(fields[1]).not.toBe(traceId);
			expect(fields[1]).not.toBe('0'.repeat(32));
			expect(fields[3]).toBe('01');
		}

		expect(sent.slice(invalid.length).map((fields) => [fields[1], fields[3]])).toEqual([[traceId, '00'], [traceId, '01']]);
	});

	it('a bad propagateTo is a RangeError naming it', () => {
		for (const value of ['https://api.test', ['https://api.test/v1'], ['ftp://api.test'], ['api.test'], [42], 'all', null]) {
			expect(() => trace({ propagateTo: value as never })).toThrow(/trace\.propagateTo/);
		}

		expect(() => createCore({ trace: trace({ propagateTo: ['https://api.test/v1/'] }) })).toThrow(RangeError);
		expect(() => trace({ propagateTo: ['https://api.test', 'http://127.0.0.1:8080/'] })).not.toThrow();
	});
});
