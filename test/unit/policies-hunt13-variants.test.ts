/** The other policies and TanStack Query: round-13 variants. */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { waitFor } from '../helpers/wait-for.js';
import { holdingFetch } from '../helpers/holding-fetch.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { health } from '../../src/entries/health.js';
import { queryOptionsFor } from '../../src/entries/tanstack-query.js';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { otel } from '../../src/entries/otel.js';
import { hedge } from '../../src/entries/hedge.js';

const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);

describe('bulkhead() and a request\'s deadline (deadlineHeader)', () => {
	/**
	 * A client of one bulkhead slot whose request for `/hang` is never answered (the transport ignores the abort: the
	 * slot's lease is what takes the slot back then), and `here`: the client in a request whose deadline is 200 ms.
	 */
	const oneSlot = () => {
		const { sent, fetch } = holdingFetch('/hang', () => new Response('ok'));
		const api = createClient({ baseUrl: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0, fetch, bulkhead: bulkhead({ maxConcurrent: 1 }) });
		const here = api.withContext({ waitUntil: () => undefined }, { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '200' } }) });
		return { sent, api, here };
	};

	it('a slot held by an attempt the deadline ended comes back at the deadline, not at ky\'s timeout: the next call goes at once', async () => {
		const { sent, api, here } = oneSlot();
		expect(await code(here.get('hang'))).toBe('TIMEOUT');
		// Before: the slot was held for ky's 10 s timeout; this call waited for it and ended with its own 1 500 ms timeout.
		expect(await code(api.get('next', { timeout: 1_500 }))).toBe('OK');
		expect(sent).toEqual(['/hang', '/next']);
		api.close();
	});

	it('an attempt already waiting for that slot gets it at the deadline (its timer is set for the deadline, not for ky\'s timeout)', async () => {
		const { sent, api, here } = oneSlot();
		const held = code(here.get('hang'));
		await waitFor(() => sent.length === 1, 'the first attempt to go out');
		// Queued behind it before its deadline. Before: it waited for ky's 10 s and ended with its own 1 500 ms timeout.
		const waiting = code(api.get('queued', { timeout: 1_500 }));
		expect([await held, await waiting, sent]).toEqual(['TIMEOUT', 'OK', ['/hang', '/queued']]);
		api.close();
	});
});

describe('otel(): http.request.resend_count counts every send of the request, a hedge\'s too', () => {
	const exporter = new InMemorySpanExporter();
	const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('hunt13');
	/** The attempt spans (not the call's), in the order they started, with their resend count. */
	const resends = (): unknown[] => exporter.getFinishedSpans().filter((span) => !span.name.startsWith('steadfetch '))
		.sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1])
		.map((span) => span.attributes['http.request.resend_count']);

	it('a hedge is the request sent again: its span has resend_count 1 (semantic conventions: "for any reason")', async () => {
		exporter.reset();
		let sends = 0;
		const fetch = (async (request: Request) => {
			if (++sends === 1) {
				// The first attempt hangs until the hedge has won (its abort ends it).
				await new Promise((resolve) => {
					request.signal.addEventListener('abort', resolve);
				});
				throw request.signal.reason;
			}

			return new Response('ok');
		}) as typeof globalThis.fetch;
		const api = createClient({ retry: 0, fetch, trace: otel({ tracer }), hedge: hedge({ delayMs: 50 }) });
		expect(await api.get('https://api.test/a').text()).toBe('ok');
		await waitFor(() => resends().length === 2, 'both attempt spans to end');
		// Before: [undefined, undefined] (the hedge's span said it was the first send).
		expect(resends()).toEqual([undefined, 1]);
		api.close();
	}, 20_000);

	it('a retry after a hedged attempt counts both sends before it', async () => {
		exporter.reset();
		let sends = 0;
		const fetch = (async () => {
			const send = ++sends;
			if (send === 1) {
				// The first attempt answers 503 once its hedge has gone out (and answered 503 too): no winner, ky retries.
				await waitFor(() => sends >= 2, 'the hedge to go out');
				return new Response('down', { status: 503 });
			}

			return send === 2 ? new Response('down', { status: 503 }) : new Response('ok');
		}) as typeof globalThis.fetch;
		const api = createClient({ retry: { limit: 1, delay: () => 0 }, retryBudget: false, fetch, trace: otel({ tracer }), hedge: hedge({ delayMs: 50 }) });
		expect(await api.get('https://api.test/b').text()).toBe('ok');
		await waitFor(() => resends().length === 3, 'three attempt spans to end');
		// Before: [undefined, undefined, 1].
		expect(resends()).toEqual([undefined, 1, 2]);
		api.close();
	}, 20_000);
});

describe('dedupe() and bulkhead(): a shared request queued for a slot is the callers\' still waiting, not its first caller\'s', () => {
	it('its first caller\'s timeout passes while it waits: a later caller still waiting on it gets the slot when one frees, and its answer', async () => {
		const { sent, fetch, release } = holdingFetch('/long', () => new Response('ok'));
		const api = createClient({ retry: 0, fetch, dedupe: dedupe(), bulkhead: bulkhead({ maxConcurrent: 1 }) });
		const long = api.get('https://api.test/long').text();
		await waitFor(() => sent.length === 1, 'the long call to take the slot');
		// The same headers (`.text()` asks for text): one request.
		const first = code(api.get('https://api.test/shared', { timeout: 300 }).text());
		await waitFor(() => (api.stats()['https://api.test'] as { bulkhead?: { queued: number } } | undefined)?.bulkhead?.queued === 1, 'the first call to wait for the slot');
		const joiner = api.get('https://api.test/shared', { timeout: 3_000 }).text().catch((error: unknown) => classify(error).code);
		expect(await first).toBe('TIMEOUT');
		release();
		expect(await long).toBe('ok');
		// Before: 'TIMEOUT' (the shared request's place in the queue ended at its first caller's deadline; nothing ever woke it).
		expect([await joiner, sent, (api.stats()['https://api.test'] as { dedupe?: unknown }).dedupe]).toEqual(['ok', ['/long', '/shared'], { shared: 1 }]);
		api.close();
	});
});

describe('dedupe() and health(): a shared request its first caller left is counted by how it ends', () => {
	const scopeStats = (api: { stats(): Record<string, unknown> }) => api.stats()['https://api.test'] as { health?: unknown; errorRate?: number; topErrors?: unknown } | undefined;
	const shared = (status: number) => {
		const held = holdingFetch('/shared', () => new Response(status === 200 ? 'ok' : 'down', { status }));
		const api = createClient({ retry: 0, fetch: held.fetch, dedupe: dedupe(), health: health() });
		return { api, ...held };
	};

	it('its first caller aborts, a later caller gets the 503: the 503 counts (topErrors HTTP_5XX, errorRate 1)', async () => {
		const { api, sent, release } = shared(503);
		const leaving = new AbortController();
		const first = code(api.get('https://api.test/shared', { signal: leaving.signal }).text());
		await waitFor(() => sent.length === 1, 'the shared request to go out');
		const later = code(api.get('https://api.test/shared').text());
		await waitFor(() => (api.stats()['https://api.test'] as { dedupe?: { shared: number } }).dedupe?.shared === 1, 'the later call to join');
		leaving.abort();
		expect(await first).toBe('ABORTED');
		release();
		expect(await later).toBe('HTTP_5XX');
		const { errorRate, topErrors } = scopeStats(api)!;
		// Before: 0 and [] (the first caller's abort was the request's outcome; the later caller never reached health's layer).
		expect([errorRate, topErrors]).toEqual([1, [{ code: 'HTTP_5XX', count: 1 }]]);
		api.close();
	});

	it('a call aborted by its caller, shared with nobody, is still not counted, whatever its abort\'s reason', async () => {
		for (const reason of [undefined, new Error('the user went away'), new DOMException('gone', 'TimeoutError')]) {
			let sent = 0;
			// A transport that ends the attempt with the abort, as fetch does.
			const fetch = (async (request: Request) => {
				sent++;
				return new Promise<Response>((_resolve, reject) => {
					request.signal.addEventListener('abort', () => reject(request.signal.reason));
				});
			}) as typeof globalThis.fetch;
			const api = createClient({ retry: 0, fetch, dedupe: dedupe(), health: health() });
			const leaving = new AbortController();
			const first = api.get('https://api.test/alone', { signal: leaving.signal }).text().then(() => 'ok', (error: unknown) => error);
			await waitFor(() => sent === 1, 'the request to go out');
			leaving.abort(reason);
			expect(await first).toBe(leaving.signal.reason);
			await new Promise((resolve) => setTimeout(resolve, 20));
			expect(scopeStats(api)).toMatchObject({ errorRate: 0, topErrors: [] });
			api.close();
		}
	});

	it('nor one whose transport answers after the abort (a 503 that comes late): the caller\'s abort was its end', async () => {
		let answer = (): void => undefined;
		const fetch = (async () => new Promise<Response>((resolve) => {
			answer = () => resolve(new Response('down', { status: 503 }));
		})) as unknown as typeof globalThis.fetch;
		for (const policies of [{ dedupe: dedupe() }, {}]) {
			const api = createClient({ retry: 0, fetch, health: health(), ...policies });
			const leaving = new AbortController();
			const first = code(api.get('https://api.test/late', { signal: leaving.signal }));
			await new Promise((resolve) => setTimeout(resolve, 20));
			leaving.abort();
			// A transport that ignores the abort holds ky's call until it answers.
			answer();
			await first;
			await new Promise((resolve) => setTimeout(resolve, 20));
			expect(scopeStats(api)).toMatchObject({ errorRate: 0, topErrors: [] });
			api.close();
		}
	});
});

describe('queryOptionsFor and a request\'s deadline (deadlineHeader): the call\'s capped totalTimeout spent is marked', () => {
	/** A transport that answers only its abort; `slow` paths answer after `ms`. */
	const hanging = (sent: string[]) => (async (request: Request) => {
		sent.push(new URL(request.url).pathname);
		return new Promise<Response>((_resolve, reject) => {
			request.signal.addEventListener('abort', () => reject(request.signal.reason));
		});
	}) as typeof globalThis.fetch;
	const context = (ms: number) => ({ request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': String(ms) } }) });

	it('a call the deadline ended is marked totalTimeoutSpent, and TanStack does not retry it; nor one made after the deadline', async () => {
		const sent: string[] = [];
		const api = createClient({ baseUrl: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0, fetch: hanging(sent) });
		const here = api.withContext({ waitUntil: () => undefined }, context(200));
		const deadline = Date.now() + 200; // No sooner than the context's (read from its header just before).
		const { queryFn, retry } = queryOptionsFor(here, 'a');
		const ended = await queryFn({ signal: new AbortController().signal }).catch((error: unknown) => error as Error);
		// After the deadline on the clock the client reads: the first call's timer may fire a millisecond before Date.now()
		// reaches it (a run on a loaded machine sent the second call with 1 ms left: ['/a', '/a']).
		await waitFor(() => Date.now() > deadline, 'the deadline to pass on Date.now()');
		const after = await queryFn({ signal: new AbortController().signal }).catch((error: unknown) => error as Error);
		// Before: [['TIMEOUT', undefined, true], ['TIMEOUT', undefined, true]]: TanStack retried past the deadline, twice each.
		expect([ended, after].map((error) => [classify(error).code, (error as { totalTimeoutSpent?: boolean }).totalTimeoutSpent, retry(0, error as Error)])).toEqual([['TIMEOUT', true, false], ['TIMEOUT', true, false]]);
		expect(sent).toEqual(['/a']);
		api.close();
	});

	it('a per-attempt timeout with time left before the deadline is not marked: TanStack may retry it', async () => {
		const sent: string[] = [];
		const api = createClient({ baseUrl: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0, timeout: 100, fetch: hanging(sent) });
		const here = api.withContext({ waitUntil: () => undefined }, context(5_000));
		const { queryFn, retry } = queryOptionsFor(here, 'b');
		const error = await queryFn({ signal: new AbortController().signal }).catch((caught: unknown) => caught as Error);
		expect([classify(error).code, (error as { totalTimeoutSpent?: boolean }).totalTimeoutSpent, retry(0, error as Error)]).toEqual(['TIMEOUT', undefined, true]);
		api.close();
	});
});
