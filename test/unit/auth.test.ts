/** auth() (issue 15): the token on every attempt, one refresh at a time on 401, AuthError when it cannot help. */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { auth } from '../../src/entries/auth.js';
import type { PolicyContext } from '../../src/entries/policy.js';
import { AuthError, classify, createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

/** An API whose tokens expire: `/token` issues the next one; other paths want the current one. */
let server: RunningServer;
let valid = 'token-1';
let issued = 1;
const seen: Array<{ path: string; authorization: string | null; key: string | null; body: string }> = [];
beforeAll(async () => {
	server = await serve(async (request) => {
		const url = new URL(request.url);
		if (url.pathname === '/token') {
			valid = `token-${++issued}`;
			return Response.json({ token: valid });
		}

		seen.push({ path: url.pathname, authorization: request.headers.get('authorization'), key: request.headers.get('idempotency-key'), body: await request.text() });
		return request.headers.get('authorization') === `Bearer ${valid}` ? Response.json({ ok: true }) : new Response('expired', { status: 401 });
	});
});
afterAll(async () => server.close());
beforeEach(() => {
	seen.length = 0;
});

/** The app's side: where the token lives, and a refresh that asks the API for a new one. */
const session = () => {
	const state = { token: 'stale', refreshes: 0, failNext: false };
	const options = {
		origins: [server.url],
		token: () => state.token,
		refresh: async () => {
			state.refreshes++;
			await new Promise((resolve) => setTimeout(resolve, 20)); // while the other 401s arrive
			if (state.failNext) {
				throw new Error('the refresh token expired');
			}

			state.token = (await (await fetch(`${server.url}/token`)).json() as { token: string }).token;
		},
	};
	return { state, options };
};

/**
 * Hold `options.refresh` after it stored the new token, until the returned `release()` (or the test's
 * end: a failed assertion must not leave the refresh, and its Web Lock, held); then run `after`.
 */
const holdRefresh = (options: ReturnType<typeof session>['options'], onTestFinished: (listener: () => void) => void, after?: () => void): (() => void) => {
	let release!: () => void;
	const gate = new Promise<void>((resolve) => {
		release = resolve;
	});
	onTestFinished(() => release());
	const refresh = options.refresh;
	options.refresh = async () => {
		await refresh();
		await gate;
		after?.();
	};
	return release;
};

/**
 * Replays as the outbox sends them (`PolicyContext.send(…, true)`): a stand-in policy in a slot that
 * has none here, which only keeps the client's `send`.
 */
const replays = () => {
	let send!: PolicyContext['send'];
	const policy = { slot: 'logger' as const, create: (context: PolicyContext) => { send = context.send; return {}; } };
	return { policy, send: (input: string, options: Record<string, unknown>) => send(input, options, true) };
};

describe('auth', () => {
	it('30 concurrent calls that get 401 share exactly one refresh, and all succeed with the new token', async () => {
		const { state, options } = session();
		const api = createCore({ retry: 0, auth: auth(options) });
		const events: unknown[] = [];
		api.on('auth:refresh', (event) => events.push(event));
		const results = await Promise.all(Array.from({ length: 30 }, async (_, index) => api.get(`${server.url}/data/${index}`).json()));
		expect(results).toEqual(Array(30).fill({ ok: true }));
		expect(state.refreshes).toBe(1);
		expect(events).toEqual([expect.objectContaining({ type: 'auth:refresh', ok: true, shared: false, scope: server.url })]);
		expect(seen.filter((request) => request.authorization === `Bearer ${state.token}`)).toHaveLength(30);
		expect(seen).toHaveLength(60);
		// The token is read before every attempt: the next call sends the new one at once.
		expect((await api.get(`${server.url}/data/again`)).status).toBe(200);
		expect(state.refreshes).toBe(1);
		api.close();
	});

	it('a refresh that fails rejects every waiting call with AuthError (not transient, the cause kept)', async () => {
		const { state, options } = session();
		state.failNext = true;
		const api = createCore({ retry: 0, auth: auth(options) });
		const errors = await Promise.all(Array.from({ length: 5 }, async (_, index) => api.get(`${server.url}/data/${index}`).catch((error: unknown) => error)));
		expect(state.refreshes).toBe(1);
		for (const error of errors) {
			expect(error).toBeInstanceOf(AuthError);
			expect(classify(error)).toEqual({ code: 'AUTH_FAILED', transient: false });
			expect(((error as AuthError).cause as Error).message).toBe('the refresh token expired');
		}

		api.close();
	});

	it('a second 401 right after the refresh is an AuthError carrying that response; no second refresh', async () => {
		const api = createCore({ retry: 0, baseUrl: server.url, auth: auth({ token: () => 'never-valid', refresh: () => undefined }) });
		const error = await api.get(`${server.url}/data/x`).catch((error_: unknown) => error_) as AuthError;
		expect(error).toBeInstanceOf(AuthError);
		expect(error.response?.status).toBe(401);
		expect(seen).toHaveLength(2);
		api.close();
	});

	it('a POST is sent again with the same bytes and Idempotency-Key; throwHttpErrors: false gets the 401 path too', async () => {
		const { options } = session();
		const api = createCore({ retry: 0, auth: auth({ ...options, scheme: 'Bearer' }) });
		expect((await api.post(`${server.url}/write`, { json: { a: 1 }, idempotencyKey: 'k-1' })).status).toBe(200);
		expect(seen.map(({ body, key }) => [body, key])).toEqual([['{"a":1}', 'k-1'], ['{"a":1}', 'k-1']]);
		const soft = createCore({ retry: 0, throwHttpErrors: false, auth: auth(session().options) });
		expect((await soft.get(`${server.url}/data/soft`)).status).toBe(200);
		api.close();
		soft.close();
	});

	it('the outbox: a replay that gets 401 is refreshed and delivered; a write paused by a failed refresh goes once a refresh succeeds', async () => {
		const { state, options } = session();
		const store = memoryStore('auth-outbox');
		const api = createClient({ retry: 0, store: () => store, staleCache: false, breaker: false, outbox: outbox({ baseBackoffMs: 1 }), auth: auth(options) });
		state.failNext = true;
		await expect(api.post(`${server.url}/write`, { json: { n: 1 } })).rejects.toBeInstanceOf(AuthError);
		// Not queued (AUTH_FAILED is not a delivery failure): the caller was told.
		expect(await api.outbox.size()).toBe(0);
		// A write queued while the network was down, replayed after the token expired.
		const down = { fetch: async () => Promise.reject(new TypeError('fetch failed')) };
		await expect(api.post(`${server.url}/write`, { ...down, json: { n: 2 } })).rejects.toMatchObject({ code: 'QUEUED' });
		state.failNext = true;
		await api.outbox.flush();
		expect(await api.outbox.size()).toBe(1); // paused by the failed refresh, not dead
		expect(await api.outbox.deadLetters()).toEqual([]);
		state.failNext = false;
		await api.get(`${server.url}/data/refresh-me`); // a refresh succeeds: the pause ends
		await vi.waitFor(async () => expect(await api.outbox.size()).toBe(0));
		expect(seen.filter((request) => request.body === '{"n":2}').at(-1)?.authorization).toBe(`Bearer ${state.token}`);
		api.close();
	});

	it('with identity: a refresh that signs in someone else leaves the previous identity\'s queued writes pending', async () => {
		const { state, options } = session();
		let who = 'alice';
		const store = memoryStore('auth-identity');
		// Time stands still: Alice's write never comes due by itself while she is signed in (on a busy machine a replay
		// at its backoff's end, under Alice, went out before the refresh signed Bob in: her own write, rightly sent).
		const now = Date.now();
		const clock = { now: () => now };
		const api = createClient({ retry: 0, clock, store: () => store, staleCache: false, breaker: false, identity: () => who, outbox: outbox(), auth: auth(options) });
		const down = { fetch: async () => Promise.reject(new TypeError('fetch failed')) };
		await expect(api.post(`${server.url}/write`, { ...down, json: { by: 'alice' } })).rejects.toMatchObject({ code: 'QUEUED' });
		// The session expires; the refresh signs Bob in (the app's refresh changes who it is for).
		const refresh = options.refresh;
		options.refresh = async () => {
			await refresh();
			who = 'bob';
		};
		const bob = createClient({ retry: 0, clock, store: () => store, staleCache: false, breaker: false, identity: () => who, outbox: outbox(), auth: auth(options) });
		api.close();
		// The call was made for Alice; the refresh signed Bob in: it is not sent again under Bob's token.
		await expect(bob.get(`${server.url}/data/bob`)).rejects.toBeInstanceOf(AuthError);
		expect(state.refreshes).toBe(1);
		expect((await bob.get(`${server.url}/data/bob`)).status).toBe(200); // Bob's own call
		await bob.outbox.flush();
		expect(seen.filter((request) => request.body === '{"by":"alice"}')).toEqual([]);
		expect((await bob.outbox.list()).map((entry) => entry.url)).toEqual([`${server.url}/write`]);
		bob.close();
	});

	it('a replay that starts while a refresh runs waits for it: sent once, with the new token, never the one being replaced', async ({ onTestFinished }) => {
		const { state, options } = session();
		// The app is still busy with its sign-in when the replay starts.
		const release = holdRefresh(options, onTestFinished);
		const { policy, send } = replays();
		const api = createCore({ retry: 0, auth: auth(options), logger: policy });
		const first = api.get(`${server.url}/data/first`).json();
		await vi.waitFor(() => expect(state.token).not.toBe('stale')); // the refresh is under way
		// A user's own call with `outbox: false` and a key is not a replay: it is not held.
		const own = api.post(`${server.url}/data/own`, { outbox: false, idempotencyKey: 'k-0', json: { n: 0 } }).json();
		await vi.waitFor(() => expect(seen.some((request) => request.path === '/data/own')).toBe(true));
		// What the outbox sends: a replay, through the client, flagged as one.
		const replay = send(`${server.url}/data/replay`, { method: 'POST', idempotencyKey: 'k-1', json: { n: 1 } }).json();
		await new Promise((resolve) => setTimeout(resolve, 30));
		expect(seen.filter((request) => request.path === '/data/replay')).toEqual([]);
		release();
		expect(await Promise.all([first, replay, own])).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
		expect(seen.filter((request) => request.path === '/data/replay').map((request) => request.authorization)).toEqual([`Bearer ${state.token}`]);
		expect(state.refreshes).toBe(1);
		api.close();
	});

	it('with identity: a replay queued for the previous identity that starts while a refresh signs someone else in is never sent (not even with the new token)', async ({ onTestFinished }) => {
		const { state, options } = session();
		let who = 'alice';
		// The new token is where token() reads it a moment before the app says who it is for.
		const release = holdRefresh(options, onTestFinished, () => {
			who = 'bob';
		});
		const { policy, send } = replays();
		const api = createCore({ retry: 0, identity: () => who, auth: auth(options), logger: policy });
		const trigger = api.get(`${server.url}/data/bob`).json();
		await vi.waitFor(() => expect(state.token).not.toBe('stale'));
		const alices = send(`${server.url}/data/alice`, { method: 'POST', idempotencyKey: 'k-alice', json: { by: 'alice' } }).catch((error: unknown) => error);
		await new Promise((resolve) => setTimeout(resolve, 30));
		release();
		expect(await alices).toBeInstanceOf(AuthError);
		await expect(trigger).rejects.toBeInstanceOf(AuthError); // made for Alice too: not sent again for Bob
		expect(seen.filter((request) => request.path === '/data/alice')).toEqual([]);
		expect(await api.get(`${server.url}/data/bob`).json()).toEqual({ ok: true }); // Bob's own call
		api.close();
	});

	it('a refresh that asks the API through the same client is not held by its own refresh (no deadlock)', async () => {
		const state = { token: 'stale', refreshes: 0 };
		let api!: ReturnType<typeof createCore>;
		api = createCore({ retry: 0, baseUrl: server.url, auth: auth({
			token: () => state.token,
			refresh: async () => {
				state.refreshes++;
				state.token = (await api.get(`${server.url}/token`).json<{ token: string }>()).token;
			},
		}) });
		expect(await api.get(`${server.url}/data/self`).json()).toEqual({ ok: true });
		expect(state.refreshes).toBe(1);
		api.close();
	});

	it('a token() that throws (even a TypeError) is an AuthError at once: not a network failure, no retry, no I/O', async () => {
		const api = createCore({ retry: 2, baseUrl: server.url, auth: auth({ token: () => {
			throw new TypeError('storage is gone');
		}, refresh: () => undefined }) });
		const error = await api.get(`${server.url}/data/t`).catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(AuthError);
		expect(classify(error).code).toBe('AUTH_FAILED');
		expect(((error as AuthError).cause as Error).message).toBe('storage is gone');
		expect(seen).toHaveLength(0);
		api.close();
	});

	it('a token() that gives what cannot be a token (an object, a value fetch refuses in a header) is an AuthError at once: no I/O, never a raw TypeError', async () => {
		for (const given of [{ access_token: 'x' }, 42, 'line\nbreak']) {
			const api = createCore({ retry: 2, baseUrl: server.url, auth: auth({ token: () => given as never, refresh: () => undefined }) });
			const error = await api.get(`${server.url}/data/t`).catch((error_: unknown) => error_);
			expect(error, String(given)).toBeInstanceOf(AuthError);
			expect(classify(error).code).toBe('AUTH_FAILED');
			api.close();
		}

		expect(seen).toHaveLength(0);
	});

	it('bad options: a RangeError at creation naming the option', () => {
		expect(() => auth(undefined as never)).toThrow(/auth\.token/);
		expect(() => auth({ token: () => 't' } as never)).toThrow(/auth\.refresh/);
		expect(() => auth({ token: () => 't', refresh: () => undefined, scheme: 'Two words' })).toThrow(/auth\.scheme/);
		expect(() => createClient({ auth: { token: 't' } as never })).toThrow(/`auth` must be a policy/);
	});
});
