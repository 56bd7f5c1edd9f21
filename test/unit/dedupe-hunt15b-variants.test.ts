/**
 * dedupe and observability (defect hunt, fifteenth round, second pass): a call that joined another's
 * request (`dedupe()`) is told what it got. Its log record and its call span name the request id the
 * server saw (the shared request's), `otel()` gives its call span a child span for the shared attempt
 * (with the joiner's own outcome, marked `steadfetch.shared`), and a joiner that ended up sending its
 * own request is not counted in `stats().dedupe.shared`.
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient, type CoreClientOptions as ClientOptions } from '../../src/entries/core.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { hedge } from '../../src/entries/hedge.js';
import { logger, type LogRecord } from '../../src/entries/logger.js';
import { otel } from '../../src/entries/otel.js';
import { trace } from '../../src/entries/trace.js';
import { holdGate } from '../helpers/hold-gate.js';
import { code, oneSlotScope } from './dedupe-kit.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('steadfetch-hunt15b');
afterAll(async () => provider.shutdown());
beforeEach(() => exporter.reset());

/**
 * A client with `dedupe()` and the given trace slot whose fetch holds each request while `gate` is shut, answers the
 * statuses of `statuses` in turn (then 200), and notes each request's path and request id.
 */
const setup = (options: ClientOptions = {}, statuses: number[] = []) => {
	const gate = holdGate();
	const sent: Array<{ path: string; requestId: string | null; traceparent: string | null }> = [];
	const records: LogRecord[] = [];
	const sink = { info: (record: LogRecord) => records.push(record), warn: (record: LogRecord) => records.push(record), error: (record: LogRecord) => records.push(record) };
	const api = createClient({
		retry: 0,
		dedupe: dedupe(),
		logger: logger(sink),
		trace: trace({ propagateTo: '*' }),
		...options,
		fetch: (async (request: Request) => {
			sent.push({ path: new URL(request.url).pathname, requestId: request.headers.get('x-request-id'), traceparent: request.headers.get('traceparent') });
			await gate.held();
			return new Response('ok', { status: statuses.shift() ?? 200 });
		}) as typeof fetch,
	});
	const shared = () => (api.stats()['https://api.test'] as { dedupe?: { shared: number } } | undefined)?.dedupe?.shared;
	/** Calls made by `make`: the first sends, each other joins it (waited for), then the gate opens. */
	const together = async (make: Array<() => Promise<unknown>>, open = true) => {
		gate.hold();
		const calls = [code(make[0]!())];
		await vi.waitFor(() => expect(sent).toHaveLength(1), { timeout: 5000 });
		for (const [index, more] of make.slice(1).entries()) {
			calls.push(code(more()));
			await vi.waitFor(() => expect(shared()).toBe(index + 1), { timeout: 5000 });
		}

		if (open) {
			gate.release();
		}

		return calls;
	};

	return { api, gate, sent, records, shared, together };
};

const calls = (records: LogRecord[]) => records.filter((record) => record.event === 'call');

const byKind = (spans: ReadableSpan[]) => ({
	call: spans.filter((span) => span.name.startsWith('steadfetch ')),
	attempts: spans.filter((span) => !span.name.startsWith('steadfetch ')),
});

/** The attempt spans under `parent`. */
const childrenOf = (spans: ReadableSpan[], parent: ReadableSpan) => spans.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);

/** A first caller of `/a` and a joiner that aborts while the request is held: the joiner is told ABORTED, the first caller 200. */
const joinerAborts = async ({ api, gate, together }: Pick<ReturnType<typeof setup>, 'api' | 'gate' | 'together'>) => {
	const controller = new AbortController();
	const outcomes = await together([async () => api.get('https://api.test/a'), async () => api.get('https://api.test/a', { signal: controller.signal })], false);
	controller.abort();
	expect(await outcomes[1]).toBe('ABORTED');
	gate.release();
	expect(await outcomes[0]).toBe(200);
};

describe('dedupe: a joiner\'s log record names the request id the server saw', () => {
	it.each([['trace()', {}], ['otel()', { trace: otel({ tracer, propagateTo: '*' }) }]] as const)('with %s: both calls\' records carry the shared request\'s id', async (_, options) => {
		const { api, sent, records, together } = setup(options as ClientOptions);
		const outcomes = await together([async () => api.get('https://api.test/a'), async () => api.get('https://api.test/a')]);
		expect(await Promise.all(outcomes)).toEqual([200, 200]);
		expect(sent).toHaveLength(1);
		expect(sent[0]!.requestId).toMatch(/^[\da-f-]{36}$/);
		// Before: the joiner's record had no requestId.
		expect(calls(records).map((record) => record.requestId)).toEqual([sent[0]!.requestId, sent[0]!.requestId]);
		api.close();
	});

	it('a HEAD joiner, and one whose shared attempt failed (503): the same id', async () => {
		const { api, sent, records, together } = setup({}, [503]);
		const outcomes = await together([async () => api.head('https://api.test/h'), async () => api.head('https://api.test/h'), async () => api.head('https://api.test/h')]);
		expect(await Promise.all(outcomes)).toEqual(['HTTP_5XX', 'HTTP_5XX', 'HTTP_5XX']);
		expect(calls(records).map((record) => [record.requestId, record.code])).toEqual(Array.from({ length: 3 }, () => [sent[0]!.requestId, 'HTTP_5XX']));
		api.close();
	});

	it('a joiner that aborted is told the id of the request it joined', async () => {
		const { api, sent, records, ...scope } = setup();
		await joinerAborts({ api, ...scope });
		expect(calls(records).map((record) => [record.requestId, record.code])).toEqual(expect.arrayContaining([[sent[0]!.requestId, 'ABORTED'], [sent[0]!.requestId, undefined]]));
		api.close();
	});

	it('a joiner\'s own retry carries the request id of its first (shared) attempt: one request id per call', async () => {
		const { api, sent, records, together } = setup({ retry: { limit: 1, delay: () => 1, jitter: false } }, [503]);
		// The first caller does not retry; the joiner does, alone.
		const outcomes = await together([async () => api.get('https://api.test/a', { retry: 0 }), async () => api.get('https://api.test/a')]);
		expect(await Promise.all(outcomes)).toEqual(['HTTP_5XX', 200]);
		expect(sent).toHaveLength(2);
		// Before: the retry had a new id of its own (the call had two), and its record named that one.
		expect(sent[1]!.requestId).toBe(sent[0]!.requestId);
		expect(calls(records).map((record) => record.requestId)).toEqual([sent[0]!.requestId, sent[0]!.requestId]);
		api.close();
	});

	it.each([
		['trace()', {}],
		['otel()', { trace: otel({ tracer, propagateTo: '*' }) }],
		['trace() and hedge()', { hedge: hedge({ delayMs: 5000 }) }],
		['trace() to an origin outside propagateTo (no headers for either)', { trace: trace({ propagateTo: ['https://other.test'] }) }],
	] as const)('with %s: a joiner\'s own Request (HTTPError.request, an afterResponse hook\'s) carries the ids the server saw, as the first caller\'s does', async (_, options) => {
		const seen: Array<[string | null, string | null]> = [];
		const hooks = { afterResponse: [({ request }: { request: Request }) => void seen.push([request.headers.get('x-request-id'), request.headers.get('traceparent')])] };
		const { api, sent, together } = setup({ ...options, hooks } as ClientOptions, [503]);
		const requestOf = async (promise: Promise<unknown>) => promise.then(() => undefined, (error: { request?: Request }) => error.request);
		const errors: Array<Promise<Request | undefined>> = [];
		const outcomes = await together([async () => {
			const made = api.get('https://api.test/a');
			errors.push(requestOf(made));
			return made;
		}, async () => {
			const made = api.get('https://api.test/a');
			errors.push(requestOf(made));
			return made;
		}]);
		expect(await Promise.all(outcomes)).toEqual(['HTTP_5XX', 'HTTP_5XX']);
		const ids = [sent[0]!.requestId, sent[0]!.traceparent];
		// Before: the joiner's Request had neither header ([null, null]).
		expect((await Promise.all(errors)).map((request) => [request?.headers.get('x-request-id'), request?.headers.get('traceparent')])).toEqual([ids, ids]);
		expect(seen).toEqual([ids, ids]);
		api.close();
	});

	it('a joiner with { trace: false } (and its first caller) has no request id', async () => {
		const { api, sent, records, together } = setup();
		const outcomes = await together([async () => api.get('https://api.test/a', { trace: false }), async () => api.get('https://api.test/a', { trace: false })]);
		expect(await Promise.all(outcomes)).toEqual([200, 200]);
		expect(sent[0]!.requestId).toBeNull();
		expect(calls(records).map((record) => record.requestId)).toEqual([undefined, undefined]);
		api.close();
	});
});

describe('dedupe with otel(): a joiner\'s call span has a child span for the shared attempt', () => {
	it('its call span names the request id the server saw; its attempt span, the joiner\'s outcome, marked shared', async () => {
		const { api, sent, together } = setup({ trace: otel({ tracer, propagateTo: '*' }) });
		const outcomes = await together([async () => api.get('https://api.test/a'), async () => api.get('https://api.test/a')]);
		expect(await Promise.all(outcomes)).toEqual([200, 200]);
		const spans = exporter.getFinishedSpans();
		const { call, attempts } = byKind(spans);
		expect(call).toHaveLength(2);
		// Before: the joiner's call span had no steadfetch.request_id and no child span.
		expect(call.map((span) => span.attributes['steadfetch.request_id'])).toEqual([sent[0]!.requestId, sent[0]!.requestId]);
		expect(attempts).toHaveLength(2);
		const [own, joined] = call.map((span) => childrenOf(spans, span));
		expect([own!.length, joined!.length]).toEqual([1, 1]);
		// The server saw the first caller's attempt span; the joiner's is marked shared.
		expect(sent[0]!.traceparent).toBe(`00-${own![0]!.spanContext().traceId}-${own![0]!.spanContext().spanId}-01`);
		expect(own![0]!.attributes['steadfetch.shared']).toBeUndefined();
		expect(joined![0]!.attributes).toMatchObject({ 'http.request.method': 'GET', 'url.full': 'https://api.test/a', 'http.response.status_code': 200, 'steadfetch.shared': true });
		expect(joined![0]!.attributes['http.request.resend_count']).toBeUndefined();
		expect(joined![0]!.spanContext().traceId).toBe(call[1]!.spanContext().traceId);
		api.close();
	});

	it('a joiner that aborted: its shared attempt span ends with its outcome (ABORTED), the first caller\'s with 200', async () => {
		const { api, ...scope } = setup({ trace: otel({ tracer, propagateTo: '*' }) });
		await joinerAborts({ api, ...scope });
		const spans = exporter.getFinishedSpans();
		const attempts = byKind(spans).attempts;
		expect(attempts.map((span) => [span.attributes['steadfetch.shared'] ?? false, span.attributes['http.response.status_code'] ?? span.attributes['error.type']])).toEqual(expect.arrayContaining([[true, 'ABORTED'], [false, 200]]));
		expect(attempts).toHaveLength(2);
		api.close();
	});

	it('a joiner\'s own retry after the shared 503: its span counts the shared attempt as its first send (resend_count 1)', async () => {
		const { api, sent, together } = setup({ trace: otel({ tracer, propagateTo: '*' }), retry: { limit: 1, delay: () => 1, jitter: false } }, [503]);
		const outcomes = await together([async () => api.get('https://api.test/a', { retry: 0 }), async () => api.get('https://api.test/a')]);
		expect(await Promise.all(outcomes)).toEqual(['HTTP_5XX', 200]);
		expect(sent).toHaveLength(2);
		const spans = exporter.getFinishedSpans();
		const root = byKind(spans).call.find((span) => span.attributes['http.response.status_code'] === 200);
		expect(childrenOf(spans, root!).map((span) => [span.attributes['steadfetch.shared'] ?? false, span.attributes['http.request.resend_count'], span.attributes['http.response.status_code']])).toEqual([[true, undefined, 503], [false, 1, 200]]);
		// The retry's span is the one the server saw.
		const retry = childrenOf(spans, root!)[1]!;
		expect(sent[1]!.traceparent).toBe(`00-${retry.spanContext().traceId}-${retry.spanContext().spanId}-01`);
		api.close();
	});

	it('a failed shared attempt (503): each joiner\'s span has error.type 503, under its own call span', async () => {
		const { api, together } = setup({ trace: otel({ tracer, propagateTo: '*' }) }, [503]);
		const outcomes = await together([async () => api.get('https://api.test/a'), async () => api.get('https://api.test/a'), async () => api.get('https://api.test/a')]);
		expect(await Promise.all(outcomes)).toEqual(['HTTP_5XX', 'HTTP_5XX', 'HTTP_5XX']);
		const spans = exporter.getFinishedSpans();
		const { call } = byKind(spans);
		expect(call.map((span) => childrenOf(spans, span).map((child) => [child.attributes['error.type'], child.status.code]))).toEqual([[['503', 2]], [['503', 2]], [['503', 2]]]);
		api.close();
	});
});

/**
 * A client whose scope takes one request at a time (dedupe-kit.ts `oneSlotScope`): `/block` holds the slot while `gate` is
 * shut; `/a` answers 503 to its first request, then 200. `retrying(make)`: the first call gets `/a`'s 503, then its retry
 * waits for the slot `/block` holds. Returns the call and `/block`'s.
 */
const blocked = (options: ClientOptions = {}) => {
	const scope = oneSlotScope(options);
	const retrying = async (make: () => Promise<unknown>) => {
		const { calls: [call], blocker } = await scope.retrying([make]);
		return { call: call!, blocker };
	};
	return { ...scope, retrying };
};

describe('dedupe: stats().dedupe.shared counts the calls that got a shared request\'s answer', () => {
	it.each([
		['its first caller\'s retry refused after a sign-in', false],
		['its first caller aborted, then a sign-in', true],
	])('a joiner made while nobody was signed in that sent its own request (%s) is not counted', async (_, abort) => {
		const signIn = { who: undefined as string | undefined };
		const { api, sent, shared, retrying, join, settle } = blocked({ identity: () => signIn.who });
		const controller = new AbortController();
		const { call, blocker } = await retrying(async () => api.get('https://api.test/a', { signal: controller.signal }));
		const [joiner] = await join();
		if (abort) {
			controller.abort();
		}

		await settle(blocker, () => {
			signIn.who = 'bob';
		});
		expect([await call, await joiner]).toEqual(['ABORTED', 200]);
		expect(sent).toEqual(['/a', '/block', '/a']);
		// Before: 1 — the joiner counted as shared though its answer came from its own request.
		expect(shared()).toBe(0);
		api.close();
	}, 20_000);

	it('a joiner told the shared outcome (ABORTED after its identity changed) is still counted', async () => {
		let who = 'alice';
		const { api, sent, shared, retrying, join, settle } = blocked({ identity: () => who });
		const { call, blocker } = await retrying(async () => api.get('https://api.test/a'));
		const [joiner] = await join();
		await settle(blocker, () => {
			who = 'bob';
		});
		expect([await call, await joiner]).toEqual(['ABORTED', 'ABORTED']);
		expect(sent).toEqual(['/a', '/block']);
		expect(shared()).toBe(1);
		api.close();
	}, 20_000);

	it('its log record and its request name its own request id, not the refused request\'s', async () => {
		const records: LogRecord[] = [];
		const sink = { info: (record: LogRecord) => records.push(record), warn: (record: LogRecord) => records.push(record), error: (record: LogRecord) => records.push(record) };
		const signIn = { who: undefined as string | undefined };
		const { api, sent, ids, retrying, join, settle } = blocked({ identity: () => signIn.who, trace: trace({ propagateTo: '*' }), logger: logger(sink) });
		const { call, blocker } = await retrying(async () => api.get('https://api.test/a'));
		const [joiner] = await join();
		await settle(blocker, () => {
			signIn.who = 'bob';
		});
		expect([await call, await joiner]).toEqual(['ABORTED', 200]);
		expect(sent).toEqual(['/a', '/block', '/a']);
		// Before: the joiner's own request carried the first caller's id (that of a request refused, never sent for it).
		expect(ids[2]).not.toBe(ids[0]);
		const joined = calls(records).find((record) => record.status === 200 && record.url === 'https://api.test/a');
		expect(joined?.requestId).toBe(ids[2]);
		api.close();
	}, 20_000);

	it('with otel(): its own request\'s span is its first send (no resend_count); the refused shared attempt\'s span says ABORTED', async () => {
		const signIn = { who: undefined as string | undefined };
		const { api, retrying, join, settle } = blocked({ identity: () => signIn.who, trace: otel({ tracer, propagateTo: '*' }) });
		const { call, blocker } = await retrying(async () => api.get('https://api.test/a'));
		exporter.reset();
		const [joiner] = await join();
		await settle(blocker, () => {
			signIn.who = 'bob';
		});
		expect([await call, await joiner]).toEqual(['ABORTED', 200]);
		const spans = exporter.getFinishedSpans();
		const root = byKind(spans).call.find((span) => span.attributes['http.response.status_code'] === 200 && span.attributes['url.full'] === 'https://api.test/a');
		const children = childrenOf(spans, root!).map((span) => [span.attributes['steadfetch.shared'] ?? false, span.attributes['http.request.resend_count'], span.attributes['http.response.status_code'] ?? span.attributes['error.type']]);
		// Before: [false, 1, 200] — the refused shared attempt, which sent nothing for it, counted as a send before its own.
		expect(children).toEqual([[true, undefined, 'ABORTED'], [false, undefined, 200]]);
		api.close();
	}, 20_000);
});
