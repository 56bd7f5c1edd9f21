/**
 * auth() at its boundaries (issue 22, API.md "Boundaries"): the token goes only to its `origins`,
 * a refresh cannot hold calls forever (`refreshTimeoutMs`, the call's own budget and signal), and
 * `auth: false` — the refresh's own request — neither gets the token nor waits, so the common recipe
 * `refresh = () => api.post('auth/refresh', …)` whose request gets a 401 ends, never deadlocks.
 * Two loopback servers on two ports are two origins: the app's API and a third party.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { auth, AuthError } from '../../src/entries/auth.js';
import { staleCache } from '../../src/entries/cache.js';
import { createClient } from '../../src/entries/core.js';
import { failover } from '../../src/entries/failover.js';
import type { PolicyContext } from '../../src/entries/policy.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

interface Seen { path: string; authorization: string | null }

/** The app's API: resources want `Bearer <valid>`; `POST /auth/refresh` issues the next token, or refuses (401) while `refuseRefresh`. */
let first: RunningServer;
/** A third-party origin: records what it got, answers 401 to everything. */
let third: RunningServer;
/** A primary that is down: answers 503 to everything. */
let down: RunningServer;
/** A failover mirror: records what it got, answers `mirrorStatus`. */
let mirror: RunningServer;
let mirrorStatus = 200;
const mirrorSeen: Seen[] = [];
let valid = 'token-1';
let issued = 1;
let refuseRefresh = false;
const firstSeen: Seen[] = [];
const thirdSeen: Seen[] = [];

beforeAll(async () => {
	first = await serve((request) => {
		const { pathname } = new URL(request.url);
		const authorization = request.headers.get('authorization');
		firstSeen.push({ path: pathname, authorization });
		if (pathname === '/auth/refresh') {
			if (refuseRefresh) {
				return new Response('refresh token expired', { status: 401 });
			}

			valid = `token-${++issued}`;
			return Response.json({ token: valid });
		}

		if (pathname === '/elsewhere') {
			// A first-party URL that sends the client on to the third party (a login wall, a CDN).
			return new Response(null, { status: 302, headers: { location: `${third.url}/login-wall` } });
		}

		if (pathname === '/moved') {
			return new Response(null, { status: 302, headers: { location: '/data' } });
		}

		return authorization === `Bearer ${valid}` ? Response.json({ ok: true }) : new Response('expired', { status: 401 });
	});
	third = await serve((request) => {
		thirdSeen.push({ path: new URL(request.url).pathname, authorization: request.headers.get('authorization') });
		return new Response('who are you', { status: 401 });
	});
	down = await serve(() => new Response('down', { status: 503 }));
	mirror = await serve((request) => {
		mirrorSeen.push({ path: new URL(request.url).pathname, authorization: request.headers.get('authorization') });
		return mirrorStatus === 200 ? Response.json({ mirror: true }) : new Response('no', { status: mirrorStatus });
	});
});
afterAll(async () => Promise.all([first.close(), third.close(), down.close(), mirror.close()]));

const clients: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of clients.splice(0)) {
		client.close();
	}

	firstSeen.length = 0;
	thirdSeen.length = 0;
	mirrorSeen.length = 0;
	mirrorStatus = 200;
	refuseRefresh = false;
	vi.unstubAllGlobals();
});

type Options = NonNullable<Parameters<typeof createClient>[0]>;
const make = (options: Options) => {
	const client = createClient({ retry: 0, name: `auth-b-${crypto.randomUUID()}`, ...options });
	clients.push(client);
	return client;
};

/** The app's session: a stale token, and a refresh that asks the API for a new one with plain fetch. */
const session = () => {
	const state = { token: 'stale', refreshes: 0 };
	return {
		state,
		token: () => state.token,
		refresh: async () => {
			state.refreshes++;
			state.token = (await (await fetch(`${first.url}/auth/refresh`, { method: 'POST' })).json() as { token: string }).token;
		},
	};
};

/** `promise`'s outcome, or `'pending'` when it has not settled within `ms` (only a failing test waits that long). */
const within = async (promise: Promise<unknown>, ms: number): Promise<unknown> => {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const late = new Promise((resolve) => {
		timer = setTimeout(() => resolve('pending'), ms);
	});
	try {
		return await Promise.race([promise.then((value) => ({ value }), (error: unknown) => ({ error })), late]);
	} finally {
		clearTimeout(timer);
	}
};

const never = async (): Promise<never> => new Promise(() => undefined);

describe('auth: the token goes only to its origins', () => {
	it('by default the origin of `baseUrl`: a third-party absolute URL gets no Authorization, and its 401s trigger no refresh (5 calls, 0 refreshes)', async () => {
		const { state, token, refresh } = session();
		const api = make({ baseUrl: `${first.url}/v1/`, auth: auth({ token, refresh }) });
		for (let index = 0; index < 5; index++) {
			const error = await api.get(`${third.url}/profile/${index}`).catch((error_: unknown) => error_);
			// The third party's own 401, untouched: not an AuthError, no refresh behind it.
			expect(error).toMatchObject({ name: 'HTTPError', response: { status: 401 } });
		}

		expect(thirdSeen.map(({ authorization }) => authorization)).toEqual([null, null, null, null, null]);
		expect(state.refreshes).toBe(0);
		// The client's own origin still gets the token, and its 401 still refreshes.
		expect(await api.get('/data').json()).toEqual({ ok: true });
		expect(state.refreshes).toBe(1);
		expect(firstSeen.filter(({ path }) => path === '/data').map(({ authorization }) => authorization)).toEqual(['Bearer stale', `Bearer ${state.token}`]);
	});

	it('`prefix` sets the default as `baseUrl` does (a per-call prefix elsewhere gets no token)', async () => {
		const { state, token, refresh } = session();
		state.token = valid;
		const api = make({ prefix: first.url, auth: auth({ token, refresh }) });
		expect(await api.get('data').json()).toEqual({ ok: true });
		await expect(api.get('data', { prefix: third.url })).rejects.toMatchObject({ response: { status: 401 } });
		expect(firstSeen.map(({ authorization }) => authorization)).toEqual([`Bearer ${valid}`]);
		expect(thirdSeen.map(({ authorization }) => authorization)).toEqual([null]);
		expect(state.refreshes).toBe(0);
	});

	it('with neither prefix/baseUrl nor location (Node, Deno, Workers with absolute URLs): no token goes anywhere until `origins` names it', async () => {
		// Deno without --location throws on `location`: that counts as none.
		Object.defineProperty(globalThis, 'location', { configurable: true, get() {
			throw new ReferenceError('Access to "location", run again with --location <href>.');
		} });
		try {
			const { state, token, refresh } = session();
			state.token = valid;
			const bare = make({ auth: auth({ token, refresh }) });
			// Its 401 says why (an AuthError naming `auth.origins`), with no refresh.
			await expect(bare.get(`${first.url}/data`)).rejects.toMatchObject({ name: 'AuthError', message: expect.stringContaining('give `auth.origins`'), response: { status: 401 } });
			expect(state.refreshes).toBe(0);
			const named = make({ auth: auth({ token, refresh, origins: [first.url] }) });
			expect(await named.get(`${first.url}/data`).json()).toEqual({ ok: true });
			expect(firstSeen.map(({ authorization }) => authorization)).toEqual([null, `Bearer ${valid}`]);
		} finally {
			delete (globalThis as { location?: unknown }).location;
		}
	});

	it('`location.origin` is in the default where there is a location (pages, workers); a relative prefix resolves against it', async () => {
		vi.stubGlobal('location', new URL(`${first.url}/app/page.html`));
		const { state, token, refresh } = session();
		state.token = valid;
		const api = make({ prefix: '/api/', auth: auth({ token, refresh }) });
		const absolute = make({ auth: auth({ token, refresh }) });
		expect(await absolute.get(`${first.url}/data`).json()).toEqual({ ok: true });
		await expect(absolute.get(`${third.url}/data`)).rejects.toMatchObject({ response: { status: 401 } });
		await expect(api.get('x', { baseUrl: third.url })).rejects.toMatchObject({ response: { status: 401 } }); // /api/x at the third party
		expect(firstSeen.map(({ authorization }) => authorization)).toEqual([`Bearer ${valid}`]);
		expect(thirdSeen.map(({ authorization }) => authorization)).toEqual([null, null]);
		expect(state.refreshes).toBe(0);
	});

	it('`origins` lists where it goes (normalised: case, default port, trailing slash); `\'*\'` sends it everywhere', async () => {
		const { state, token, refresh } = session();
		state.token = valid;
		const listed = make({ auth: auth({ token, refresh, origins: [`${first.url.replace('http', 'HTTP')}/`] }) });
		expect(await listed.get(`${first.url}/data`).json()).toEqual({ ok: true });
		await expect(listed.get(`${third.url}/x`)).rejects.toMatchObject({ response: { status: 401 } });
		const everywhere = make({ auth: auth({ token, refresh: async () => undefined, origins: '*' }) });
		await expect(everywhere.get(`${third.url}/y`)).rejects.toBeInstanceOf(AuthError); // refreshed, refused again
		expect(firstSeen.map(({ authorization }) => authorization)).toEqual([`Bearer ${valid}`]);
		expect(thirdSeen.map(({ path, authorization }) => `${path} ${authorization}`)).toEqual(['/x null', `/y Bearer ${valid}`, `/y Bearer ${valid}`]);
	});

	it('bad `origins` or `refreshTimeoutMs`: a RangeError at creation naming the option and the value', () => {
		const base = { token: () => 't', refresh: () => undefined };
		for (const bad of ['api.example.com', 'https://api.example.com/v1', 'https://api.example.com?x=1', 'data:text/plain,x', 'https://user:pw@api.example.com', '', 42, null]) {
			expect(() => auth({ ...base, origins: [bad as string] })).toThrow(RangeError);
			expect(() => auth({ ...base, origins: [bad as string] })).toThrow(/^`auth\.origins` must be/);
		}

		expect(() => auth({ ...base, origins: 'https://api.example.com' as never })).toThrow(/^`auth\.origins` must be .*; got "https:\/\/api\.example\.com"$/);
		expect(() => auth({ ...base, origins: ['api.example.com'] })).toThrow(/; got "api\.example\.com"$/);
		for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '100']) {
			expect(() => auth({ ...base, refreshTimeoutMs: bad as number })).toThrow(/^`auth\.refreshTimeoutMs` must be a positive finite number of ms/);
		}

		expect(() => auth({ ...base, origins: ['https://API.example.com:443/', 'http://localhost:8080'], refreshTimeoutMs: 1 })).not.toThrow();
	});
});

describe('auth: a 401 is judged by where it came from (response.url, after redirects)', () => {
	it('a first-party URL redirected to a third party that answers 401: no refresh, the 401 goes to the caller as it came (3 calls, 3 third-party requests, no token there)', async () => {
		const { state, token, refresh } = session();
		const api = make({ baseUrl: first.url, auth: auth({ token, refresh }) });
		for (let index = 0; index < 3; index++) {
			const error = await api.get('elsewhere').catch((error_: unknown) => error_);
			expect(error).toMatchObject({ name: 'HTTPError', response: { status: 401, url: `${third.url}/login-wall` } });
		}

		expect(state.refreshes).toBe(0);
		// fetch drops the Authorization on the cross-origin hop; nothing is sent again.
		expect(thirdSeen).toEqual(Array(3).fill({ path: '/login-wall', authorization: null }));
		expect(firstSeen.map(({ authorization }) => authorization)).toEqual(Array(3).fill('Bearer stale'));
		// With throwHttpErrors: false too: the third party's 401 is the answer, no refresh.
		const response = await api.get('elsewhere', { throwHttpErrors: false });
		expect([response.status, response.url, state.refreshes]).toEqual([401, `${third.url}/login-wall`, 0]);
	});

	it('a redirect within the origins still refreshes on its 401 and is sent again with the new token', async () => {
		const { state, token, refresh } = session();
		const api = make({ baseUrl: first.url, auth: auth({ token, refresh }) });
		expect(await api.get('moved').json()).toEqual({ ok: true });
		expect(state.refreshes).toBe(1);
		expect(firstSeen.map(({ path, authorization }) => `${path} ${authorization}`)).toEqual([
			'/moved Bearer stale', '/data Bearer stale', '/auth/refresh null', `/moved Bearer ${state.token}`, `/data Bearer ${state.token}`,
		]);
	});

	it('a Response without a URL (a custom fetch\'s own) answers the request\'s URL: its 401 refreshes', async () => {
		const { state, token, refresh } = session();
		const sent: Array<string | null> = [];
		const api = make({ baseUrl: first.url, fetch: async (input: RequestInfo | URL) => {
			const { headers } = input as Request;
			sent.push(headers.get('authorization'));
			return headers.get('authorization') === `Bearer ${valid}` ? Response.json({ mine: true }) : new Response('no', { status: 401 });
		}, auth: auth({ token, refresh }) });
		expect(await api.get('data').json()).toEqual({ mine: true });
		expect(state.refreshes).toBe(1);
		expect(sent).toEqual(['Bearer stale', `Bearer ${state.token}`]);
	});
});

describe('auth and failover: the token goes to a mirror only when the mirror is one of auth\'s origins', () => {
	it('the primary answers 503: a mirror not listed gets no Authorization (with a token on the primary, from retries too); a listed one gets it', async () => {
		const token = () => 'T';
		const mirrors = failover({ mirrors: { [down.url]: [mirror.url] } });
		const unlisted = make({ prefix: down.url, retry: 1, auth: auth({ token, refresh: () => undefined }), failover: mirrors });
		expect(await unlisted.get('data').json()).toEqual({ mirror: true });
		expect(await unlisted.get('data', { retry: 0 }).json()).toEqual({ mirror: true });
		expect(mirrorSeen).toEqual([{ path: '/data', authorization: null }, { path: '/data', authorization: null }]);
		mirrorSeen.length = 0;
		const listed = make({ prefix: down.url, auth: auth({ token, refresh: () => undefined, origins: [down.url, mirror.url] }), failover: mirrors });
		expect(await listed.get('data').json()).toEqual({ mirror: true });
		expect(mirrorSeen).toEqual([{ path: '/data', authorization: 'Bearer T' }]);
	});

	it('a token the caller put on the call itself is left to the mirror (only auth\'s token is auth\'s to withhold); with `auth: false` too', async () => {
		const api = make({ prefix: down.url, auth: auth({ token: () => 'T', refresh: () => undefined }), failover: failover({ mirrors: { [down.url]: [mirror.url] } }) });
		expect(await api.get('data', { auth: false, headers: { authorization: 'Bearer mine' } }).json()).toEqual({ mirror: true });
		expect(mirrorSeen).toEqual([{ path: '/data', authorization: 'Bearer mine' }]);
	});

	it('auth\'s token is on the request the stale cache keys (its layer above the cache): offline, the copy stored with it answers at once, no I/O', async () => {
		const api = make({ baseUrl: first.url, staleCache: staleCache({ shared: false }), auth: auth({ token: () => valid, refresh: () => undefined }) });
		const stored = new Promise((resolve) => {
			api.on('cache:stored', resolve);
		});
		expect(await api.get('data').json()).toEqual({ ok: true });
		await stored;
		vi.stubGlobal('navigator', { onLine: false });
		const response = await api.get('data');
		expect(response.headers.get('cache-status')).toContain('detail=offline');
		expect(firstSeen).toEqual([{ path: '/data', authorization: `Bearer ${valid}` }]);
	});

	it('a mirror\'s 401 triggers no refresh, listed or not: the primary\'s 503 stands', async () => {
		mirrorStatus = 401;
		let refreshes = 0;
		const refresh = () => {
			refreshes++;
		};

		const mirrors = failover({ mirrors: { [down.url]: [mirror.url] } });
		for (const origins of [undefined, [down.url, mirror.url]]) {
			const api = make({ prefix: down.url, auth: auth({ token: () => 'T', refresh, ...origins && { origins } }), failover: mirrors });
			await expect(api.get('data')).rejects.toMatchObject({ name: 'HTTPError', response: { status: 503 } });
		}

		expect(refreshes).toBe(0);
		expect(mirrorSeen.map(({ authorization }) => authorization)).toEqual([null, 'Bearer T']);
	});
});

describe('auth: a refresh cannot hold calls forever', () => {
	it('a call waiting for a refresh that never settles is bounded by its own totalTimeout, else its timeout: AuthError, not pending', async () => {
		const api = make({ baseUrl: first.url, auth: auth({ token: () => 'stale', refresh: never }) });
		const started = performance.now();
		const outcome = await within(api.get('data', { totalTimeout: 300 }), 4500) as { error: unknown };
		const elapsed = performance.now() - started;
		expect(outcome.error).toBeInstanceOf(AuthError);
		expect((outcome.error as AuthError).cause).toMatchObject({ name: 'TimeoutError' });
		expect(elapsed).toBeGreaterThanOrEqual(250);
		expect(elapsed).toBeLessThan(3000);
		// Another client: this one's refresh is still in flight, and a call made meanwhile is not sent again.
		const other = make({ baseUrl: first.url, auth: auth({ token: () => 'stale', refresh: never }) });
		const byTimeout = await within(other.get('data', { timeout: 200 }), 4500) as { error: unknown };
		expect((byTimeout.error as AuthError).cause).toMatchObject({ name: 'TimeoutError' });
	});

	it('close(): a call waiting for a refresh is refused at once (CLIENT_CLOSED, as a call after close()) and not sent again when the refresh ends (no I/O after close)', async () => {
		const sent: string[] = [];
		let token = 'old';
		let refreshing = false;
		let finish: () => void = () => undefined;
		const api = createClient({
			retry: 0, auth: auth({ origins: '*', token: () => token, refresh: async () => new Promise<void>((resolve) => {
				refreshing = true;
				finish = () => {
					token = 'new';
					resolve();
				};
			}) }),
			fetch: (async (request: Request) => {
				sent.push(request.headers.get('authorization') ?? '');
				return new Response('', { status: request.headers.get('authorization') === 'Bearer new' ? 200 : 401 });
			}) as typeof fetch,
		});
		const call = api.get('https://api.test/a').catch((error: unknown) => error);
		// The 401 reached the wrapper: it waits for the refresh it started.
		await vi.waitFor(() => expect([sent, refreshing]).toEqual([['Bearer old'], true]));
		api.close();
		const error = await within(call, 1000);
		finish();
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect([(error as { value?: { code?: string } }).value?.code ?? error, sent]).toEqual(['CLIENT_CLOSED', ['Bearer old']]);
	});

	it('the caller\'s abort rejects a call waiting for a refresh at once, with the abort reason', async () => {
		let started!: () => void;
		const refreshing = new Promise<void>((resolve) => {
			started = resolve;
		});
		const api = make({ baseUrl: first.url, auth: auth({ token: () => 'stale', refresh: async () => {
			started();
			return never();
		} }) });
		const controller = new AbortController();
		const call = api.get('data', { signal: controller.signal });
		await refreshing;
		const reason = new Error('the user left the page');
		controller.abort(reason);
		expect(await within(call, 2000)).toEqual({ error: reason });
		expect(api.stats()[first.url]?.failures).toEqual({ ABORTED: 1 });
	});

	it('refreshTimeoutMs: a refresh that has not settled within it fails with AuthError (auth:refresh ok: false); the lock is given back, so the next 401 refreshes again', async () => {
		const { state, token, refresh } = session();
		let calls = 0;
		const api = make({ baseUrl: first.url, auth: auth({ token, refreshTimeoutMs: 100, refresh: async () => {
			calls++;
			return calls === 1 ? never() : refresh();
		} }) });
		const events: boolean[] = [];
		api.on('auth:refresh', ({ ok }) => events.push(ok));
		const started = performance.now();
		const outcome = await within(api.get('data'), 4500) as { error: AuthError };
		expect(outcome.error).toBeInstanceOf(AuthError);
		expect(outcome.error.cause).toMatchObject({ name: 'TimeoutError' });
		// The refresh's deadline, not the call's (ky's default 10 s): the refresh failed.
		expect(performance.now() - started).toBeLessThan(3000);
		expect(events).toEqual([false]);
		// Web Locks are real in Node: a lock still held by the hung refresh would hold this one forever.
		expect(await within(api.get('data').json(), 4500)).toEqual({ value: { ok: true } });
		expect(events).toEqual([false, true]);
		expect(state.refreshes).toBe(1);
	});

	it('an outbox replay waiting for a refresh in flight is aborted by its own signal (with `timeout: false` nothing else would end it)', async () => {
		let started!: () => void;
		const refreshing = new Promise<void>((resolve) => {
			started = resolve;
		});
		let send!: PolicyContext['send'];
		// A stand-in policy in a slot this client leaves empty: it only keeps the client's `send`, as the outbox does.
		const keep = { slot: 'logger' as const, create: (context: PolicyContext) => { send = context.send; return {}; } };
		const api = make({ baseUrl: first.url, logger: keep, auth: auth({ token: () => 'stale', refreshTimeoutMs: 60_000, refresh: async () => {
			started();
			return never();
		} }) });
		const trigger = api.get('data', { totalTimeout: 500 }).catch((error: unknown) => error);
		await refreshing;
		// What the outbox sends: a replay of the stored request, flagged as one.
		const controller = new AbortController();
		const replay = send(`${first.url}/write`, { method: 'POST', idempotencyKey: 'k-1', json: {}, timeout: false, signal: controller.signal }, true);
		await new Promise((resolve) => setTimeout(resolve, 20)); // the replay is waiting in the layer
		const reason = new Error('the drain stopped');
		controller.abort(reason);
		expect(await within(replay, 2000)).toEqual({ error: reason });
		expect(firstSeen.filter(({ path }) => path === '/write')).toEqual([]);
		expect(await trigger).toBeInstanceOf(AuthError);
	});
});

describe('auth: false, and the refresh that asks the API through the same client', () => {
	it('a call with `auth: false` gets no token, and its 401 triggers no refresh; ky does not pass the option on to fetch', async () => {
		const { state, token, refresh } = session();
		const inits: Array<Record<string, unknown>> = [];
		const api = make({ baseUrl: first.url, fetch: async (request, init) => {
			inits.push({ ...init });
			return fetch(request as Request);
		}, auth: auth({ token, refresh }) });
		await expect(api.get('data', { auth: false })).rejects.toMatchObject({ name: 'HTTPError', response: { status: 401 } });
		expect(state.refreshes).toBe(0);
		expect(firstSeen).toEqual([{ path: '/data', authorization: null }]);
		expect(inits.map((init) => 'auth' in init)).toEqual([false]);
	});

	it('the recipe with `auth: false`: the refresh request goes without the stale token, and every waiting call is sent again with the new one', async () => {
		const state = { token: 'stale' };
		const api = make({ baseUrl: first.url, auth: auth({
			token: () => state.token,
			refresh: async () => {
				state.token = (await api.post('auth/refresh', { auth: false }).json<{ token: string }>()).token;
			},
		}) });
		expect(await Promise.all([api.get('data').json(), api.get('data').json()])).toEqual([{ ok: true }, { ok: true }]);
		expect(firstSeen.filter(({ path }) => path === '/auth/refresh')).toEqual([{ path: '/auth/refresh', authorization: null }]);
	});

	it('the recipe with `auth: false`, its request answered 401: the refresh fails with AuthError at once — no deadlock, long before the call\'s totalTimeout', async () => {
		refuseRefresh = true;
		const state = { token: 'stale', refreshes: 0 };
		const api = make({ baseUrl: first.url, auth: auth({
			token: () => state.token,
			refresh: async () => {
				state.refreshes++;
				state.token = (await api.post('auth/refresh', { auth: false }).json<{ token: string }>()).token;
			},
		}) });
		const started = performance.now();
		const outcome = await within(api.get('data', { totalTimeout: 3000 }), 6000) as { error: AuthError };
		expect(outcome.error).toBeInstanceOf(AuthError);
		expect(performance.now() - started).toBeLessThan(2500);
		expect(outcome.error.cause).toMatchObject({ name: 'HTTPError', response: { status: 401 } });
		expect(state.refreshes).toBe(1);
		expect(firstSeen.map(({ path }) => path)).toEqual(['/data', '/auth/refresh']);
	});

	it('a call made while the refresh runs and answered 401 (the token being replaced) waits for it and is sent again with the new token: not an AuthError', async () => {
		let release!: () => void;
		const gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		let started!: () => void;
		const refreshing = new Promise<void>((resolve) => {
			started = resolve;
		});
		const state = { token: 'stale', refreshes: 0 };
		const api = make({ baseUrl: first.url, auth: auth({
			token: () => state.token,
			refresh: async () => {
				state.refreshes++;
				started();
				await gate;
				state.token = (await api.post('auth/refresh', { auth: false }).json<{ token: string }>()).token;
			},
		}) });
		const a = api.get('data').json();
		await refreshing;
		const b = api.get('data').json();
		await vi.waitFor(() => expect(firstSeen.filter(({ path }) => path === '/data')).toHaveLength(2));
		// B's 401 is back while the refresh still runs: B waits for it, it does not fail.
		expect(await within(b, 300)).toBe('pending');
		release();
		expect(await within(Promise.all([a, b]), 4000)).toEqual({ value: [{ ok: true }, { ok: true }] });
		expect(state.refreshes).toBe(1);
		expect(firstSeen.filter(({ path }) => path === '/data').map(({ authorization }) => authorization)).toEqual(['Bearer stale', 'Bearer stale', `Bearer ${state.token}`, `Bearer ${state.token}`]);
	});

	it('`refresh = () => api.post(…)` (no `auth: false`, not async) answered 401: the refresh\'s own request, made while refresh() ran, fails it at once', async () => {
		refuseRefresh = true;
		let refreshes = 0;
		const api = make({ baseUrl: first.url, auth: auth({
			token: () => 'stale',
			refresh: () => {
				refreshes++;
				return api.post('auth/refresh');
			},
		}) });
		const started = performance.now();
		const outcome = await within(api.get('data', { totalTimeout: 3000 }), 6000) as { error: AuthError };
		expect(outcome.error).toBeInstanceOf(AuthError);
		expect(performance.now() - started).toBeLessThan(2500);
		expect(outcome.error.cause).toMatchObject({ name: 'AuthError', response: { status: 401 } });
		expect(refreshes).toBe(1);
	});

	it('a refresh that asks the API only after an await (without `auth: false`) is not told apart from another call: its 401 waits for itself, bounded by refreshTimeoutMs — never a deadlock', async () => {
		refuseRefresh = true;
		const api = make({ baseUrl: first.url, auth: auth({
			token: () => 'stale',
			refreshTimeoutMs: 300,
			refresh: async () => {
				await Promise.resolve();
				await api.post('auth/refresh');
			},
		}) });
		const started = performance.now();
		const outcome = await within(api.get('data', { totalTimeout: 5000 }), 6000) as { error: AuthError };
		expect(outcome.error).toBeInstanceOf(AuthError);
		expect(performance.now() - started).toBeLessThan(3000);
	});

	it('the recipe without `auth: false`, its request answered 401: that 401 fails the refresh with AuthError — never a deadlock', async () => {
		refuseRefresh = true;
		const state = { token: 'stale', refreshes: 0 };
		const api = make({ baseUrl: first.url, auth: auth({
			token: () => state.token,
			refresh: async () => {
				state.refreshes++;
				state.token = (await api.post('auth/refresh').json<{ token: string }>()).token;
			},
		}) });
		const events: boolean[] = [];
		api.on('auth:refresh', ({ ok }) => events.push(ok));
		const started = performance.now();
		const outcome = await within(api.get('data', { totalTimeout: 3000 }), 6000) as { error: AuthError };
		expect(outcome.error).toBeInstanceOf(AuthError);
		// Not the call's time budget running out: the refresh's own 401 ended it.
		expect(performance.now() - started).toBeLessThan(2500);
		expect(outcome.error.cause).toMatchObject({ name: 'AuthError', response: { status: 401 } });
		expect(state.refreshes).toBe(1);
		expect(events).toEqual([false]);
		// The refresh request went once (with the token being replaced), and was not sent again.
		expect(firstSeen.filter(({ path }) => path === '/auth/refresh')).toEqual([{ path: '/auth/refresh', authorization: 'Bearer stale' }]);
	});
});
