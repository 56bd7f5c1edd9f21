/**
 * The sixteenth round on auth, second pass (area G: auth across identities). API.md "Work that outlives its caller":
 * such work is bound to the world it started in; "no further attempt of it goes out once its identity changed", "never
 * goes out under the next user's token"; API.md "Boundaries" / "Read your own writes": "no value of one identity's
 * answers ever goes out in another identity's request". A call of bob (or of the session after a `clear()`) that got a
 * 401 while alice's refresh ran joined it and was sent again with the token alice's refresh stored
 * (`['Bearer alice-old', 'Bearer bob-old', 'Bearer alice-new']`, bob's call 200).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sessions } from '../helpers/auth-sessions.js';
import { auth, AuthError } from '../../src/entries/auth.js';
import { createClient } from '../../src/entries/index.js';
import { createClient as createCore } from '../../src/entries/core.js';
import type { PolicyContext } from '../../src/core/policy.js';
import { withoutLocks } from './outbox-helpers.js';

const made: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of made.splice(0)) {
		client.close();
	}
});

const runtimes = [['with Web Locks', async (test: () => Promise<void>) => test()], ['without Web Locks', withoutLocks]] as const;

/**
 * An app whose stored token (`state.token`) is that of the session signed in (`state.who`, `state.session`: a new one
 * at each sign-in or clear). Its `refresh()` gets a new token for the session it started in and stores it: the first
 * refresh is held until `finish()`. The API answers 200 only to a refreshed token (`<session>-new`).
 */
const app = (identity: boolean) => {
	const { state, sent, refreshed, finish, fetch, refresh, outcome } = sessions();
	const api = createClient({
		baseUrl: 'https://api.test/', name: `auth16b-${crypto.randomUUID()}`, retry: 0, breaker: false, staleCache: false, fetch,
		...identity ? { identity: () => state.who } : {},
		auth: auth({ token: () => state.token, refresh }),
	} as never);
	made.push(api);
	return { api, state, sent, refreshed, finish, outcome };
};

/** The switches that end alice's session while her refresh runs, and start the next one (its token stored). */
const switches = [
	['alice signs out and bob signs in (identity)', true, async (state: ReturnType<typeof app>['state']) => {
		Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
	}],
	['the client is cleared (a logout without identity) and someone signs in', false, async (state: ReturnType<typeof app>['state'], api: { clear(): Promise<void> }) => {
		await api.clear();
		Object.assign(state, { session: 'next', token: 'next-old' });
	}],
	['clear({ identity: \'alice\' }), and alice signs in again (a new session of hers)', true, async (state: ReturnType<typeof app>['state'], api: { clear(options?: { identity?: string }): Promise<void> }) => {
		await api.clear({ identity: 'alice' });
		Object.assign(state, { session: 'alice2', token: 'alice2-old' });
	}],
] as const;

describe('a 401 of the next session while the previous session\'s refresh runs', () => {
	for (const [runtime, around] of runtimes) {
		for (const [label, identity, change] of switches) {
			it(`${runtime}, ${label}: the next session's call does not join it, never carries the token it stored, and refreshes for its own session`, async () => around(async () => {
				const { api, state, sent, refreshed, finish, outcome } = app(identity);
				const first = outcome(api.get('a'));
				await expect.poll(() => refreshed.length).toBe(1);
				await change(state, api as never);
				const next = state.session;
				const second = outcome(api.get('b'));
				await expect.poll(() => sent.length).toBe(2);
				finish();
				const results = await Promise.all([first, second]);
				// Before: sent ['Bearer alice-old', 'Bearer bob-old', 'Bearer alice-new'], bob's call answered as alice.
				expect(sent).not.toContain('Bearer alice-new');
				expect(sent).toEqual(['Bearer alice-old', `Bearer ${next}-old`, `Bearer ${next}-new`]);
				expect(refreshed).toEqual(['alice', next]);
				// Alice's call, made before the switch, is not sent again (after the switch: no further attempt).
				expect(results[0]).toMatch(/^(AuthError|ABORTED)$/);
				expect(results[1]).toBe(next);
			}));
		}

		it(`${runtime}: two calls of bob that got 401s while alice's refresh ran share one refresh of bob's`, async () => around(async () => {
			const { api, state, sent, refreshed, finish, outcome } = app(true);
			const first = outcome(api.get('a'));
			await expect.poll(() => refreshed.length).toBe(1);
			Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
			const calls = [outcome(api.get('b')), outcome(api.get('c'))];
			await expect.poll(() => sent.length).toBe(3);
			finish();
			expect(await Promise.all(calls)).toEqual(['bob', 'bob']);
			expect(await first).toMatch(/^(AuthError|ABORTED)$/);
			expect(refreshed).toEqual(['alice', 'bob']);
			expect(sent).toEqual(['Bearer alice-old', 'Bearer bob-old', 'Bearer bob-old', 'Bearer bob-new', 'Bearer bob-new']);
		}));

		it(`${runtime}: alice's calls that joined her refresh before she signed out are not sent again after it`, async () => around(async () => {
			const { api, state, sent, refreshed, finish, outcome } = app(true);
			const calls = [outcome(api.get('a')), outcome(api.get('b'))];
			await expect.poll(() => sent.length).toBe(2);
			await expect.poll(() => refreshed.length).toBe(1);
			Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
			finish();
			for (const result of await Promise.all(calls)) {
				expect(result).toMatch(/^(AuthError|ABORTED)$/);
			}

			expect(sent).toEqual(['Bearer alice-old', 'Bearer alice-old']);
		}));

		it(`${runtime}: a call of the same session still joins the refresh in flight (one refresh, as before)`, async () => around(async () => {
			const { api, sent, refreshed, finish, outcome } = app(true);
			const first = outcome(api.get('a'));
			await expect.poll(() => refreshed.length).toBe(1);
			const second = outcome(api.get('b'));
			await expect.poll(() => sent.length).toBe(2);
			finish();
			expect(await Promise.all([first, second])).toEqual(['alice', 'alice']);
			expect(refreshed).toEqual(['alice']);
		}));
	}
});

describe('an outbox replay of the next session that starts while the previous session\'s refresh runs', () => {
	for (const [runtime, around] of runtimes) {
		it(`${runtime}: it waits for that refresh, and is not sent with the token it stored (AuthError: it stays queued)`, async () => around(async () => {
			const { state, sent, refreshed, finish } = app(true);
			let send!: PolicyContext['send'];
			let hooked = false;
			const logger = { slot: 'logger' as const, create: (context: PolicyContext) => {
				send = context.send;
				return {};
			} };
			const fetch = async (request: Request): Promise<Response> => {
				const token = request.headers.get('authorization');
				sent.push(token);
				return token?.endsWith('-new') ? Response.json({ as: token.slice(7, -4) }) : new Response('expired', { status: 401 });
			};
			const api = createCore({
				baseUrl: 'https://api.test/', name: `auth16b-${crypto.randomUUID()}`, retry: 0, fetch, identity: () => state.who, logger,
				hooks: { beforeRequest: [({ request }: { request: Request }) => {
					hooked ||= request.url.endsWith('/w');
				}] },
				auth: auth({ token: () => state.token, refresh: async () => {
					const session = state.session;
					refreshed.push(session);
					if (refreshed.length === 1) {
						await held;
					}

					state.token = `${session}-new`;
				} }),
			} as never);
			made.push(api);
			let release!: () => void;
			const held = new Promise<void>((resolve) => {
				release = resolve;
			});
			const first = api.get('a').catch((error: unknown) => error);
			await expect.poll(() => refreshed.length).toBe(1);
			Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
			// What the outbox sends for bob: a replay, flagged as one.
			const replay = send('https://api.test/w', { method: 'POST', idempotencyKey: 'k-bob', json: { by: 'bob' } }, true).then((response) => response.status, (error: unknown) => error);
			// The replay reached the client's hooks (its attempt is at auth's layer, waiting for the refresh, next).
			await expect.poll(() => hooked).toBe(true);
			expect(sent).toEqual(['Bearer alice-old']);
			release();
			finish();
			expect(await replay).toBeInstanceOf(AuthError);
			expect(await first).toBeInstanceOf(AuthError);
			// Before: ['Bearer alice-old', 'Bearer alice-new'] (bob's write sent with the token alice's refresh stored).
			expect(sent).toEqual(['Bearer alice-old']);
		}));
	}
});

describe('in a Worker (a refresh shared by the calls of one request: `withContext(ctx)`)', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
	});

	it('bob\'s call of the same request that got a 401 while alice\'s refresh ran does not join it, and is sent with his own session\'s token', async () => {
		vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' }); // No Web Locks; a refresh is per request.
		const { api, state, sent, refreshed, finish, outcome } = app(true);
		const here = (api as unknown as { withContext(ctx: { waitUntil(promise: Promise<unknown>): void }): typeof api }).withContext({ waitUntil: () => undefined });
		const first = outcome(here.get('a'));
		await expect.poll(() => refreshed.length).toBe(1);
		Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
		const second = outcome(here.get('b'));
		await expect.poll(() => sent.length).toBe(2);
		finish();
		const results = await Promise.all([first, second]);
		// Before: ['Bearer alice-old', 'Bearer bob-old', 'Bearer alice-new'].
		expect(sent).toEqual(['Bearer alice-old', 'Bearer bob-old', 'Bearer bob-new']);
		expect(refreshed).toEqual(['alice', 'bob']);
		expect(results).toEqual(['AuthError', 'bob']);
	});
});
