/**
 * The sixteenth round on auth (area E). `auth.refresh` TSDoc: "Called on a 401, once at a time for the whole client
 * and across the tabs of the origin (the clients of the same `name` and `origins` …)"; API.md: "`auth({ token,
 * refresh, scheme? })`, `AuthError`: one refresh at a time across tabs on 401". A client and its `extend()` (same
 * name, same store, the same `auth()`) each had a refresh of their own: where no Web Lock joins them (workerd) a burst
 * of 401s on both ran `refresh()` twice (a rotating refresh token spent twice: the second fails and signs the user
 * out), and the refresh's own request made through the `extend()` was not told apart from any call.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { auth, AuthError } from '../../src/entries/auth.js';
import { createClient } from '../../src/entries/index.js';
import { withoutLocks } from './outbox-helpers.js';

/** An API whose resources answer 200 only to `Bearer <valid>`; `POST /token` answers 401 (a refresh that asks the API itself, without `auth: false`). */
const origin = () => {
	const state = { valid: 't1', token: 't0', refreshes: 0, unauthorized: 0 };
	let release!: () => void;
	/** Open once both calls of a burst got their 401: a refresh that waits for it is in flight while each asks. */
	const burst = new Promise<void>((resolve) => {
		release = resolve;
	});
	const fetch = async (request: Request): Promise<Response> => {
		if (new URL(request.url).pathname !== '/token' && request.headers.get('authorization') === `Bearer ${state.valid}`) {
			return new Response('ok');
		}

		if (++state.unauthorized === 2) {
			release();
		}

		return new Response('no', { status: 401 });
	};
	const refresh = async () => {
		state.refreshes++;
		await burst;
		state.token = state.valid;
	};
	return { state, fetch, refresh };
};

const made: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of made.splice(0)) {
		client.close();
	}
});

const make = (fetch: (request: Request) => Promise<Response>, policy: ReturnType<typeof auth>) => {
	const api = createClient({ baseUrl: 'https://api.example/', name: `auth16-${crypto.randomUUID()}`, retry: 0, breaker: false, staleCache: false, fetch, auth: policy } as never);
	made.push(api);
	return api;
};

describe('a client and its extend() share one refresh', () => {
	for (const [label, extend] of [
		['extend({ headers })', (api: ReturnType<typeof make>) => api.extend({ headers: { 'x-child': '1' } })],
		['extend(function)', (api: ReturnType<typeof make>) => api.extend((parent) => ({ ...parent, headers: { 'x-child': '2' } }))],
		['an extend() of an extend()', (api: ReturnType<typeof make>) => api.extend({ headers: { 'x-child': '1' } }).extend({ timeout: 5000 })],
	] as const) {
		it(`${label}, without Web Locks: a 401 on each at once runs refresh() once, and both are sent again with the new token`, async () => withoutLocks(async () => {
			const { state, fetch, refresh } = origin();
			const api = make(fetch, auth({ token: () => state.token, refresh }));
			const child = extend(api);
			made.push(child);
			const statuses = await Promise.all([api.get('a'), child.get('b')].map(async (call) => call.then((response) => response.status)));
			expect(statuses).toEqual([200, 200]);
			// Before: 2.
			expect(state.refreshes).toBe(1);
		}));
	}

	it('two clients given the same auth() (each its own name), without Web Locks: one refresh (the same token and refresh)', async () => withoutLocks(async () => {
		const { state, fetch, refresh } = origin();
		const policy = auth({ token: () => state.token, refresh });
		const [one, two] = [make(fetch, policy), make(fetch, policy)];
		expect(await Promise.all([one.get('a'), two.get('b')].map(async (call) => call.then((response) => response.status)))).toEqual([200, 200]);
		// Before: 2.
		expect(state.refreshes).toBe(1);
	}));

	it('with Web Locks too: one refresh (the lock joined them already)', async () => {
		const { state, fetch, refresh } = origin();
		const api = make(fetch, auth({ token: () => state.token, refresh }));
		const child = api.extend({ headers: { 'x-child': '1' } });
		made.push(child);
		expect(await Promise.all([api.get('a'), child.get('b')].map(async (call) => call.then((response) => response.status)))).toEqual([200, 200]);
		expect(state.refreshes).toBe(1);
	});

	it('an extend() with an auth() of its own (another token and refresh) still refreshes on its own', async () => withoutLocks(async () => {
		const one = origin();
		const two = origin();
		const api = make(one.fetch, auth({ token: () => one.state.token, refresh: one.refresh }));
		const child = api.extend({ fetch: two.fetch, auth: auth({ token: () => two.state.token, refresh: two.refresh }) } as never);
		made.push(child);
		// Each origin gets two 401s (its burst): one call of each client, twice.
		const statuses = await Promise.all([api.get('a'), api.get('b'), child.get('c'), child.get('d')].map(async (call) => call.then((response) => response.status)));
		expect(statuses).toEqual([200, 200, 200, 200]);
		expect([one.state.refreshes, two.state.refreshes]).toEqual([1, 1]);
	}));
});

describe('the refresh\'s own request, made through an extend() of the client', () => {
	for (const [label, around] of [['with Web Locks', async (test: () => Promise<void>) => test()], ['without Web Locks', withoutLocks]] as const) {
		it(`${label}: \`refresh: () => child.post('token')\` answered 401 fails the refresh at once (AuthError), never waits for itself until refreshTimeoutMs`, async () => around(async () => {
			const { state, fetch } = origin();
			let child: ReturnType<typeof make> | undefined;
			let asked = 0;
			const api = make(fetch, auth({
				token: () => state.token,
				// Not async: the child's call is made while refresh() runs (the README's recipe, without `auth: false`).
				refresh: () => {
					asked++;
					return child!.post('token').text();
				},
				refreshTimeoutMs: 30_000,
			}));
			child = api.extend({ headers: { 'x-child': '1' } });
			made.push(child);
			const error = await api.get('a').catch((error: unknown) => error);
			expect(error).toBeInstanceOf(AuthError);
			// Before: with Web Locks, the child's 401 started a refresh of its own that waited for the lock the first held
			// until refreshTimeoutMs (30 s: the test timed out); without, it ran refresh() a second time (asked: 2).
			expect(((error as AuthError).cause as Error).message).toMatch(/answered 401 during the token refresh/);
			expect(asked).toBe(1);
		}));
	}
});
