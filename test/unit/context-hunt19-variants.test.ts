/**
 * Request contexts, scopes and traces (defect hunt, nineteenth round): what `withContext(ctx)` closes, the
 * allowance `budget:exhausted` tells for a small `subrequests`, the scope of a URL an app's `scope`
 * gives no scope for, and the attempts `trace()`/`otel()` tell of (those that go out). A fake `fetch`
 * answers at once, or when the test lets it: no timing.
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it, vi } from 'vitest';
import { classify, createClient, type KeyValueStore } from '../../src/entries/core.js';
import { breaker } from '../../src/entries/breaker.js';
import { createClient as createPreset } from '../../src/entries/index.js';
import type { Policy } from '../../src/entries/policy.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { otel } from '../../src/entries/otel.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { trace } from '../../src/entries/trace.js';

const fresh = () => ({ waitUntil: () => undefined });
const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);

/** A fetch that answers `status` and notes each path it was sent. */
const answering = (sent: string[], status = 200) => (async (request: Request) => {
	sent.push(new URL(request.url).pathname);
	return new Response('ok', { status });
}) as typeof fetch;

describe('withContext(ctx).close(): ends that request\'s client, never the shared one', () => {
	it('the original client, and another request\'s, still call; the closed one rejects CLIENT_CLOSED before any I/O', async () => {
		const sent: string[] = [];
		const api = createClient({ fetch: answering(sent), retry: 0 });
		const here = api.withContext(fresh());
		const other = api.withContext(fresh());
		expect(await code(here.get('https://api.test/1'))).toBe('OK');
		here.close();
		here.close();
		// Before: ['CLIENT_CLOSED', 'CLIENT_CLOSED', 'CLIENT_CLOSED'] (the isolate's client closed for every request).
		expect([await code(api.get('https://api.test/2')), await code(other.get('https://api.test/3')), await code(api.withContext(fresh()).get('https://api.test/4'))]).toEqual(['OK', 'OK', 'OK']);
		expect(await code(here.get('https://api.test/5'))).toBe('CLIENT_CLOSED');
		expect(await code(here.post('https://api.test/6'))).toBe('CLIENT_CLOSED');
		expect(sent).toEqual(['/1', '/2', '/3', '/4']);
		api.close();
	});

	it('its listeners (on() through it) are removed; the client\'s own stay', async () => {
		const sent: string[] = [];
		const api = createClient({ fetch: answering(sent, 503), retry: { limit: 1, delay: () => 0 }, retryBudget: false });
		const heard: string[] = [];
		api.on('retry', () => heard.push('client'));
		const here = api.withContext(fresh());
		here.on('retry', () => heard.push('request'));
		expect(await code(here.get('https://api.test/a'))).toBe('HTTP_5XX');
		here.close();
		expect(await code(api.get('https://api.test/b'))).toBe('HTTP_5XX');
		// Before: the client closed with it (['client', 'request']: /b never sent); or a listener of an ended request told of later ones.
		expect([heard, sent]).toEqual([['client', 'request', 'client'], ['/a', '/a', '/b', '/b']]);
		api.close();
	});

	it('the client its extend() made is the request\'s alone: closed with it, the original not', async () => {
		const sent: string[] = [];
		const api = createClient({ fetch: answering(sent), retry: 0 });
		const extended = api.withContext(fresh()).extend({ headers: { 'x-a': '1' } });
		expect(await code(extended.get('https://api.test/x'))).toBe('OK');
		extended.close();
		expect([await code(extended.get('https://api.test/y')), await code(api.get('https://api.test/z'))]).toEqual(['CLIENT_CLOSED', 'OK']);
		expect(sent).toEqual(['/x', '/z']);
		api.close();
	});

	it('closing the client still ends every request\'s client', async () => {
		const api = createClient({ fetch: answering([]), retry: 0 });
		const here = api.withContext(fresh());
		api.close();
		expect(await code(here.get('https://api.test/1'))).toBe('CLIENT_CLOSED');
	});
});

describe('withContext(ctx, { subrequests }) of 5 or fewer: nothing steadfetch adds goes, told as none allowed', () => {
	it('budget:exhausted says allowed 0, never a negative count', async () => {
		for (const subrequests of [1, 3, 5]) {
			const sent: string[] = [];
			const api = createClient({ fetch: answering(sent, 503), retry: { limit: 2, delay: () => 0 }, retryBudget: false });
			const told: unknown[] = [];
			api.on('budget:exhausted', ({ reason, retries, allowed }) => told.push({ reason, retries, allowed }));
			const here = api.withContext(fresh(), { subrequests });
			expect(await code(here.get('https://api.test/a'))).toBe('HTTP_5XX');
			// Before: allowed 1 − 5 = −4, 3 − 5 = −2, 0.
			expect([sent, told, here.stats().subrequests]).toEqual([['/a'], [{ reason: 'subrequests', retries: 1, allowed: 0 }], 1]);
			api.close();
		}
	});
});

describe('a scope function that gives no scope for a URL: the URL\'s own (its origin)', () => {
	it('breaker({ scope }) answering undefined, null or \'\' puts each origin in its own breaker, not one named \'undefined\'', async () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(request.url);
			return new Response('down', { status: request.url.startsWith('https://down.test') ? 503 : 200 });
		}) as typeof globalThis.fetch;
		for (const none of [undefined, null, '']) {
			sent.length = 0;
			const api = createClient({ fetch, retry: 0, breaker: breaker({ consecutiveFailures: 2, scope: (url) => (url.includes('/v2/') ? 'v2' : none as undefined) }) });
			const scopes: string[] = [];
			api.on('breaker:open', ({ scope }) => scopes.push(scope));
			expect([await code(api.get('https://down.test/a')), await code(api.get('https://down.test/b'))]).toEqual(['HTTP_5XX', 'HTTP_5XX']);
			// Before: the breaker of 'undefined' (or 'null', '') opened for every URL outside /v2/: up.test refused CIRCUIT_OPEN.
			expect([await code(api.get('https://up.test/c')), scopes, api.breaker('https://up.test/').scope, api.breaker('https://down.test/').state]).toEqual(['OK', ['https://down.test'], 'https://up.test', 'open']);
			expect(await code(api.get('https://up.test/v2/d'))).toBe('OK');
			expect(Object.keys(api.stats()).sort()).toEqual(['https://down.test', 'https://up.test', 'v2']);
			api.close();
		}
	});

	it('an app policy\'s scopeOf answering undefined: events and stats() name the origin', async () => {
		const mine = (): Policy<'h19scope'> => ({ slot: 'h19scope', create: () => ({ scopeOf: (url: string) => (url.includes('/v2/') ? 'v2' : undefined as unknown as string) }) });
		const api = createClient({ fetch: answering([]), retry: 0, h19scope: mine() } as never);
		expect(await code(api.get('https://a.test/x'))).toBe('OK');
		expect(await code(api.get('https://a.test/v2/y'))).toBe('OK');
		// Before: ['undefined', 'v2'].
		expect(Object.keys(api.stats()).sort()).toEqual(['https://a.test', 'v2']);
		expect(api.reachability('https://a.test/z')).toBe('reachable');
		api.close();
	});

	it('the preset\'s breaker.scope too; a number is still its own scope', async () => {
		const api = createPreset({ fetch: answering([]), retry: 0, staleCache: false, breaker: { scope: (url) => (url.includes('/n/') ? 7 as unknown as string : undefined) } });
		expect([await code(api.get('https://a.test/x')), await code(api.get('https://a.test/n/y'))]).toEqual(['OK', 'OK']);
		expect(Object.keys(api.stats()).sort()).toEqual(['7', 'https://a.test']);
		api.close();
	});
});

describe('trace() and otel() tell of the attempts that go out, never of one the client refused without I/O', () => {
	/** `attempt:start` / `attempt:end` (its status or code) as told. */
	const told = (api: { on: ReturnType<typeof createClient>['on'] }): string[] => {
		const events: string[] = [];
		api.on('attempt:start', ({ attempt }) => events.push(`start ${attempt}`));
		api.on('attempt:end', ({ attempt, status, code: why }) => events.push(`end ${attempt} ${status ?? why}`));
		return events;
	};

	it('an open breaker\'s refusal: no attempt:* events, no span (otel), no resend counted', async () => {
		const sent: string[] = [];
		const api = createClient({ fetch: answering(sent, 503), retry: 0, trace: trace(), breaker: breaker({ consecutiveFailures: 1 }) });
		const events = told(api);
		expect([await code(api.get('https://api.test/1')), await code(api.get('https://api.test/2'))]).toEqual(['HTTP_5XX', 'CIRCUIT_OPEN']);
		// Before: ['start 1', 'end 1 503', 'start 1', 'end 1 CIRCUIT_OPEN'] — an attempt told of that never went out.
		expect([sent, events]).toEqual([['/1'], ['start 1', 'end 1 503']]);
		api.close();

		const exporter = new InMemorySpanExporter();
		const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
		const traced = createClient({ fetch: answering([], 503), retry: 0, trace: otel({ tracer: provider.getTracer('h19') }), breaker: breaker({ consecutiveFailures: 1 }) });
		expect([await code(traced.get('https://api.test/1')), await code(traced.get('https://api.test/2'))]).toEqual(['HTTP_5XX', 'CIRCUIT_OPEN']);
		// Before: 2 client spans (the refused one ended CIRCUIT_OPEN); the call spans (steadfetch GET) stay, one per call.
		const spans = exporter.getFinishedSpans();
		expect([spans.filter(({ name }) => name === 'GET').map(({ attributes }) => attributes['error.type']), spans.filter(({ name }) => name === 'steadfetch GET').length]).toEqual([['503'], 2]);
		traced.close();
		await provider.shutdown();
	});

	it('the throttle\'s and a full bulkhead\'s refusals: none told either; a sent attempt is', async () => {
		const sent: string[] = [];
		const throttled = createClient({ fetch: answering(sent, 503), retry: 0, random: () => 0, trace: trace(), adaptiveThrottle: adaptiveThrottle({ minRequests: 2 }) });
		const events = told(throttled);
		const codes = [];
		for (const path of ['/1', '/2', '/3']) {
			codes.push(await code(throttled.get(`https://api.test${path}`)));
		}

		// Before: the refused third told 'start 1', 'end 1 THROTTLED'.
		expect([codes, sent, events]).toEqual([['HTTP_5XX', 'HTTP_5XX', 'THROTTLED'], ['/1', '/2'], ['start 1', 'end 1 503', 'start 1', 'end 1 503']]);
		throttled.close();

		let release: (() => void) | undefined;
		const full = createClient({
			retry: 0, trace: trace(), bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 0 }),
			fetch: (async () => new Promise<Response>((resolve) => {
				release = () => resolve(new Response('ok'));
			})) as typeof fetch,
		});
		const fullEvents = told(full);
		const first = code(full.get('https://api.test/a'));
		await expect.poll(() => release).toBeDefined();
		expect(await code(full.get('https://api.test/b'))).toBe('BULKHEAD_FULL');
		release!();
		expect(await first).toBe('OK');
		// Before: the refused call told 'start 1' and 'end 1 BULKHEAD_FULL' too (the trace layer sits above the bulkhead).
		expect(fullEvents).toEqual(['start 1', 'end 1 200']);
		full.close();
	});

	it('a retry the request context refused (no subrequest left): told of by none (as before: ky makes no such retry)', async () => {
		const sent: string[] = [];
		const api = createClient({ fetch: answering(sent, 503), retry: { limit: 2, delay: () => 0 }, retryBudget: false, trace: trace() });
		const events = told(api);
		expect(await code(api.withContext(fresh(), { subrequests: 6 }).get('https://api.test/a'))).toBe('HTTP_5XX');
		expect([sent, events]).toEqual([['/a'], ['start 1', 'end 1 503']]);
		api.close();
	});
});

describe('withContext(ctx).close(): a pending waitForHealthy made through that request\'s client ends as the client\'s close() ends one', () => {
	/** A wait's outcome as it settles: 'pending' until then, then 'healthy' or its error's code. */
	const watch = (promise: Promise<void>) => {
		const seen = { now: 'pending' };
		void code(promise).then((outcome) => {
			seen.now = outcome === 'OK' ? 'healthy' : outcome;
		});
		return seen;
	};

	it('rejects CLIENT_CLOSED at once (so does one made after it); the client\'s own wait and another request\'s go on', async () => {
		const api = createClient({ fetch: answering([]), retry: 0, breaker: breaker() });
		await api.breaker.isolate('https://api.test');
		const here = api.withContext(fresh());
		const other = api.withContext(fresh());
		const waits = [here, api, other].map((client) => watch(client.waitForHealthy('https://api.test', { timeoutMs: 60_000 })));
		here.close();
		// Before: 'pending' until its timeoutMs (60 s), then TIMEOUT: only the client's close() ended it.
		await vi.waitFor(() => expect(waits.map((wait) => wait.now)).toEqual(['CLIENT_CLOSED', 'pending', 'pending']));
		expect(await code(here.waitForHealthy('https://api.test', { timeoutMs: 60_000 }))).toBe('CLIENT_CLOSED');
		await api.breaker.reset('https://api.test');
		await vi.waitFor(() => expect(waits.map((wait) => wait.now)).toEqual(['CLIENT_CLOSED', 'healthy', 'healthy']));
		api.close();
	});

	it('also while it reads the scope\'s stored state', async () => {
		const reading: KeyValueStore = { get: async () => new Promise(() => undefined), set: async () => undefined, delete: async () => undefined, keys: async () => [], clear: async () => undefined };
		const api = createClient({ fetch: answering([]), retry: 0, store: () => reading, storageTimeoutMs: 60_000, breaker: breaker() });
		const here = api.withContext(fresh());
		const wait = watch(here.waitForHealthy('https://api.test', { timeoutMs: 60_000 }));
		here.close();
		// Before: 'pending' until the store's read timed out (60 s).
		await vi.waitFor(() => expect(wait.now).toBe('CLIENT_CLOSED'));
		api.close();
	});

	it('the client its extend() made for the request is closed with it: its calls and its wait (also one made after the close)', async () => {
		const sent: string[] = [];
		const api = createClient({ fetch: answering(sent), retry: 0, breaker: breaker() });
		const here = api.withContext(fresh());
		const extended = here.extend({ headers: { 'x-a': '1' } });
		expect(await code(extended.get('https://api.test/x'))).toBe('OK');
		await api.breaker.isolate('https://api.test');
		const waits = [extended, api].map((client) => watch(client.waitForHealthy('https://api.test', { timeoutMs: 60_000 })));
		here.close();
		// Before: ['pending', 'pending'], and the extended client's later calls sent (['OK', 'OK']): it went on after its request's client closed.
		await vi.waitFor(() => expect(waits.map((wait) => wait.now)).toEqual(['CLIENT_CLOSED', 'pending']));
		expect([await code(extended.get('https://api.test/y')), await code(here.extend({}).get('https://api.test/z'))]).toEqual(['CLIENT_CLOSED', 'CLIENT_CLOSED']);
		expect(sent).toEqual(['/x']);
		api.close();
		await vi.waitFor(() => expect(waits.map((wait) => wait.now)).toEqual(['CLIENT_CLOSED', 'CLIENT_CLOSED']));
	});
});
