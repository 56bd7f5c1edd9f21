/**
 * Written by a second engineer against the same issue and API.md, then run against this
 * implementation: it found a re-sent one-time body, a replay sent under a new identity and one
 * refresh per tab after a failed one (all fixed). Two assertions follow this implementation's
 * choices (a re-send is not a retry; option messages).
 *
 * `auth` (issue 15): the token on every attempt, one refresh on a burst of 401s, one retry per call
 * with the new token, `AuthError` when the refresh fails or the new token is refused, the outbox's
 * 401 pause ended by a refresh. Against a real loopback API that checks `Authorization` itself.
 */
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { auth, AuthError } from '../../src/entries/auth.js';
import { createClient as createCoreClient } from '../../src/entries/core.js';
import { classify, createClient, memoryStore, type Client, type OutboxPolicy, outbox } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

interface Seen { method: string; path: string; authorization: string | null; key: string | null; body: string }

/** The API: a resource answers 200 only for `Bearer <valid>`; POST /token makes a new valid token. */
class AuthApi {
	valid = 'token-1';
	/** Tokens the API hands out on `POST /token`, in order (then `token-<n>`). */
	issued = 1;
	refreshes = 0;
	unauthorized = 0;
	/** `/token` answers only once this many 401s were served (every call of a burst got its 401 first). */
	holdTokenUntil = 0;
	/** `/token` refuses (500) while set. */
	tokenFails = false;
	/** `/token` hands out a token the resources still refuse. */
	tokenUseless = false;
	/** Status every resource answers with while set (no auth check), e.g. 503. */
	down: number | undefined;
	seen: Seen[] = [];
	#waiters: Array<() => void> = [];
	server!: RunningServer;

	async start(): Promise<this> {
		this.server = await serve(async (request) => this.handle(request));
		return this;
	}

	get url(): string {
		return this.server.url;
	}

	reset(): void {
		Object.assign(this, { valid: 'token-1', issued: 1, refreshes: 0, unauthorized: 0, holdTokenUntil: 0, tokenFails: false, tokenUseless: false, down: undefined, seen: [] });
	}

	async handle(request: Request): Promise<Response> {
		const path = new URL(request.url).pathname;
		const body = request.body ? await request.text() : '';
		this.seen.push({ method: request.method, path, authorization: request.headers.get('authorization'), key: request.headers.get('idempotency-key'), body });
		if (path === '/token') {
			this.refreshes++;
			while (this.unauthorized < this.holdTokenUntil) {
				await new Promise<void>((resolve) => this.#waiters.push(resolve));
			}

			if (this.tokenFails) {
				return new Response('no', { status: 500 });
			}

			const token = `token-${++this.issued}`;
			if (!this.tokenUseless) {
				this.valid = token;
			}

			return Response.json({ token });
		}

		if (this.down !== undefined) {
			return new Response('down', { status: this.down });
		}

		if (request.headers.get('authorization') !== `Bearer ${this.valid}`) {
			this.unauthorized++;
			for (const wake of this.#waiters.splice(0)) {
				wake();
			}

			return new Response('unauthorized', { status: 401 });
		}

		return Response.json({ path, body, ok: true });
	}
}

let api: AuthApi;
let other: AuthApi;
beforeAll(async () => {
	[api, other] = await Promise.all([new AuthApi().start(), new AuthApi().start()]);
});
afterAll(async () => Promise.all([api.server.close(), other.server.close()]));

const clients: Client<{ outbox: OutboxPolicy }>[] = [];
afterEach(() => {
	for (const client of clients.splice(0)) {
		client.close();
	}

	api.reset();
	other.reset();
});

/** A session as an app keeps it: the token in memory, `refresh` asks the API for a new one. */
const session = (start = 'token-0', origin = () => api.url) => {
	const state = { token: start as string | undefined, calls: 0 };
	return {
		state,
		token: async () => state.token,
		refresh: async () => {
			state.calls++;
			const response = await fetch(`${origin()}/token`, { method: 'POST' });
			if (!response.ok) {
				throw new Error(`token endpoint answered ${response.status}`);
			}

			state.token = (await response.json() as { token: string }).token;
		},
	};
};

const make = (options: Parameters<typeof createClient>[0] = {}): Client<{ outbox: OutboxPolicy }> => {
	// baseUrl: the token goes to the API's origin (auth's default); absolute inputs bypass it.
	const client = <Client<{ outbox: OutboxPolicy }>>createClient({ retry: 0, retryBudget: false, breaker: false, staleCache: false, name: `auth-${crypto.randomUUID()}`, baseUrl: api.url, ...options });
	clients.push(client);
	return client;
};

describe('auth: the token on every attempt', () => {
	it('sends `Authorization: <scheme> <token()>`, sync or async, and nothing when token() gives undefined', async () => {
		let token: string | undefined = 'token-1';
		const client = make({ auth: auth({ token: () => token, refresh: () => undefined }) });
		expect(await client.get(`${api.url}/a`).json()).toMatchObject({ ok: true });
		const custom = make({ auth: auth({ token: async () => 'abc', refresh: () => undefined, scheme: 'Token' }) });
		await custom.get(`${api.url}/b`).catch(() => undefined);
		token = undefined;
		await expect(client.get(`${api.url}/c`)).rejects.toBeInstanceOf(AuthError);
		expect(api.seen.map(({ path, authorization }) => [path, authorization])).toEqual([
			['/a', 'Bearer token-1'],
			['/b', 'Token abc'], ['/b', 'Token abc'],
			['/c', null], ['/c', null],
		]);
	});

	it('reads the token again for each retry of ky', async () => {
		const tokens = ['token-0', 'token-1'];
		api.down = 503;
		const client = make({ retry: { limit: 1, delay: () => 0 }, auth: auth({ token: () => tokens.shift(), refresh: () => undefined }) });
		const answer = client.get(`${api.url}/r`).text();
		await expect(answer).rejects.toMatchObject({ name: 'HTTPError' });
		expect(api.seen.map(({ authorization }) => authorization)).toEqual(['Bearer token-0', 'Bearer token-1']);
	});
});

describe('auth: one refresh for a burst of 401s', () => {
	it('30 concurrent calls that all get a 401 → exactly one refresh(), all 30 succeed with the new token', async () => {
		const clock = new ManualClock();
		const { state, token, refresh } = session();
		const client = make({ clock, auth: auth({ token, refresh: async () => {
			await refresh();
			clock.advance(250);
		} }) });
		const events: unknown[] = [];
		client.on('auth:refresh', ({ type, scope, ok, durationMs }) => events.push({ type, scope, ok, durationMs }));
		api.holdTokenUntil = 30;
		const results = await Promise.all(Array.from({ length: 30 }, async (_, index) => client.get(`${api.url}/item/${index}`).json<{ path: string }>()));
		expect(results.map(({ path }) => path)).toEqual(Array.from({ length: 30 }, (_, index) => `/item/${index}`));
		expect(state.calls).toBe(1);
		expect(api.refreshes).toBe(1);
		expect(api.unauthorized).toBe(30);
		const items = api.seen.filter(({ path }) => path.startsWith('/item/'));
		expect(items.filter(({ authorization }) => authorization === 'Bearer token-0')).toHaveLength(30);
		expect(items.filter(({ authorization }) => authorization === 'Bearer token-2')).toHaveLength(30);
		expect(events).toEqual([{ type: 'auth:refresh', scope: api.url, ok: true, durationMs: 250 }]);
		// The second send of each call is a new ky call: counted as a retry.
		// The send after a refresh is the wrapper's second run, not one of ky's retries (src/core/accounting.ts).
		expect(client.stats()[api.url]).toMatchObject({ requests: 30, successes: 30, retries: 0 });
	});

	it('without Web Locks: single flight within the client', async () => {
		const descriptor = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(navigator), 'locks')!;
		Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true });
		try {
			expect(navigator.locks).toBeUndefined();
			const { state, token, refresh } = session();
			const client = make({ auth: auth({ token, refresh }) });
			api.holdTokenUntil = 20;
			const statuses = await Promise.all(Array.from({ length: 20 }, async () => client.get(`${api.url}/x`).then((response) => response.status)));
			expect(statuses).toEqual(Array.from({ length: 20 }, () => 200));
			expect(state.calls).toBe(1);
		} finally {
			delete (navigator as { locks?: unknown }).locks;
			expect(Object.getOwnPropertyDescriptor(Object.getPrototypeOf(navigator), 'locks')).toEqual(descriptor);
		}
	});

	it('two clients of one name (the same Web Lock): the one that waited for the lock does not refresh again', async () => {
		const shared = session();
		const name = `auth-shared-${crypto.randomUUID()}`;
		const a = make({ name, auth: auth({ token: shared.token, refresh: shared.refresh }) });
		const b = make({ name, auth: auth({ token: shared.token, refresh: shared.refresh }) });
		api.holdTokenUntil = 20;
		const calls = [...Array.from({ length: 10 }, async () => a.get(`${api.url}/a`)), ...Array.from({ length: 10 }, async () => b.get(`${api.url}/b`))];
		const statuses = (await Promise.all(calls)).map((response) => response.status);
		expect(statuses).toEqual(Array.from({ length: 20 }, () => 200));
		expect(api.refreshes).toBe(1);
		expect(shared.state.calls).toBe(1);
	});

	it('another client\'s refresh, heard on the channel, is an auth:refresh with shared: true and the client\'s scope \'*\' (no URL), as every event without one has', async () => {
		const shared = session();
		const name = `auth-heard-${crypto.randomUUID()}`;
		const a = make({ name, auth: auth({ token: shared.token, refresh: shared.refresh }) });
		const b = make({ name, auth: auth({ token: shared.token, refresh: shared.refresh }) });
		const heard: Array<{ scope: string; shared: boolean }> = [];
		b.on('auth:refresh', ({ scope, shared: isShared }) => heard.push({ scope, shared: isShared }));
		api.holdTokenUntil = 1;
		expect((await a.get(`${api.url}/a`)).status).toBe(200);
		await vi.waitFor(() => expect(heard).toEqual([{ scope: '*', shared: true }]));
	});

	it('two clients for two APIs (each its own token and refresh, one name): one\'s slow refresh neither holds nor stands in for the other\'s', async ({ onTestFinished }) => {
		// The same name for both, as two clients of an app that sets none: the origins tell them apart.
		const name = `auth-two-apis-${crypto.randomUUID()}`;
		const first = session('a-0');
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		onTestFinished(() => release());
		const a = make({ name, baseUrl: api.url, auth: auth({ token: first.token, refresh: async () => {
			await held;
			await first.refresh();
		} }) });
		const second = session('b-0', () => other.url);
		const b = make({ name, baseUrl: other.url, auth: auth({ token: second.token, refresh: second.refresh }) });
		const heard: string[] = [];
		b.on('auth:refresh', ({ shared }) => heard.push(shared ? 'shared' : 'own'));
		// A same-named client of A's API (another tab of A, as far as the lock and the channel go).
		const tab = make({ name, baseUrl: api.url, auth: auth({ token: first.token, refresh: first.refresh }) });
		const tabHeard: boolean[] = [];
		tab.on('auth:refresh', ({ shared }) => tabHeard.push(shared));
		const slow = a.get('x').then((response) => response.status);
		await vi.waitUntil(() => api.unauthorized === 1);
		// A is refreshing: B's 401 runs B's own refresh at once, and B's call succeeds with it.
		const started = performance.now();
		expect((await b.get('y', { timeout: 2000 })).status).toBe(200);
		expect(performance.now() - started).toBeLessThan(1000);
		expect([first.state.calls, second.state.calls, other.refreshes]).toEqual([0, 1, 1]);
		release();
		expect(await slow).toBe(200);
		expect(first.state.calls).toBe(1);
		await new Promise((resolve) => setTimeout(resolve, 50));
		// B heard nothing of A's refresh (its own only); A's other tab did.
		expect(heard).toEqual(['own']);
		expect(tabHeard).toEqual([true]);
	});

	it('a call sent with the old token whose 401 comes after the refresh is retried without a new refresh', async () => {
		const { state, token, refresh } = session();
		const client = make({ auth: auth({ token, refresh }) });
		await client.get(`${api.url}/first`);
		expect(state.calls).toBe(1);
		// The API rotates the token behind the client's back: the next 401 asks for a second refresh.
		api.valid = 'rotated';
		api.issued = 9;
		const response = await client.get(`${api.url}/second`);
		expect(response.status).toBe(200);
		expect(state.calls).toBe(2);
		expect(api.seen.filter(({ path }) => path === '/second').map(({ authorization }) => authorization)).toEqual(['Bearer token-2', 'Bearer token-10']);
	});
});

describe('auth: failures', () => {
	it('a second 401 right after a refresh rejects with AuthError (AUTH_FAILED, not transient), one refresh', async () => {
		const { state, token, refresh } = session();
		api.tokenUseless = true;
		const client = make({ auth: auth({ token, refresh }) });
		const error = await client.get(`${api.url}/x`).json().catch((error: unknown) => error);
		expect(error).toBeInstanceOf(AuthError);
		expect(error).toMatchObject({ name: 'AuthError', code: 'AUTH_FAILED', transient: false });
		expect(classify(error)).toEqual({ code: 'AUTH_FAILED', transient: false });
		expect((error as AuthError).cause).toMatchObject({ name: 'HTTPError', response: { status: 401 } });
		expect(state.calls).toBe(1);
		expect(api.seen.filter(({ path }) => path === '/x').map(({ authorization }) => authorization)).toEqual(['Bearer token-0', 'Bearer token-2']);
		expect(client.stats()[api.url]?.failures).toEqual({ AUTH_FAILED: 1 });
	});

	it('a refresh that throws rejects every waiting call with AuthError (cause: its error), and the next 401 refreshes again', async () => {
		const { state, token, refresh } = session();
		const client = make({ auth: auth({ token, refresh }) });
		const events: Array<{ ok: boolean }> = [];
		client.on('auth:refresh', (event) => events.push(event));
		api.tokenFails = true;
		api.holdTokenUntil = 10;
		const errors = await Promise.all(Array.from({ length: 10 }, async () => client.get(`${api.url}/y`).then(() => undefined, (error: unknown) => error)));
		for (const error of errors) {
			expect(error).toBeInstanceOf(AuthError);
			expect(((error as AuthError).cause as Error).message).toBe('token endpoint answered 500');
		}

		expect(state.calls).toBe(1);
		expect(api.seen.filter(({ path }) => path === '/y')).toHaveLength(10);
		expect(events.map(({ ok }) => ok)).toEqual([false]);
		api.tokenFails = false;
		expect((await client.get(`${api.url}/z`)).status).toBe(200);
		expect(state.calls).toBe(2);
		expect(events.map(({ ok }) => ok)).toEqual([false, true]);
	});

	it('with throwHttpErrors: false, a 401 is refreshed and retried the same way', async () => {
		const { token, refresh } = session();
		const client = make({ throwHttpErrors: false, auth: auth({ token, refresh }) });
		const answer = await client.get(`${api.url}/soft`).json<{ ok: boolean }>();
		expect(answer.ok).toBe(true);
	});
});

describe('auth: what is sent again', () => {
	it('a POST is sent again with the same bytes and Idempotency-Key, and `.json()` parses the retried answer', async () => {
		const { token, refresh } = session();
		const client = make({ auth: auth({ token, refresh }) });
		const answer = await client.post(`${api.url}/orders`, { json: { item: 'x', n: 2 }, idempotencyKey: true }).json<{ body: string }>();
		expect(answer.body).toBe('{"item":"x","n":2}');
		const posts = api.seen.filter(({ path }) => path === '/orders');
		expect(posts).toHaveLength(2);
		expect(posts[1]!.body).toBe(posts[0]!.body);
		expect(posts[0]!.key).toMatch(/^[\da-f-]{36}$/);
		expect(posts[1]!.key).toBe(posts[0]!.key);
		expect(posts.map(({ authorization }) => authorization)).toEqual(['Bearer token-0', 'Bearer token-2']);
	});

	it('a string body and a ky `beforeRequest` hook: both run again for the second send', async () => {
		const { token, refresh } = session();
		let hooks = 0;
		const client = make({ hooks: { beforeRequest: [() => {
			hooks++;
		}] }, auth: auth({ token, refresh }) });
		const text = await client.put(`${api.url}/doc`, { body: 'plain text body' }).text();
		expect(JSON.parse(text)).toMatchObject({ body: 'plain text body' });
		expect(hooks).toBe(2);
	});
	it('a body that can be read once (a Request input with a body, a stream) is not sent again: the 401 comes as it came, the token is fresh for the next call', async () => {
		const { state, token, refresh } = session();
		const client = make({ auth: auth({ token, refresh }) });
		const error = await client(new Request(`${api.url}/once`, { method: 'POST', body: 'only once' })).text().catch((error: unknown) => error);
		expect(error).toMatchObject({ name: 'HTTPError', response: { status: 401 } });
		expect(state.calls).toBe(1);
		const stream = new ReadableStream({
			start(controller) {
				controller.enqueue(new TextEncoder().encode('streamed'));
				controller.close();
			},
		});
		const answer = await client.post(`${api.url}/stream`, { body: stream, duplex: 'half' } as never).json<{ body: string }>();
		expect(answer.body).toBe('streamed');
		expect(api.seen.filter(({ path }) => path === '/once' || path === '/stream').map(({ path, authorization }) => `${path} ${authorization}`)).toEqual(['/once Bearer token-0', '/stream Bearer token-2']);
	});

	// Node's fetch takes these too, and reads them once as it sends them: sent again, they would go out empty.
	const once: Array<[string, () => unknown]> = [
		['an async generator', () => (async function* () {
			yield new TextEncoder().encode('only once');
		})()],
		['a Node stream (Readable)', () => Readable.from([new TextEncoder().encode('only once')])],
	];

	it.each(once)('a body that is %s (a stream fetch takes) is not sent again either: the 401 comes as it came, never the write with an empty body', async (name, body) => {
		const { state, token, refresh } = session();
		const client = make({ auth: auth({ token, refresh }) });
		const path = `/iterable-${name.length}`;
		const error = await client.post(`${api.url}${path}`, { body: body(), duplex: 'half' } as never).text().then(String, (caught: unknown) => caught);
		expect(error).toMatchObject({ name: 'HTTPError', response: { status: 401 } });
		expect([state.calls, api.seen.filter((each) => each.path === path).map(({ authorization }) => authorization)]).toEqual([1, ['Bearer token-0']]);
	});
});

describe('auth: the outbox', () => {
	it('stores no Authorization, replays with the fresh token, and its 401 pause ends when a refresh succeeds', async () => {
		const store = memoryStore(`auth-outbox-${crypto.randomUUID()}`);
		const { state, token, refresh } = session('token-1');
		const clock = new ManualClock();
		const client = make({ clock, random: () => 0.5, store: () => store, outbox: outbox({ baseBackoffMs: 60_000 }), auth: auth({ token, refresh, origins: [api.url, other.url] }) });
		const log: string[] = [];
		client.on('*' as never, (event: { type: string; code?: string }) => {
			if (event.type.startsWith('outbox:') || event.type === 'auth:refresh') {
				log.push(event.code ? `${event.type} ${event.code}` : event.type);
			}
		});
		api.down = 503;
		await expect(client.post(`${api.url}/orders`, { json: { n: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		const [entry] = await client.outbox.list();
		expect(Object.keys(entry!.headers).map((name) => name.toLowerCase())).not.toContain('authorization');
		expect(JSON.stringify(await store.get((await store.keys())[0]!))).not.toContain('token-1');
		expect(await client.outbox.size()).toBe(1);

		// Back up, but the token expired and the first refresh fails: the replay pauses the scope.
		clock.advance(60_000);
		api.down = undefined;
		api.valid = 'token-expired-elsewhere';
		api.tokenFails = true;
		const flushed = await client.outbox.flush();
		expect(flushed).toMatchObject({ sent: 0, failed: 1, remaining: 1 });
		expect((await client.outbox.list())[0]!.lastError).toMatchObject({ code: 'AUTH_FAILED' });

		// A call to another origin gets a 401; its refresh succeeds: the outbox's pause ends, the entry goes.
		api.tokenFails = false;
		other.valid = 'token-2';
		const sent = new Promise<void>((resolve) => client.on('outbox:sent', () => resolve()));
		expect((await client.get(`${other.url}/elsewhere`, { outbox: false })).status).toBe(200);
		await sent;
		expect(state.calls).toBe(2);
		expect(await client.outbox.size()).toBe(0);
		const replays = api.seen.filter(({ path }) => path === '/orders').map(({ authorization }) => authorization);
		expect(replays).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-2']);
		expect(log).toEqual(['outbox:queued HTTP_5XX', 'auth:refresh', 'outbox:retry AUTH_FAILED', 'auth:refresh', 'outbox:sent']);
	});

	it('a refresh that changes identity leaves the previous identity\'s queued writes pending, even the one being replayed', async () => {
		const store = memoryStore(`auth-identity-${crypto.randomUUID()}`);
		let user = 'alice';
		const { token, refresh } = session('token-1');
		const clock = new ManualClock();
		const client = make({
			clock, random: () => 0.5, store: () => store, identity: () => user, outbox: outbox({ baseBackoffMs: 60_000 }),
			auth: auth({ token, refresh: async () => {
				await refresh();
				user = 'bob';
			} }),
		});
		api.down = 503;
		await expect(client.post(`${api.url}/orders`, { json: { by: 'alice' } })).rejects.toMatchObject({ code: 'QUEUED' });
		expect(await client.outbox.size()).toBe(1);
		clock.advance(60_000);
		api.down = undefined;
		api.valid = 'token-2';
		// Alice's replay gets a 401; the refresh signs Bob in: her write is not sent with his token.
		expect(await client.outbox.flush()).toMatchObject({ sent: 0, failed: 1, remaining: 1 });
		expect(user).toBe('bob');
		const [entry] = await client.outbox.list();
		// Untouched since it was queued (its 503): the 401 that came after Bob signed in is not written back in his session.
		expect(entry).toMatchObject({ method: 'POST', lastError: { code: 'HTTP_5XX' } });
		expect(entry!.identity).toMatch(/^[\da-f]{64}$/);
		// Bob's drains pass it by.
		expect(await client.outbox.flush()).toMatchObject({ sent: 0, remaining: 1 });
		expect(api.seen.filter(({ path }) => path === '/orders').map(({ authorization }) => authorization)).toEqual(['Bearer token-1', 'Bearer token-1']);
		// Alice back: her write goes, with the current token.
		user = 'alice';
		expect(await client.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(api.seen.filter(({ path }) => path === '/orders').map(({ authorization }) => authorization)).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-2']);
	});
});

describe('auth: options', () => {
	it('bad options throw a RangeError at creation, naming the option and the value', () => {
		const refresh = () => undefined;
		expect(() => auth({ token: 'abc' as never, refresh })).toThrow(/^`auth\.token` must be a function.*; got "abc"$/);
		expect(() => auth({ token: () => 'a', refresh: undefined as never })).toThrow(/^`auth\.refresh` must be a function.*; got undefined$/);
		expect(() => auth({ token: () => 'a', refresh, scheme: 1 as never })).toThrow(/`auth\.scheme` must be an HTTP auth scheme.*; got 1$/);
		expect(() => auth({ token: () => 'a', refresh, scheme: 'Two words' })).toThrow(/`auth\.scheme`.*; got "Two words"$/);
		expect(() => auth(undefined as never)).toThrow(RangeError);
		expect(() => createClient({ auth: true as never })).toThrow(/`auth` must be a policy/);
		expect(() => createClient({ auth: { token: () => 'a' } as never })).toThrow(/`auth` must be a policy/);
		expect(() => createCoreClient({ auth: { token: () => 'a', refresh } as never })).toThrow(/`auth` must be a policy/);
	});

	it('steadfetch/core takes the policy in its slot', async () => {
		const { state, token, refresh } = session();
		const client = createCoreClient({ retry: 0, auth: auth({ token, refresh, origins: [api.url] }) });
		clients.push(client as unknown as Client<{ outbox: OutboxPolicy }>);
		expect((await client.get(`${api.url}/core`)).status).toBe(200);
		expect(state.calls).toBe(1);
	});
});
