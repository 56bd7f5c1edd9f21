/**
 * `client.withContext(ctx, options)` outside workerd (API.md "Request contexts"): the subrequest count
 * and its limit, the request's end, `deadlineHeader`, at exact times (an injected clock) against a
 * loopback origin. The same, through real request contexts in workerd: test/workerd-requests/limits.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { staleCache } from '../../src/entries/cache.js';
import { memoryStore } from '../../src/entries/index.js';
import { failover } from '../../src/entries/failover.js';
import { hedge } from '../../src/entries/hedge.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { passedBelowLimiter } from '../helpers/test-stores.js';

let server: RunningServer;
let other: RunningServer;
let seen: Array<{ origin: string; path: string; deadline: string | null }> = [];
let down = false;

beforeAll(async () => {
	const handler = async (request: Request): Promise<Response> => {
		const url = new URL(request.url);
		seen.push({ origin: url.origin, path: url.pathname, deadline: request.headers.get('request-timeout-ms') });
		if (url.pathname.startsWith('/hang')) {
			await new Promise((resolve) => {
				request.signal.addEventListener('abort', resolve);
			});
		}

		if (url.pathname.startsWith('/loop')) {
			return new Response(null, { status: 302, headers: { location: url.pathname } });
		}

		if (url.pathname.startsWith('/to-data')) {
			// A redirect out of http(s): fetch's own following refuses it (a network error).
			return new Response(null, { status: 302, headers: { location: 'data:text/plain,not-from-the-origin' } });
		}

		if (url.pathname.startsWith('/to-nowhere')) {
			// A Location that is no URL: fetch's own following gives a network error (RFC 9110 §10.2.2, Fetch "HTTP-redirect fetch").
			return new Response(null, { status: 302, headers: { location: 'http://[not-an-address' } });
		}

		if (url.pathname.startsWith('/to-userinfo')) {
			// A Location with a user name and password: fetch's own following refuses it (a network error).
			return new Response(null, { status: 302, headers: { location: `${other.url.replace('//', '//user:secret@')}/plain` } });
		}

		if (url.pathname.startsWith('/hop')) {
			return new Response(null, { status: 302, headers: { location: `${other.url}/plain` } });
		}

		if (url.pathname.startsWith('/away')) {
			// 307: the method and body go again; to the other server (another origin), with the client's credentials.
			return new Response(null, { status: 307, headers: { location: `${other.url}/landed` } });
		}

		return down ? new Response('down', { status: 503 }) : new Response(request.method === 'POST' ? await request.text() : 'ok', { headers: { 'cache-control': 'max-age=0' } });
	};
	server = await serve(handler);
	other = await serve(handler);
});

afterAll(async () => {
	await server.close();
	await other.close();
});

beforeEach(() => {
	seen = [];
	down = false;
});

/** A request's context: one per request (the subrequest count belongs to the object). */
const fresh = () => ({ waitUntil: () => undefined });
const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);

describe('subrequests', () => {
	it('no limit outside workerd by default, but counted: stats().subrequests is the context\'s own count', async () => {
		down = true;
		const api = createClient({ retry: { limit: 2, delay: () => 0 }, retryBudget: false });
		const here = api.withContext(fresh());
		expect(await code(here.get(`${server.url}/a`))).toBe('HTTP_5XX');
		expect(here.stats().subrequests).toBe(3);
		expect(api.withContext(fresh()).stats().subrequests).toBe(0);
		expect('subrequests' in api.stats()).toBe(false);
		api.close();
	});

	it('past subrequests − 5: a retry ends its call with its last attempt\'s error, budget:exhausted once per context (reason subrequests), a first attempt always goes', async () => {
		down = true;
		const api = createClient({ retry: { limit: 2, delay: () => 0 }, retryBudget: false });
		const told: unknown[] = [];
		api.on('budget:exhausted', ({ reason, retries, allowed }) => told.push({ reason, retries, allowed }));
		const here = api.withContext(fresh(), { subrequests: 8 });
		expect(await code(here.get(`${server.url}/b`))).toBe('HTTP_5XX'); // 3 attempts
		expect(await code(here.get(`${server.url}/c`))).toBe('HTTP_5XX'); // 1 attempt: its retry refused
		expect(await code(here.get(`${server.url}/d`))).toBe('HTTP_5XX'); // 1 attempt
		expect(seen.map(({ path }) => path)).toEqual(['/b', '/b', '/b', '/c', '/d']);
		expect(here.stats().subrequests).toBe(5);
		expect(told).toEqual([{ reason: 'subrequests', retries: 4, allowed: 3 }]);
		expect(api.stats()[server.url]?.retriesRefused).toBe(2);
		api.close();
	});

	it('a read whose retry was refused is answered by its stored copy, detail=subrequests', async () => {
		const api = createClient({ retry: { limit: 2, delay: () => 0 }, retryBudget: false, staleCache: staleCache(), store: () => memoryStore('request-context') });
		const reasons: string[] = [];
		api.on('cache:stale', ({ reason }) => reasons.push(reason));
		const done: Promise<unknown>[] = [];
		await (await api.withContext({ waitUntil: (promise) => void done.push(promise) }).get(`${server.url}/copy`)).text();
		await Promise.all(done);
		down = true;
		const answer = await api.withContext(fresh(), { subrequests: 6 }).get(`${server.url}/copy`);
		expect([answer.status, answer.headers.get('cache-status')?.endsWith('detail=subrequests'), reasons]).toEqual([200, true, ['subrequests']]);
		api.close();
	});

	it('an attempt steadfetch adds, refused as it goes out because the context has no subrequest left (a hedge, a failover run), gives its rate-limit token back: no I/O (defect hunt, eleventh round)', async () => {
		// A still clock: the limiter's waits are exact. A token every 100 ms, two at once.
		const clock = new ManualClock();
		const waits: number[] = [];
		// Just below the rate limiter: what passed it (the transport refuses or sends it next, synchronously).
		const passed: string[] = [];
		const probe = () => passedBelowLimiter(passed);
		const api = createClient({ clock, retry: 0, retryBudget: false, rateLimit: rateLimit({ perSecond: 10, burst: 2 }), hedge: hedge({ delayMs: 20 }), h11probe: probe() } as never);
		api.on('ratelimit:wait', ({ waitMs }) => waits.push(waitMs));
		// 6 − 5: the first attempt takes the context's last subrequest; the hedge takes a token and is refused.
		const here = api.withContext(fresh(), { subrequests: 6 });
		const controller = new AbortController();
		const first = code(here.get(`${server.url}/hang/h`, { signal: controller.signal }));
		await waitFor(() => passed.length === 2 && seen.length === 1, 'the hedge'); // The hedge passed the limiter, and was refused (no I/O).
		controller.abort();
		expect(await first).toBe('ABORTED');
		expect(seen.map(({ path }) => path)).toEqual(['/hang/h']);
		// The hedge's token was given back: one is left, the next call goes at once.
		expect(await code(api.get(`${server.url}/after-hedge`))).toBe('OK');
		expect(waits).toEqual([]);
		api.close();

		// A failover run to a mirror (another origin) refused so: the mirror's token given back too.
		const waited: number[] = [];
		const mirrored = createClient({
			clock, retry: 0, retryBudget: false, rateLimit: rateLimit({ perSecond: 10, burst: 1 }),
			failover: failover({ mirrors: { [server.url]: [other.url] } }),
		});
		mirrored.on('ratelimit:wait', ({ waitMs }) => waited.push(waitMs));
		down = true;
		seen = [];
		expect(await code(mirrored.withContext(fresh(), { subrequests: 6 }).get(`${server.url}/failing`))).toBe('HTTP_5XX');
		down = false;
		expect(seen.map(({ origin }) => origin)).toEqual([server.url]);
		expect(await code(mirrored.get(`${other.url}/after-failover`))).toBe('OK');
		expect(waited).toEqual([]);
		mirrored.close();
	});

	it('the count belongs to the ctx object: withContext(ctx) again, of this client or another, shares it; the first fixes the limit', async () => {
		down = true;
		const api = createClient({ retry: { limit: 2, delay: () => 0 }, retryBudget: false });
		const second = createClient({ retry: { limit: 2, delay: () => 0 }, retryBudget: false });
		const ctx = fresh();
		expect(await code(api.withContext(ctx, { subrequests: 8 }).get(`${server.url}/e`))).toBe('HTTP_5XX'); // 3 attempts
		expect(await code(api.withContext(ctx).get(`${server.url}/f`))).toBe('HTTP_5XX'); // 1: its retry refused
		expect(await code(second.withContext(ctx, { subrequests: 50 }).get(`${server.url}/g`))).toBe('HTTP_5XX'); // 1
		expect(seen.map(({ path }) => path)).toEqual(['/e', '/e', '/e', '/f', '/g']);
		expect(second.withContext(ctx).stats().subrequests).toBe(5);
		expect(api.withContext(fresh()).stats().subrequests).toBe(0);
		api.close();
		second.close();
	});

	it('a helper\'s withContext(ctx) without subrequests comes first: the first one that gives subrequests still fixes the limit', async () => {
		down = true;
		const helper = createClient({ retry: { limit: 2, delay: () => 0 }, retryBudget: false });
		const app = createClient({ retry: { limit: 2, delay: () => 0 }, retryBudget: false });
		const ctx = fresh();
		expect(await code(helper.withContext(ctx).get(`${server.url}/h`))).toBe('HTTP_5XX'); // 3 attempts (no limit outside workerd)
		expect(await code(app.withContext(ctx, { subrequests: 8 }).get(`${server.url}/i`))).toBe('HTTP_5XX'); // 1: 3 = 8 − 5, its retry refused
		expect(await code(helper.withContext(ctx, { subrequests: 50 }).get(`${server.url}/j`))).toBe('HTTP_5XX'); // 1: the limit stays 8
		expect(seen.map(({ path }) => path)).toEqual(['/h', '/h', '/h', '/i', '/j']);
		helper.close();
		app.close();
	});

	it('bad options: a RangeError naming subrequests, a TypeError for a request that is not one', () => {
		const api = createClient();
		for (const subrequests of [0, -1, 2.5, Number.NaN, '50']) {
			expect(() => api.withContext(fresh(), { subrequests: subrequests as number })).toThrow(/`subrequests` must be a positive integer or Infinity/);
		}

		expect(() => api.withContext(fresh(), { request: {} as Request })).toThrow(TypeError);
		// Headers but no signal: the same message, not AbortSignal.any's raw TypeError ("… is not of type 'AbortSignal'").
		for (const signal of [undefined, {}]) {
			expect(() => api.withContext(fresh(), { request: { headers: new Headers(), signal } as unknown as Request })).toThrow('`request` must be the incoming Request');
		}

		expect(api.withContext(fresh(), { subrequests: Number.POSITIVE_INFINITY }).stats().subrequests).toBe(0);
		api.close();
	});
});

describe('the breaker\'s members of a client withContext returned', () => {
	it('breaker.isolate / reset and waitForHealthy\'s probes are subrequests of the context: counted, and none sent once it has none left', async () => {
		const { breaker } = await import('../../src/entries/breaker.js');
		const { sharedCoordinator } = await import('../../src/breaker/shared.js');
		const { emptyState, sync } = await import('../../src/breaker/sync.js');
		const states = new Map<string, ReturnType<typeof emptyState>>();
		let syncs = 0;
		const shared = sharedCoordinator(async (scope, message) => {
			syncs++;
			const state = states.get(scope) ?? emptyState(scope);
			states.set(scope, state);
			return structuredClone(sync(state, message as never, Date.now()));
		});
		const api = createClient({ retry: 0, breaker: breaker({ shared, probe: '/probe', share: false }) });
		const ctx = fresh();
		const here = api.withContext(ctx, { subrequests: 8 }); // steadfetch adds none past 3
		await here.breaker.isolate(server.url);
		await here.breaker.reset(server.url);
		// Before: neither counted (0), and every later command went out whatever the count.
		expect([syncs, here.stats().subrequests]).toEqual([2, 2]);
		await here.breaker.isolate(server.url);
		expect([syncs, here.stats().subrequests]).toEqual([3, 3]);
		await here.breaker.reset(server.url); // the context has none left: not sent to the coordinator
		expect([syncs, here.stats().subrequests]).toEqual([3, 3]);
		expect(api.breaker(server.url).state).toBe('closed'); // this isolate's own breaker still follows
		api.close();

		// waitForHealthy of a context sends `breaker.probe` as a subrequest of it.
		down = true;
		const probing = createClient({ retry: 0, breaker: breaker({ probe: '/probe', consecutiveFailures: 1, openMs: 50, share: false }) });
		expect(await code(probing.get(`${server.url}/x`))).toBe('HTTP_5XX');
		down = false;
		const there = probing.withContext(fresh());
		await there.waitForHealthy(server.url, { timeoutMs: 5_000 });
		expect([seen.map(({ path }) => path), there.stats().subrequests]).toEqual([['/x', '/probe'], 1]); // before: 0
		probing.close();
	});
});

describe('the request\'s end', () => {
	it('every call of the context is aborted when the request\'s signal aborts; a call made after rejects before any I/O', async () => {
		const abort = new AbortController();
		const request = new Request('https://worker.test/', { signal: abort.signal });
		const api = createClient({ retry: 0 });
		const here = api.withContext(fresh(), { request });
		const pending = code(here.get(`${server.url}/hang`));
		await waitFor(() => seen.length === 1, 'the call to reach the server'); // In flight when the request ends.
		abort.abort();
		expect(await pending).toBe('ABORTED');
		expect(await code(here.get(`${server.url}/after`))).toBe('ABORTED');
		expect(seen.map(({ path }) => path)).toEqual(['/hang']);
		// Another request's context is not affected.
		expect(await code(api.withContext(fresh()).get(`${server.url}/other`))).toBe('OK');
		api.close();
	});
});

describe('extend() of a client withContext returned', () => {
	it('stays in the request context: its calls count in the ctx\'s subrequests, end with the request and keep the context\'s deadline (as of withContext)', async () => {
		const clock = new ManualClock();
		const abort = new AbortController();
		const ctx = fresh();
		const api = createClient({ clock, baseUrl: `${server.url}/`, deadlineHeader: 'request-timeout-ms', retry: 0 });
		const here = api.withContext(ctx, { request: new Request('https://worker.test/', { signal: abort.signal, headers: { 'request-timeout-ms': '800' } }) });
		clock.advance(300);
		const extended = here.extend({ headers: { 'x-extra': '1' } });
		await extended.get('own');
		// Before: a client of no context (the call's own 20 000 ms, no count, not ended with the request).
		expect(seen).toEqual([{ origin: server.url, path: '/own', deadline: '500' }]);
		expect([extended.stats().subrequests, api.withContext(ctx).stats().subrequests]).toEqual([1, 1]);
		abort.abort();
		expect(await code(extended.get('after'))).toBe('ABORTED');
		expect(seen).toHaveLength(1);
		api.close();
	});
});

describe('deadlineHeader', () => {
	it('the context\'s deadline from the request, as of withContext; each attempt to the client\'s own origins carries the time left; other origins never', async () => {
		const clock = new ManualClock();
		const api = createClient({ clock, baseUrl: `${server.url}/`, deadlineHeader: 'request-timeout-ms', retry: 0 });
		const here = api.withContext(fresh(), { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '800' } }) });
		clock.advance(300);
		await here.get('own');
		await here.get(`${other.url}/elsewhere`);
		// Without a deadline from the request: the call's own totalTimeout (20 000 ms by default).
		await api.get('plain');
		expect(seen).toEqual([
			{ origin: server.url, path: '/own', deadline: '500' },
			{ origin: other.url, path: '/elsewhere', deadline: null },
			{ origin: server.url, path: '/plain', deadline: '20000' },
		]);
		api.close();
	});

	it('the rate limiter\'s longest wait is what is left before the request\'s deadline (its capped totalTimeout): a longer one is RATE_LIMITED at once, no wait (defect hunt, twelfth round)', async () => {
		const clock = new ManualClock();
		const api = createClient({ clock, baseUrl: `${server.url}/`, deadlineHeader: 'request-timeout-ms', retry: 0, rateLimit: rateLimit({ perSecond: 1 }) });
		const waits: number[] = [];
		api.on('ratelimit:wait', ({ waitMs }) => waits.push(waitMs));
		const here = api.withContext(fresh(), { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '300' } }) });
		expect(await code(here.get('first'))).toBe('OK');
		// The next token is 1 000 ms away, the request's deadline 300 ms.
		const started = Date.now();
		const error = await here.get('second').catch((caught: unknown) => caught);
		// Before: 'TIMEOUT' after a 1 000 ms wait was begun ([1000]) and cut by the deadline (~300 ms later).
		expect([classify(error).code, (error as { retryAfterMs?: number }).retryAfterMs, waits]).toEqual(['RATE_LIMITED', 1000, []]);
		expect(Date.now() - started).toBeLessThan(250);
		expect(seen.map(({ path }) => path)).toEqual(['/first']);
		api.close();
	});

	it('own origins are those of prefix/baseUrl only: with a `location` (Deno\'s --location) and no prefix, or a prefix elsewhere, its origin gets no header', async () => {
		// Deno run with `--location <url>` has a `location`; a Worker serving it names no service of the fleet.
		const global = globalThis as { location?: unknown };
		global.location = { href: `${server.url}/page` };
		try {
			const bare = createClient({ deadlineHeader: 'request-timeout-ms', retry: 0 });
			const prefixed = createClient({ prefix: `${other.url}/`, deadlineHeader: 'request-timeout-ms', retry: 0 });
			const request = new Request('https://worker.test/', { headers: { 'request-timeout-ms': '5000' } });
			await bare.withContext(fresh(), { request }).get(`${server.url}/bare`);
			await prefixed.withContext(fresh(), { request }).get(`${server.url}/prefixed`, { prefix: '' });
			await prefixed.withContext(fresh(), { request }).get('own');
			expect(seen.map(({ origin, path, deadline }) => [origin, path, deadline === null ? null : 'sent'])).toEqual([[server.url, '/bare', null], [server.url, '/prefixed', null], [other.url, '/own', 'sent']]);
			bare.close();
			prefixed.close();
		} finally {
			delete global.location;
		}
	});

	it('a redirect to another origin is followed without the header nor credentials (Node\'s fetch too), its body sent again', async () => {
		const api = createClient({ baseUrl: `${server.url}/`, deadlineHeader: 'request-timeout-ms', retry: 0 });
		const headers: string[] = [];
		const spy = createClient({ baseUrl: `${server.url}/`, deadlineHeader: 'request-timeout-ms', retry: 0, fetch: (async (request: Request) => {
			headers.push(`${new URL(request.url).pathname} ${request.headers.get('authorization')}`);
			return fetch(request);
		}) as typeof fetch });
		const here = api.withContext(fresh(), { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '5000' } }) });
		expect(await (await here.post('away', { body: 'payload' })).text()).toBe('payload');
		expect(seen.map(({ origin, path, deadline }) => [origin, path, deadline === null ? null : 'sent'])).toEqual([[server.url, '/away', 'sent'], [other.url, '/landed', null]]);
		await spy.get('away', { headers: { authorization: 'Bearer secret' } });
		expect(headers).toEqual(['/away Bearer secret', '/landed null']);
		api.close();
		spy.close();
	});

	it('a redirect to a URL that is not http(s) (data:), or a 21st, is a network error, as fetch\'s own following gives, not the data: URL\'s content', async () => {
		const api = createClient({ baseUrl: `${server.url}/`, deadlineHeader: 'request-timeout-ms', retry: 0 });
		const here = api.withContext(fresh(), { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '5000' } }) });
		// Without a deadline the runtime follows (Node: TypeError 'fetch failed', URL scheme must be a HTTP(S) scheme).
		expect(await code(api.get('to-data'))).toBe('NETWORK');
		// Before: 'OK' (the answer was 'not-from-the-origin', the data: URL's content).
		expect(await code(here.get('to-data'))).toBe('NETWORK');
		// So is a 21st redirect (before: UNKNOWN, a TypeError of steadfetch's own that no fetch throws).
		expect([await code(api.get('loop')), await code(here.get('loop'))]).toEqual(['NETWORK', 'NETWORK']);
		api.close();
	});

	it('a redirect whose Location is no URL is a network error, as fetch\'s own following gives', async () => {
		const api = createClient({ baseUrl: `${server.url}/`, deadlineHeader: 'request-timeout-ms', retry: 0 });
		const here = api.withContext(fresh(), { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '5000' } }) });
		expect(await code(api.get('to-nowhere'))).toBe('NETWORK');
		expect(await code(here.get('to-nowhere'))).toBe('NETWORK');
		api.close();
	});

	it('a redirect whose Location holds a user name and password is a network error, as fetch\'s own following gives, its password never shown (defect hunt, eighth round)', async () => {
		const plain = createClient({ baseUrl: `${server.url}/`, retry: 0 });
		const api = createClient({ baseUrl: `${server.url}/`, deadlineHeader: 'request-timeout-ms', retry: 0 });
		const here = api.withContext(fresh(), { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '5000' } }) });
		const failed = await here.get('to-userinfo').then(() => new Error('answered'), (error: unknown) => error as Error);
		// Before: ['NETWORK', 'UNKNOWN', true] (the hop's `new Request` threw its raw TypeError, which names the password).
		expect([await code(plain.get('to-userinfo')), classify(failed).code, failed.message.includes('secret')]).toEqual(['NETWORK', 'NETWORK', false]);
		plain.close();
		api.close();
	});

	it('a redirect followed by steadfetch keeps the request\'s cache mode, as fetch\'s own following does (each hop of a `cache: \'no-store\'` call is one)', async () => {
		const modes: string[] = [];
		const fetch = (async (request: Request): Promise<Response> => {
			modes.push(`${new URL(request.url).pathname} ${request.cache}`);
			return request.url.endsWith('/from') ? new Response(null, { status: 302, headers: { location: '/to' } }) : new Response('ok');
		}) as typeof globalThis.fetch;

		const api = createClient({ baseUrl: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0, fetch });
		const here = api.withContext(fresh(), { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '5000' } }) });
		expect(await (await here.get('from', { cache: 'no-store' })).text()).toBe('ok');
		// Before: ['/from no-store', '/to default'] (the hop made anew, with fetch's defaults).
		expect(modes).toEqual(['/from no-store', '/to no-store']);
		api.close();
	});

	it('a redirect followed by steadfetch keeps the request\'s mode, credentials, keepalive and referrer policy, as fetch\'s own following does (defect hunt, eighth round)', async () => {
		const api = createClient({ baseUrl: `${server.url}/`, deadlineHeader: 'request-timeout-ms', retry: 0 });
		const here = api.withContext(fresh(), { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '5000' } }) });
		// A 'same-origin' request redirected to another origin: fetch's own following refuses it (Node: 'request mode cannot be "same-origin"').
		// Before: ['NETWORK', 'OK', 'OK'] (the hop made anew in 'cors' mode: the other origin answered).
		const plain = createClient({ baseUrl: `${server.url}/`, retry: 0 });
		expect([await code(plain.get('hop', { mode: 'same-origin' })), await code(api.get('hop', { mode: 'same-origin' })), await code(here.get('hop', { mode: 'same-origin' }))]).toEqual(['NETWORK', 'NETWORK', 'NETWORK']);
		plain.close();
		const hops: string[] = [];
		const spy = createClient({ baseUrl: 'https://api.test/', deadlineHeader: 'request-timeout-ms', retry: 0, fetch: (async (request: Request): Promise<Response> => {
			hops.push([request.keepalive, request.credentials, request.mode, request.referrerPolicy].join(' '));
			return request.url.endsWith('/from') ? new Response(null, { status: 302, headers: { location: '/to' } }) : new Response('ok');
		}) as typeof fetch });
		const spied = spy.withContext(fresh(), { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '5000' } }) });
		await spied.get('from', { keepalive: true, credentials: 'omit', mode: 'same-origin', referrerPolicy: 'no-referrer' });
		// Before: ['true omit same-origin ', 'false same-origin cors '] (the first hop lost its referrer policy to `new Request(request, init)`, the second was made with fetch's defaults).
		expect(hops).toEqual(['true omit same-origin no-referrer', 'true omit same-origin no-referrer']);
		api.close();
		spy.close();
	});

	it('a redirect followed by steadfetch answers as one fetch followed: the final URL, redirected true (a 307 to another origin, its body again)', async () => {
		const api = createClient({ baseUrl: `${server.url}/`, deadlineHeader: 'request-timeout-ms', retry: 0 });
		const here = api.withContext(fresh(), { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '5000' } }) });
		const away = await here.post('away', { body: 'payload' });
		const plain = await here.post('plain', { body: 'direct' });
		expect([away.url, away.redirected, await away.text(), plain.url, plain.redirected]).toEqual([`${other.url}/landed`, true, 'payload', `${server.url}/plain`, false]);
		api.close();
	});

	it('a value that is not a non-negative integer is ignored', async () => {
		const clock = new ManualClock();
		const api = createClient({ clock, baseUrl: `${server.url}/`, deadlineHeader: 'request-timeout-ms', retry: 0, totalTimeout: 5_000 });
		for (const value of ['-1', '1.5', 'soon', '1e3', '99999999999999999999']) {
			await api.withContext(fresh(), { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': value } }) }).get('v');
		}

		expect(seen.map(({ deadline }) => deadline)).toEqual(['5000', '5000', '5000', '5000', '5000']);
		api.close();
	});

	it('an attempt still pending at the deadline ends the call with TIMEOUT', async () => {
		const api = createClient({ baseUrl: `${server.url}/`, deadlineHeader: 'request-timeout-ms', retry: 2 });
		const started = performance.now();
		const here = api.withContext(fresh(), { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '200' } }) });
		expect(await code(here.get('hang/deadline'))).toBe('TIMEOUT');
		expect(performance.now() - started).toBeLessThan(1_000);
		expect(seen).toHaveLength(1);
		api.close();
	});

	it('a retry whose delay outlasts the deadline is not made: ky gives it up, and the call ends with its last attempt\'s error, not a TimeoutError', async () => {
		down = true;
		// The deadline is far enough for the retry to be admitted (more than 50 ms left), but ky's delay
		// before it (1 s, no jitter: our default full jitter would draw it anywhere from 0) would pass it: ky
		// waits out what is left and gives the retry up.
		const api = createClient({ baseUrl: `${server.url}/`, deadlineHeader: 'request-timeout-ms', retry: { limit: 2, delay: () => 1_000, jitter: false }, retryBudget: false });
		const here = api.withContext(fresh(), { request: new Request('https://worker.test/', { headers: { 'request-timeout-ms': '300' } }) });
		const started = performance.now();
		expect(await code(here.get('given-up'))).toBe('HTTP_5XX');
		expect(performance.now() - started).toBeLessThan(1_000);
		expect(seen).toHaveLength(1);
		api.close();
	});

	it('a header name, else a RangeError naming deadlineHeader', () => {
		for (const deadlineHeader of ['', 'two words', 'x:y', 3]) {
			expect(() => createClient({ deadlineHeader: deadlineHeader as string })).toThrow(/`deadlineHeader` must be a header name/);
		}
	});
});
