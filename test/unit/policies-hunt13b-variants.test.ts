/** Deadlines shared by dedupe, rateLimit and auth; TanStack retries: round-13 second-pass variants. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { waitFor } from '../helpers/wait-for.js';
import { holdingFetch } from '../helpers/holding-fetch.js';
import { auth } from '../../src/entries/auth.js';
import { queryOptionsFor } from '../../src/entries/tanstack-query.js';
import { memoryStore, outbox, OutboxQueuedError } from '../../src/entries/index.js';

const code = async (promise: Promise<unknown>): Promise<string> => promise.then((value) => (typeof value === 'string' ? value : 'OK'), (error: unknown) => classify(error).code);
const queued = (api: { stats(): Record<string, unknown> }): number | undefined => (api.stats()['https://api.test'] as { bulkhead?: { queued: number } } | undefined)?.bulkhead?.queued;

describe('dedupe() and rateLimit(): a shared request waits for a token within the longest budget of its callers still waiting', () => {
	/**
	 * A client of one bulkhead slot and `perSecond` tokens whose `/long` call holds the slot and a token; a shared
	 * request's first caller times out (300 ms) waiting for the slot, a later caller (`joinerMs`) joins it; then
	 * `/long` is answered: `joiner` is what the later caller gets.
	 */
	const joinedBehindLong = async (perSecond: number, joinerMs: number) => {
		const { sent, fetch, release } = holdingFetch('/long', () => new Response('ok'));
		const api = createClient({ retry: 0, fetch, dedupe: dedupe(), bulkhead: bulkhead({ maxConcurrent: 1 }), rateLimit: rateLimit({ perSecond }) });
		const long = api.get('https://api.test/long').text();
		await waitFor(() => sent.length === 1, 'the long call to take the slot and the token');
		const first = code(api.get('https://api.test/shared', { timeout: 300 }).text());
		await waitFor(() => queued(api) === 1, 'the first call to wait for the slot');
		const joiner = code(api.get('https://api.test/shared', { timeout: joinerMs }).text());
		expect(await first).toBe('TIMEOUT');
		release();
		expect(await long).toBe('ok');
		return { api, sent, joiner };
	};

	it('its first caller\'s timeout passed while it waited for a slot: a later caller still waiting gets its token and its answer', async () => {
		const { api, sent, joiner } = await joinedBehindLong(1, 3_000);
		// Before: 'RATE_LIMITED' (the wait for the token was bounded by the first caller's timeout, already spent).
		expect([await joiner, sent]).toEqual(['ok', ['/long', '/shared']]);
		api.close();
	});

	it('a shared request whose every caller still waiting has too little left is still refused at once (RATE_LIMITED), not sent', async () => {
		const { api, sent, joiner } = await joinedBehindLong(0.2, 1_500);
		expect([await joiner, sent]).toEqual(['RATE_LIMITED', ['/long']]);
		api.close();
	});
});

describe('auth() and a request\'s deadline (deadlineHeader): a call waiting for the token refresh waits no longer than its deadline', () => {
	const context = (ms: number) => ({ request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': String(ms) } }) });

	it('a 401 whose refresh outlasts the request\'s deadline ends the call at the deadline, not when the refresh ends; it is not sent again', async () => {
		const sent: string[] = [];
		let token = 'old';
		let finish = (): void => undefined;
		const refreshed = new Promise<void>((resolve) => {
			finish = resolve;
		});
		const events: string[] = [];
		const api = createClient({
			baseUrl: 'https://api.test/',
			deadlineHeader: 'request-timeout-ms',
			retry: 0,
			fetch: (async (request: Request) => {
				sent.push(request.headers.get('authorization')!);
				return new Response(null, { status: request.headers.get('authorization') === 'Bearer old' ? 401 : 200 });
			}) as typeof globalThis.fetch,
			auth: auth({ token: () => token, refresh: async () => refreshed.then(() => {
				token = 'new';
			}), origins: ['https://api.test'] }),
		});
		const here = api.withContext({ waitUntil: () => undefined }, context(200));
		const call = code(here.get('a').text()).then((outcome) => {
			events.push(`call ${outcome}`);
		});
		// The refresh ends only once the call has ended, or after 3 s (the deadline was 200 ms; the call's own totalTimeout is 20 s).
		await Promise.race([call, new Promise((resolve) => setTimeout(resolve, 3_000))]);
		events.push('refreshed');
		finish();
		await call;
		// Before: ['refreshed', 'call TIMEOUT']: the call waited for the refresh 3 s past its request's 200 ms deadline.
		expect(events).toEqual(['call AUTH_FAILED', 'refreshed']);
		expect(sent).toEqual(['Bearer old']);
		api.close();
	});
});

describe('queryOptionsFor: a `fallback` answer is retried only when the failure it stands for is transient', () => {
	const answering = (status: number) => (async () => new Response('{}', { status })) as typeof globalThis.fetch;
	const retried = async (status: number, options: Record<string, unknown>) => {
		const api = createClient({ baseUrl: 'https://api.test/', retry: 0, fetch: answering(status), ...options });
		const { queryFn, retry } = queryOptionsFor(api, 'a');
		const error = await queryFn({ signal: new AbortController().signal }).catch((thrown: unknown) => thrown as Error);
		api.close();
		return [(error as { reason?: string }).reason, retry(0, error as Error)];
	};

	it('a 403 or a 404 answered by the client\'s `fallback` (a value, a function, a Response) is not retried; a 503 still is', async () => {
		// Before: ['fallback', true] for each: TanStack asked again twice for what the server had refused.
		expect(await retried(403, { fallback: [] })).toEqual(['fallback', false]);
		expect(await retried(404, { fallback: () => new Response('[]') })).toEqual(['fallback', false]);
		expect(await retried(401, { fallback: new Response('[]') })).toEqual(['fallback', false]);
		expect(await retried(503, { fallback: [] })).toEqual(['fallback', true]);
	});

	it('the same with `fallback` given per call', async () => {
		const api = createClient({ baseUrl: 'https://api.test/', retry: 0, fetch: answering(403) });
		const { queryFn, retry } = queryOptionsFor(api, 'a', { fallback: [] });
		const error = await queryFn({ signal: new AbortController().signal }).catch((thrown: unknown) => thrown as Error);
		expect([(error as { reason?: string }).reason, retry(0, error as Error)]).toEqual(['fallback', false]);
		api.close();
	});
});

describe('Workers: a request dedupe shares, waiting for a bulkhead slot past its first caller\'s deadline, is answered at once', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
	});

	it('dropped from the queue at that deadline, it is refused (BULKHEAD_FULL), and the later caller gets that at once, not at its own timeout', async () => {
		vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' }); // I/O ends with its request: calls share within one request context.
		const { sent, fetch, release } = holdingFetch('/long', () => new Response('ok'));
		const api = createClient({ retry: 0, fetch, dedupe: dedupe(), bulkhead: bulkhead({ maxConcurrent: 1 }) });
		const here = api.withContext({ waitUntil: () => undefined });
		const long = here.get('https://api.test/long').text();
		await waitFor(() => sent.length === 1, 'the long call to take the slot');
		const first = code(here.get('https://api.test/shared', { timeout: 300 }).text());
		await waitFor(() => queued(api) === 1, 'the first call to wait for the slot');
		const outcomes: string[] = [];
		const joiner = code(here.get('https://api.test/shared', { timeout: 4_000 }).text()).then((outcome) => {
			outcomes.push(outcome);
		});
		expect(await first).toBe('TIMEOUT');
		// The later caller's own timeout is 4 s: it is answered long before (the slot stays busy until then).
		await Promise.race([joiner, new Promise((resolve) => setTimeout(resolve, 2_500))]);
		outcomes.push('2.5 s');
		release();
		await joiner;
		expect(await long).toBe('ok');
		// Before: ['2.5 s', 'TIMEOUT'] (the shared request was dropped from the queue without an answer; the caller waited for its own timeout).
		expect(outcomes).toEqual(['BULKHEAD_FULL', '2.5 s']);
		expect(sent).toEqual(['/long']);
		api.close();
	});
});

describe('outbox() and a request\'s deadline (deadlineHeader): a write queued early is leased no longer than the deadline', () => {
	it('queued at networkTimeoutMs with its attempt under way: its lease ends at the request\'s deadline, not at its 20 s totalTimeout', async () => {
		const store = memoryStore(`hunt13b-${Math.random()}`);
		const fetch = (async (request: Request) => new Promise<Response>((_resolve, reject) => {
			request.signal.addEventListener('abort', () => reject(request.signal.reason));
		})) as typeof globalThis.fetch;
		const api = createClient({ baseUrl: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0, fetch, store: () => store, outbox: outbox({ networkTimeoutMs: 100 }) });
		const kept: Promise<unknown>[] = [];
		const here = api.withContext({ waitUntil: (promise: Promise<unknown>) => kept.push(promise) }, { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '2000' } }) });
		const error = await here.post('items', { json: { item: 'tea' } }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(OutboxQueuedError);
		await waitFor(async () => (await store.keys()).some((each) => each.startsWith('p|')), 'the write to be stored');
		const [key] = (await store.keys()).filter((each) => each.startsWith('p|'));
		const record = (await store.get<{ inFlightUntil: number; createdAt: number }>(key!))!;
		// Before: about 19 900 (the call's totalTimeout, 20 s, from its start; the request's deadline was 2 s away).
		expect(record.inFlightUntil - record.createdAt).toBeLessThanOrEqual(2_000);
		api.close();
	});
});

describe('queryOptionsFor: a `fallback` answer for a call whose totalTimeout was spent is not retried, as that call\'s error is not', () => {
	const hanging = (async (request: Request) => new Promise<Response>((_resolve, reject) => {
		request.signal.addEventListener('abort', () => reject(request.signal.reason));
	})) as typeof globalThis.fetch;
	const retried = async (api: Parameters<typeof queryOptionsFor>[0]) => {
		const { queryFn, retry } = queryOptionsFor(api, 'a');
		const error = await queryFn({ signal: new AbortController().signal }).catch((thrown: unknown) => thrown as Error);
		return [(error as { reason?: string }).reason, retry(0, error as Error)];
	};

	it('its own totalTimeout, and its request\'s deadline (deadlineHeader); a per-attempt timeout with time left is still retried', async () => {
		const api = createClient({ baseUrl: 'https://api.test/', retry: 0, fetch: hanging, fallback: [] });
		// Before: ['fallback', true]: TanStack waited the whole totalTimeout twice more.
		expect(await retried(api.extend({ totalTimeout: 200 }))).toEqual(['fallback', false]);
		const here = api.extend({ deadlineHeader: 'request-timeout-ms' }).withContext({ waitUntil: () => undefined }, { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '200' } }) });
		expect(await retried(here)).toEqual(['fallback', false]);
		expect(await retried(api.extend({ timeout: 100, totalTimeout: 5_000 }))).toEqual(['fallback', true]);
		api.close();
	});
});
