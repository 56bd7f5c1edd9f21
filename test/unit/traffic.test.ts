/** The bulkhead and in-flight dedupe (issue 14), against a loopback origin and a scripted transport. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { createClient } from '../../src/entries/core.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { hedge } from '../../src/entries/hedge.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { BulkheadFullError, classify, createClient as createPreset } from '../../src/entries/index.js';
import { trace } from '../../src/trace/index.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

/** A loopback origin that counts requests open at once, per path prefix; `/slow` waits `ms`. */
let server: RunningServer;
const open = { now: 0, max: 0, total: 0 };
beforeAll(async () => {
	server = await serve(async (request) => {
		const url = new URL(request.url);
		open.now++;
		open.total++;
		open.max = Math.max(open.max, open.now);
		try {
			await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get('ms') ?? 5)));
			return new Response(JSON.stringify({ path: url.pathname, body: 'x'.repeat(1000), tenant: request.headers.get('x-tenant') }), { headers: { 'content-type': 'application/json' } });
		} finally {
			open.now--;
		}
	});
});
afterAll(async () => server.close());

/** A transport whose answers the test releases by hand. */
const held = () => {
	const pending: Array<{ request: Request; release: (response?: Response) => void }> = [];
	const fetch = async (request: Request) => new Promise<Response>((resolve, reject) => {
		pending.push({ request, release: (response = new Response('ok')) => resolve(response) });
		request.signal.addEventListener('abort', () => reject(request.signal.reason));
	});
	return { pending, fetch: fetch as typeof globalThis.fetch };
};

describe('bulkhead', () => {
	it('a 1,000-call burst at one scope never has more than 6 requests open at the server', async () => {
		open.max = 0;
		const api = createClient({ bulkhead: bulkhead({ maxConcurrent: 6, maxQueue: 1_000 }), retry: 0, timeout: false });
		const results = await Promise.allSettled(Array.from({ length: 1_000 }, async (_, index) => api.get(`${server.url}/burst/${index}?ms=2`).json()));
		expect(results.filter(({ status }) => status === 'fulfilled')).toHaveLength(1_000);
		expect(open.max).toBe(6);
		expect(api.stats()[server.url]).toMatchObject({ bulkhead: { running: 0, queued: 0, rejected: 0 } });
	}, 20_000);

	it('beyond maxQueue: BulkheadFullError at once, no I/O, transient, counted and emitted', async () => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, bulkhead: bulkhead({ maxConcurrent: 2, maxQueue: 1 }), retry: 0, timeout: false });
		const events: unknown[] = [];
		api.on('bulkhead:rejected', (event) => events.push(event));
		const calls = [0, 1, 2].map(async (index) => api.get(`https://api.test/${index}`).text());
		await Promise.resolve();
		const error = await api.get('https://api.test/over').catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(BulkheadFullError);
		expect(classify(error)).toMatchObject({ code: 'BULKHEAD_FULL', transient: true });
		expect(pending).toHaveLength(2);
		expect(events).toEqual([expect.objectContaining({ type: 'bulkhead:rejected', scope: 'https://api.test', running: 2, queued: 1 })]);
		// FIFO: the waiting call goes when a slot frees.
		pending[0]!.release();
		await new Promise((resolve) => setTimeout(resolve, 5));
		expect(pending.map(({ request }) => new URL(request.url).pathname)).toEqual(['/0', '/1', '/2']);
		for (const { release } of pending) {
			release();
		}

		expect(await Promise.all(calls)).toEqual(['ok', 'ok', 'ok']);
		expect(api.stats()['https://api.test']).toMatchObject({ bulkhead: { running: 0, queued: 0, rejected: 1 } });
	});

	it('a waiting call leaves the queue when its signal aborts or its timeout runs out; scopes are independent', async () => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 5 }), retry: 0, timeout: false });
		const first = api.get('https://a.test/1').text();
		const controller = new AbortController();
		const aborted = api.get('https://a.test/2', { signal: controller.signal }).catch((error: unknown) => error);
		const timedOut = api.get('https://a.test/3', { timeout: 30 }).catch((error: unknown) => classify(error).code);
		const other = api.get('https://b.test/1').text(); // Another scope is not held behind a.test.
		await new Promise((resolve) => setTimeout(resolve, 5));
		expect(pending.map(({ request }) => request.url)).toEqual(['https://a.test/1', 'https://b.test/1']);
		controller.abort(new Error('left'));
		expect(await aborted).toEqual(new Error('left'));
		expect(await timedOut).toBe('TIMEOUT');
		for (const { release } of pending) {
			release();
		}

		expect(await first).toBe('ok');
		expect(await other).toBe('ok');
		expect(pending).toHaveLength(2); // Neither left call was ever sent.
	});

	it('a call whose signal is already aborted is rejected at once with its reason, never queued behind a hung request', async () => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 5 }), retry: 0, timeout: false });
		const hung = api.get('https://api.test/hung').text();
		await expect.poll(() => pending).toHaveLength(1);
		const reason = new Error('the caller left');
		await expect(api.get('https://api.test/late', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
		expect(api.stats()['https://api.test']).toMatchObject({ bulkhead: { running: 1, queued: 0, rejected: 0 } });
		// A waiting call whose signal aborts leaves at once, holding nothing: the next waiter still waits for the hung one.
		const controller = new AbortController();
		const leaving = api.get('https://api.test/leaving', { signal: controller.signal }).catch((error: unknown) => error);
		const next = api.get('https://api.test/next').text();
		await expect.poll(() => api.stats()['https://api.test']?.['bulkhead']).toMatchObject({ queued: 2 });
		controller.abort(reason);
		expect(await leaving).toBe(reason);
		expect(api.stats()['https://api.test']).toMatchObject({ bulkhead: { running: 1, queued: 1 } });
		expect(pending).toHaveLength(1);
		pending[0]!.release();
		expect(await hung).toBe('ok');
		await expect.poll(() => pending).toHaveLength(2);
		expect(pending[1]!.request.url).toBe('https://api.test/next');
		pending[1]!.release();
		expect(await next).toBe('ok');
		expect(api.stats()['https://api.test']).toMatchObject({ bulkhead: { running: 0, queued: 0, rejected: 0 } });
	}, 2_000);

	it('a slot is held no longer than its attempt\'s deadline (timeout, bounded by totalTimeout): an attempt that never ends (its transport ignores the abort) does not hold it for ever', async () => {
		for (const deadline of [{ timeout: 100 }, { timeout: false, totalTimeout: 100 }] as const) {
			// `/stuck` never answers, whatever its signal says; the rest answer at once.
			const fetch = (async (request: Request) => new URL(request.url).pathname === '/stuck' ? new Promise<Response>(() => undefined) : new Response('ok')) as typeof globalThis.fetch;
			const api = createClient({ fetch, bulkhead: bulkhead({ maxConcurrent: 1 }), retry: 0, ...deadline });
			const stuck = api.get('https://api.test/stuck').catch((error: unknown) => classify(error).code);
			// Waits for the slot; gets it when the stuck attempt's deadline passes, well within its own.
			const waiting = api.get('https://api.test/waiting', { timeout: 2_000, totalTimeout: 2_000 }).text().catch((error: unknown) => classify(error).code);
			expect(await stuck, JSON.stringify(deadline)).toBe('TIMEOUT');
			expect(await waiting, JSON.stringify(deadline)).toBe('ok');
			expect(await api.get('https://api.test/after', { timeout: 2_000, totalTimeout: 2_000 }).text()).toBe('ok');
			expect(api.stats()['https://api.test']).toMatchObject({ bulkhead: { running: 0, queued: 0, rejected: 0 } });
			api.close();
		}
	}, 10_000);

	it('bad options are RangeErrors naming option and value; the preset builds it from plain options', () => {
		expect(() => bulkhead({ maxConcurrent: 0 })).toThrow(/bulkhead\.maxConcurrent.*0/);
		expect(() => bulkhead({ maxQueue: -1 })).toThrow(/bulkhead\.maxQueue.*-1/);
		expect(() => bulkhead({ maxConcurrent: 1.5 })).toThrow(RangeError);
		expect(() => createPreset({ bulkhead: { maxConcurrent: 2 } as never })).toThrow(/`bulkhead` must be a policy \(from `steadfetch\/bulkhead`\)/);
		createPreset({ bulkhead: bulkhead({ maxConcurrent: 2 }) }).close();
	});
});

describe('dedupe', () => {
	it('100 identical concurrent GETs reach the server once, and all 100 callers read the whole body', async () => {
		const api = createClient({ dedupe: dedupe(), retry: 0 });
		const before = open.total;
		const bodies = await Promise.all(Array.from({ length: 100 }, async () => api.get(`${server.url}/same?ms=300`).json<{ body: string }>()));
		expect(open.total - before).toBe(1);
		expect(bodies.every(({ body }) => body.length === 1000)).toBe(true);
		expect(api.stats()[server.url]).toMatchObject({ dedupe: { shared: 99 } });
	});

	it('another Accept, other credentials or dedupe: false are not shared; after the response arrives nothing is', async () => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, dedupe: dedupe(), retry: 0, timeout: false });
		const calls = [
			api.get('https://api.test/r').text(),
			api.get('https://api.test/r').text(),
			api.get('https://api.test/r', { headers: { accept: 'text/csv' } }).text(),
			api.get('https://api.test/r', { headers: { authorization: 'Bearer other' } }).text(),
			api.get('https://api.test/r', { dedupe: false } as never).text(),
			api.post('https://api.test/r').text(),
		];
		await new Promise((resolve) => setTimeout(resolve, 5));
		expect(pending).toHaveLength(5);
		for (const { release } of pending) {
			release();
		}

		await Promise.all(calls);
		const again = api.get('https://api.test/r').text();
		await new Promise((resolve) => setTimeout(resolve, 5));
		expect(pending).toHaveLength(6);
		pending[5]!.release();
		expect(await again).toBe('ok');
	});

	it('a call with a transport of its own (its fetch, or a dispatcher other than the client\'s) is never shared: alice\'s cookie jar never answers bob', async () => {
		const jar = (sid: string) => {
			const { pending, fetch } = held();
			return { pending, fetch: (async (request: Request, init?: RequestInit) => fetch(new Request(request, { headers: { cookie: `sid=${sid}` } }), init)) as typeof globalThis.fetch };
		};

		const alice = jar('ALICE');
		const bob = jar('BOB');
		const api = createClient({ fetch: alice.fetch, dedupe: dedupe(), retry: 0, timeout: false });
		const calls = [api.get('https://api.test/me').text(), api.get('https://api.test/me', { fetch: bob.fetch }).text()];
		await expect.poll(() => alice.pending.length + bob.pending.length).toBe(2);
		expect([alice.pending.length, bob.pending.length]).toEqual([1, 1]);
		for (const { request, release } of [...alice.pending, ...bob.pending]) {
			release(new Response(request.headers.get('cookie')));
		}

		expect(await Promise.all(calls)).toEqual(['sid=ALICE', 'sid=BOB']);

		// A fetch option a Request does not carry (undici's dispatcher): the client's own is shared, another is not.
		const { pending, fetch } = held();
		const mine = { name: 'client dispatcher' };
		const other = { name: 'bob\'s dispatcher' };
		const withDispatcher = createClient({ fetch, dedupe: dedupe(), retry: 0, timeout: false, dispatcher: mine } as never);
		const more = [
			withDispatcher.get('https://api.test/d').text(),
			withDispatcher.get('https://api.test/d').text(),
			withDispatcher.get('https://api.test/d', { dispatcher: other } as never).text(),
		];
		await expect.poll(() => pending.length).toBe(2);
		await new Promise((resolve) => setTimeout(resolve, 5));
		expect(pending).toHaveLength(2);
		for (const { release } of pending) {
			release();
		}

		await Promise.all(more);
	});

	it('two tenants never share: X-Tenant A and B in flight at once are two requests, each answered for its own tenant', async () => {
		const api = createClient({ dedupe: dedupe(), retry: 0 });
		const before = open.total;
		const [a, b] = await Promise.all(['TENANT-A', 'TENANT-B'].map(async (tenant) => api.get(`${server.url}/tenant?ms=100`, { headers: { 'x-tenant': tenant } }).json<{ tenant: string }>()));
		expect([a!.tenant, b!.tenant]).toEqual(['TENANT-A', 'TENANT-B']);
		expect(open.total - before).toBe(2);
	});

	it('shares only identical calls: another header (from the caller or a hook), credentials mode, identity or Idempotency-Key keeps calls apart; the trace slot\'s own headers do not', async () => {
		const { pending, fetch } = held();
		let who = 'alice';
		const api = createClient({ fetch, dedupe: dedupe(), retry: 0, timeout: false, identity: () => who });
		const get = (options: Record<string, unknown> = {}) => api.get('https://api.test/r', options).text();
		const tagged = (value: string) => ({ hooks: { beforeRequest: [({ request }: { request: Request }) => {
			request.headers.set('x-variant', value);
		}] } });
		const calls = [
			get(), get(), // shared
			get({ headers: { 'x-tenant': 'B' } }),
			get({ credentials: 'omit' }),
			get(tagged('1')), get(tagged('1')), // shared
			get(tagged('2')),
			get({ idempotencyKey: true }), get({ idempotencyKey: true }),
		];
		who = 'bob';
		calls.push(get());
		await new Promise((resolve) => setTimeout(resolve, 5));
		// One request per distinct call (in whatever order hooks let them start).
		const sent = pending.map(({ request }) => JSON.stringify([request.headers.get('x-tenant'), request.credentials, request.headers.get('x-variant'), request.headers.has('idempotency-key')]));
		expect(sent.sort()).toEqual([
			[null, 'same-origin', null, false],
			['B', 'same-origin', null, false],
			[null, 'omit', null, false],
			[null, 'same-origin', '1', false],
			[null, 'same-origin', '2', false],
			[null, 'same-origin', null, true],
			[null, 'same-origin', null, true],
			[null, 'same-origin', null, false], // bob's
		].map((row) => JSON.stringify(row)).sort());
		for (const { release } of pending) {
			release();
		}

		await Promise.all(calls);

		// With the trace slot, each call has its own request id and traceparent: still one request.
		const traced = held();
		const withTrace = createClient({ fetch: traced.fetch, dedupe: dedupe(), trace: trace(), retry: 0, timeout: false });
		const both = [withTrace.get('https://api.test/t').text(), withTrace.get('https://api.test/t').text()];
		await new Promise((resolve) => setTimeout(resolve, 5));
		expect(traced.pending).toHaveLength(1);
		traced.pending[0]!.release();
		expect(await Promise.all(both)).toEqual(['ok', 'ok']);
	});

	it('one caller aborting leaves the others their response; all aborting aborts the shared request', async () => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, dedupe: dedupe(), retry: 0, timeout: false });
		const a = new AbortController();
		const b = new AbortController();
		const first = api.get('https://api.test/x', { signal: a.signal }).text().catch((error: unknown) => error);
		const second = api.get('https://api.test/x', { signal: b.signal }).text();
		await new Promise((resolve) => setTimeout(resolve, 5));
		expect(pending).toHaveLength(1);
		a.abort(new Error('a left'));
		expect(await first).toEqual(new Error('a left'));
		expect(pending[0]!.request.signal.aborted).toBe(false);
		pending[0]!.release(new Response('for b'));
		expect(await second).toBe('for b');

		const c = new AbortController();
		const d = new AbortController();
		const third = api.get('https://api.test/y', { signal: c.signal }).text().catch(() => 'c');
		const fourth = api.get('https://api.test/y', { signal: d.signal }).text().catch(() => 'd');
		await new Promise((resolve) => setTimeout(resolve, 5));
		c.abort();
		expect(pending[1]!.request.signal.aborted).toBe(false);
		d.abort();
		expect(pending[1]!.request.signal.aborted).toBe(true);
		expect(await Promise.all([third, fourth])).toEqual(['c', 'd']);
	});

	it('shares only requests fetch sends alike: another integrity, referrerPolicy, referrer, cache, redirect, mode or keepalive is a request of its own', async () => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, dedupe: dedupe(), retry: 0, timeout: false });
		const variants: Array<Record<string, unknown>> = [
			{ integrity: 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' },
			{ referrerPolicy: 'no-referrer' },
			{ referrer: 'https://api.test/elsewhere' },
			{ cache: 'no-cache' },
			{ redirect: 'manual' },
			{ mode: 'same-origin' },
			{ keepalive: true },
		];
		const calls = [{}, {}, ...variants].map(async (options) => api.get('https://api.test/k', options).text());
		// The two plain calls share one request; each variant is a request of its own.
		await expect.poll(() => pending).toHaveLength(1 + variants.length);
		for (const { release } of pending) {
			release();
		}

		expect(await Promise.all(calls)).toEqual(Array(2 + variants.length).fill('ok'));
		expect(api.stats()['https://api.test']).toMatchObject({ dedupe: { shared: 1 } });
	});

	it('the shared request keeps every property of the callers\' Request: referrerPolicy and referrer too', async () => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, dedupe: dedupe(), retry: 0, timeout: false });
		const options = { referrerPolicy: 'no-referrer', referrer: 'https://api.test/from', integrity: 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=', cache: 'no-cache', redirect: 'manual', credentials: 'omit', keepalive: true } as const;
		const calls = [1, 2].map(async () => api.get('https://api.test/p', options).text());
		await expect.poll(() => pending).toHaveLength(1);
		const { request } = pending[0]!;
		expect(Object.fromEntries(Object.keys(options).map((name) => [name, request[name as keyof typeof options]]))).toEqual(options);
		pending[0]!.release();
		expect(await Promise.all(calls)).toEqual(['ok', 'ok']);
	});
});

describe('a call whose signal is already aborted', () => {
	const policies = {
		dedupe: { dedupe: dedupe() },
		hedge: { hedge: hedge({ delayMs: 5_000 }) },
		breaker: { breaker: breaker() },
		bulkhead: { bulkhead: bulkhead({ maxConcurrent: 1 }) },
		rateLimit: { rateLimit: rateLimit({ perSecond: 1, burst: 1 }) },
	};
	for (const [name, slot] of Object.entries(policies)) {
		it(`${name}: is rejected at once with its reason, and no request goes out`, async () => {
			// The loopback fetch, counting what it is handed with a live signal (an aborted one sends nothing).
			let sent = 0;
			const api = createClient({
				...slot, retry: 0,
				fetch: (async (request: Request, init?: RequestInit) => {
					sent += request.signal.aborted ? 0 : 1;
					return globalThis.fetch(request, init);
				}) as typeof globalThis.fetch,
			});
			const reason = new Error('the caller left');
			await expect(api.get(`${server.url}/aborted?ms=1`, { signal: AbortSignal.abort(reason) }).text()).rejects.toBe(reason);
			expect(sent).toBe(0);
			// The policy is not left holding anything: the next call goes out and is answered.
			expect(await api.get(`${server.url}/after?ms=1`).json()).toMatchObject({ path: '/after' });
			expect(sent).toBe(1);
			api.close();
		});
	}
});
