/** In-flight dedupe (issue 14), against a loopback origin and a scripted transport. */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { trace } from '../../src/trace/index.js';
import { held, open, server, useCountingOrigin } from './counting-origin-kit.js';

useCountingOrigin();

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
		await expect.poll(() => pending.length).toBe(5);
		for (const { release } of pending) {
			release();
		}

		await Promise.all(calls);
		const again = api.get('https://api.test/r').text();
		await expect.poll(() => pending.length).toBe(6);
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
		// Bob signs in once alice's requests went out (one still waiting to go would not be sent: API.md "Work that outlives its caller").
		await expect.poll(() => pending.length).toBe(7);
		who = 'bob';
		calls.push(get());
		await expect.poll(() => pending.length).toBe(8);
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
		await expect.poll(() => traced.pending.length).toBe(1);
		traced.pending[0]!.release();
		expect(await Promise.all(both)).toEqual(['ok', 'ok']);
	});

	it('a call made after a logout never joins a request made before it: clear() (a cookie app) or clear({ identity })', async () => {
		const { pending, fetch } = held();
		let who: string | undefined;
		const api = createClient({ fetch, dedupe: dedupe(), retry: 0, timeout: false, identity: () => who });
		const before = api.get('https://api.test/me').text();
		await expect.poll(() => pending.length).toBe(1);
		await api.clear(); // The cookie app's logout: the next user's call must not get the answer to the last one's cookie.
		const after = api.get('https://api.test/me').text();
		await expect.poll(() => pending.length).toBe(2);
		// alice signed out (clear({ identity })) and in again during her first call: another session, no sharing either.
		who = 'alice';
		const first = api.get('https://api.test/me').text();
		await expect.poll(() => pending.length).toBe(3);
		await api.clear({ identity: 'alice' });
		const second = api.get('https://api.test/me').text();
		await expect.poll(() => pending.length).toBe(4);
		for (const [index, { release }] of pending.entries()) {
			release(new Response(String(index)));
		}

		expect(await Promise.all([before, after, first, second])).toEqual(['0', '1', '2', '3']);
	});

	it('one caller aborting leaves the others their response; all aborting aborts the shared request', async () => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, dedupe: dedupe(), retry: 0, timeout: false });
		const a = new AbortController();
		const b = new AbortController();
		const first = api.get('https://api.test/x', { signal: a.signal }).text().catch((error: unknown) => error);
		const second = api.get('https://api.test/x', { signal: b.signal }).text();
		await expect.poll(() => pending.length).toBe(1);
		a.abort(new Error('a left'));
		expect(await first).toEqual(new Error('a left'));
		expect(pending[0]!.request.signal.aborted).toBe(false);
		pending[0]!.release(new Response('for b'));
		expect(await second).toBe('for b');

		const c = new AbortController();
		const d = new AbortController();
		const third = api.get('https://api.test/y', { signal: c.signal }).text().catch(() => 'c');
		const fourth = api.get('https://api.test/y', { signal: d.signal }).text().catch(() => 'd');
		await expect.poll(() => pending.length).toBe(2);
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
