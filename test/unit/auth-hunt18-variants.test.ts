/**
 * The eighteenth round on auth (area C: auth and identity). API.md "Work that outlives its caller": work is bound to the
 * world it started in, "never goes out under the next user's token"; `auth.refresh` TSDoc: "A refresh serves only the
 * session it started in: … is never sent with the token the earlier one stored". Rounds 16 and 17 covered the calls of
 * the next session that got a 401; these are the ones that get none: the token a refresh of an ended session stored is
 * never sent by another session's call (refreshed for its own session first).
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
 * An app whose stored token (`state.token`, shared by its tabs as localStorage is) is that of the session signed in
 * (`state.who`, `state.session`). Its `refresh()` gets a new token for the session it started in and stores it (also
 * when that session ended meanwhile: the naive app; `careful` stores nothing then); the first one is held until
 * `finish()`. The API answers 200 only to a refreshed token (`<session>-new`), as that session.
 */
const app = ({ careful = false } = {}) => {
	const { state, sent, refreshed, finish, fetch, refresh, outcome } = sessions({ careful });
	const name = `auth18-${crypto.randomUUID()}`;
	/** A client ("a tab") of the app: each its own `auth()` (as each tab has its own), one `name`. */
	const tab = (identity: false | (() => string | undefined) = () => state.who, shared = auth({ origins: ['https://api.test'], token: () => state.token, refresh })) => {
		const api = createClient({
			baseUrl: 'https://api.test/', name, retry: 0, breaker: false, staleCache: false, fetch,
			...identity ? { identity } : {},
			auth: shared,
		} as never);
		made.push(api);
		return api;
	};

	/** Alice's call gets a 401; her refresh runs; `signOut()` ends her session; then her refresh stores its token and ends. */
	const staleRefresh = async (api: ReturnType<typeof tab>, signOut: () => Promise<void> | void): Promise<void> => {
		const call = outcome(api.get('a'));
		await expect.poll(() => refreshed.length).toBe(1);
		await signOut();
		finish();
		expect(await call).toMatch(/^(AuthError|ABORTED)$/);
	};

	return { state, sent, refreshed, finish, tab, outcome, staleRefresh, name, refresh };
};

describe('a call of the next session that gets no 401, after the previous session\'s refresh stored its token as it ended', () => {
	for (const [runtime, around] of runtimes) {
		it(`${runtime}: bob's call is not sent with the token alice's refresh stored: it is refreshed for bob first`, async () => around(async () => {
			const { state, sent, refreshed, tab, outcome, staleRefresh } = app();
			const api = tab();
			await staleRefresh(api, () => {
				Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
			});
			expect(state.token).toBe('alice-new');
			// Before: sent ['Bearer alice-old', 'Bearer alice-new'], bob's call answered as alice; refreshed ['alice'].
			expect(await outcome(api.get('b'))).toBe('bob');
			expect(sent).toEqual(['Bearer alice-old', 'Bearer bob-new']);
			expect(refreshed).toEqual(['alice', 'bob']);
			// Bob's own refresh vouches for the token it left: his next call sends it, no other refresh.
			expect(await outcome(api.get('c'))).toBe('bob');
			expect(refreshed).toEqual(['alice', 'bob']);
		}));
	}

	it('after a clear() (a logout without identity): the next session\'s call is refreshed for it first', async () => {
		const { state, sent, refreshed, tab, outcome, staleRefresh } = app();
		const api = tab(false);
		await staleRefresh(api, async () => {
			await api.clear();
			Object.assign(state, { session: 'next', token: 'next-old' });
		});
		// Before: ['Bearer alice-old', 'Bearer alice-new'], answered as alice.
		expect(await outcome(api.get('b'))).toBe('next');
		expect(sent).toEqual(['Bearer alice-old', 'Bearer next-new']);
		expect(refreshed).toEqual(['alice', 'next']);
	});

	it('several calls of bob at once share one refresh of his', async () => {
		const { state, sent, refreshed, tab, outcome, staleRefresh } = app();
		const api = tab();
		await staleRefresh(api, () => {
			Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
		});
		expect(await Promise.all([outcome(api.get('b')), outcome(api.get('c')), outcome(api.get('d'))])).toEqual(['bob', 'bob', 'bob']);
		expect(sent).toEqual(['Bearer alice-old', 'Bearer bob-new', 'Bearer bob-new', 'Bearer bob-new']);
		expect(refreshed).toEqual(['alice', 'bob']);
	});

	it('through an extend()ed child (it shares the parent\'s auth()): refreshed for bob first', async () => {
		const { state, sent, refreshed, tab, outcome, staleRefresh } = app();
		const api = tab();
		const child = api.extend({ headers: { 'x-child': '1' } });
		await staleRefresh(api, () => {
			Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
		});
		// Before: ['Bearer alice-old', 'Bearer alice-new'], answered as alice.
		expect(await outcome(child.get('b'))).toBe('bob');
		expect(sent).toEqual(['Bearer alice-old', 'Bearer bob-new']);
		expect(refreshed).toEqual(['alice', 'bob']);
	});

	it('alice signed in again: her calls send the token her ended session\'s refresh left (her own identity\'s), no refresh', async () => {
		const { state, sent, refreshed, tab, outcome, staleRefresh } = app();
		const api = tab();
		await staleRefresh(api, () => {
			Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
		});
		Object.assign(state, { who: 'alice', session: 'alice' });
		expect(await outcome(api.get('b'))).toBe('alice');
		expect(sent).toEqual(['Bearer alice-old', 'Bearer alice-new']);
		expect(refreshed).toEqual(['alice']);
	});

	it('a refresh that ended for its own session is trusted as before: no second refresh', async () => {
		const { sent, refreshed, finish, tab, outcome } = app();
		const api = tab();
		const first = outcome(api.get('a'));
		await expect.poll(() => refreshed.length).toBe(1);
		finish();
		expect(await first).toBe('alice');
		expect(await outcome(api.get('b'))).toBe('alice');
		expect(sent).toEqual(['Bearer alice-old', 'Bearer alice-new', 'Bearer alice-new']);
		expect(refreshed).toEqual(['alice']);
	});

	it('bob\'s refresh fails: his call fails with AuthError and is never sent with alice\'s token', async () => {
		const { state, sent, outcome } = app();
		let fail = false;
		const api = createClient({
			baseUrl: 'https://api.test/', retry: 0, breaker: false, staleCache: false, identity: () => state.who,
			fetch: async (request: Request) => {
				sent.push(request.headers.get('authorization'));
				return new Response('expired', { status: 401 });
			},
			auth: auth({ origins: ['https://api.test'], token: () => state.token, refresh: async () => {
				if (fail) {
					throw new Error('refresh token expired');
				}

				await new Promise((resolve) => setTimeout(resolve, 5));
				Object.assign(state, { who: 'bob', session: 'bob' });
				state.token = 'alice-new';
			} }),
		} as never);
		made.push(api);
		expect(await outcome(api.get('a'))).toMatch(/^(AuthError|ABORTED)$/);
		expect(state.token).toBe('alice-new');
		fail = true;
		expect(await outcome(api.get('b'))).toBe('AuthError');
		expect(sent).toEqual(['Bearer alice-old']);
	});
});

describe('the refresh\'s own request (no `auth: false`) while the token is the one an ended session\'s refresh left', () => {
	it('fails that refresh at once with AuthError (never waits for itself until refreshTimeoutMs), and is never sent with alice\'s token', async () => {
		const state = { who: 'alice', token: 'alice-old' };
		const sent: Array<string | null> = [];
		let refreshes = 0;
		const api = createClient({
			baseUrl: 'https://api.test/', retry: 0, breaker: false, staleCache: false, identity: () => state.who, timeout: 60_000,
			fetch: async (request: Request) => {
				sent.push(request.headers.get('authorization'));
				return new Response('expired', { status: 401 });
			},
			auth: auth({ origins: ['https://api.test'], token: () => state.token, refreshTimeoutMs: 60_000, refresh: async () => {
				if (++refreshes === 1) {
					await new Promise((resolve) => setTimeout(resolve, 5));
					Object.assign(state, { who: 'bob', token: 'alice-new' });
					return;
				}

				// Bob's refresh asks the API through the same client, without `auth: false`: its own request.
				await api.post('auth/refresh');
			} }),
		} as never);
		made.push(api);
		await expect(api.get('a')).rejects.toMatchObject({ code: expect.stringMatching(/^(AUTH_FAILED|ABORTED)$/) });
		const started = Date.now();
		await expect(api.get('b')).rejects.toBeInstanceOf(AuthError);
		expect(Date.now() - started).toBeLessThan(30_000);
		expect(refreshes).toBe(2);
		expect(sent.filter((token) => token === 'Bearer alice-new')).toEqual([]);
	}, 20_000);
});

describe('neighbours: a careful app, an outbox replay, a Worker, another tab', () => {
	it('a careful app (its refresh stores nothing for a session that ended): bob\'s token is refreshed once for him, never alice\'s sent', async () => {
		const { state, sent, refreshed, tab, outcome, staleRefresh } = app({ careful: true });
		const api = tab();
		await staleRefresh(api, () => {
			Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
		});
		expect(state.token).toBe('bob-old');
		expect(await outcome(api.get('b'))).toBe('bob');
		expect(sent.filter((token) => token?.startsWith('Bearer alice'))).toEqual(['Bearer alice-old']);
		expect(refreshed).toEqual(['alice', 'bob']);
	});

	it('an outbox replay of bob\'s write that starts after alice\'s refresh stored its token as her session ended: sent with bob\'s', async () => {
		const { state, sent, refreshed, tab, staleRefresh, name, refresh } = app();
		// The client whose outbox replays it: given the app's one `auth()`, as the app's other clients (its `refresh()` shared).
		const shared = auth({ origins: ['https://api.test'], token: () => state.token, refresh });
		await staleRefresh(tab(undefined, shared), () => {
			Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
		});
		const replays: string[] = [];
		let send!: PolicyContext['send'];
		const logger = { slot: 'logger' as const, create: (context: PolicyContext) => {
			send = context.send;
			return {};
		} };
		const api = createCore({
			baseUrl: 'https://api.test/', name, retry: 0, identity: () => state.who, logger,
			fetch: async (request: Request) => {
				replays.push(`${request.headers.get('authorization')}`);
				return new Response(null, { status: request.headers.get('authorization')?.endsWith('-new') ? 201 : 401 });
			},
			auth: shared,
		} as never);
		made.push(api);
		const status = await send('https://api.test/w', { method: 'POST', idempotencyKey: 'k-bob', json: {} }, true).then((response) => response.status);
		// Before: ['Bearer alice-new'] (bob's stored write delivered with alice's token).
		expect(replays).toEqual(['Bearer bob-new']);
		expect(status).toBe(201);
		expect(refreshed).toEqual(['alice', 'bob']);
		expect(sent).toEqual(['Bearer alice-old']);
	});

	describe('in a Worker (a refresh per request: `withContext(ctx)`)', () => {
		afterEach(() => {
			vi.unstubAllGlobals();
		});

		it('bob\'s call in another request is not sent with the token alice\'s refresh stored', async () => {
			vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' });
			const { state, sent, refreshed, tab, outcome, staleRefresh } = app();
			const api = tab() as unknown as { withContext(ctx: { waitUntil(promise: Promise<unknown>): void }): ReturnType<typeof tab> };
			await staleRefresh(api.withContext({ waitUntil: () => undefined }), () => {
				Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
			});
			// Before: ['Bearer alice-old', 'Bearer alice-new'], answered as alice.
			expect(await outcome(api.withContext({ waitUntil: () => undefined }).get('b'))).toBe('bob');
			expect(sent).toEqual(['Bearer alice-old', 'Bearer bob-new']);
			expect(refreshed).toEqual(['alice', 'bob']);
		});
	});

	it('across tabs: bob\'s call in a tab that heard another tab\'s refresh end for alice\'s ended session is refreshed for bob first', async () => {
		const { state, sent, refreshed, tab, outcome, staleRefresh } = app();
		const [one, two] = [tab(), tab()];
		const heard = new Promise<void>((resolve) => {
			two.on('auth:refresh', (event: { shared: boolean }) => event.shared && resolve());
		});
		await staleRefresh(one, () => {
			Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
		});
		await heard;
		// Before: ['Bearer alice-old', 'Bearer alice-new'], answered as alice.
		expect(await outcome(two.get('b'))).toBe('bob');
		expect(sent).toEqual(['Bearer alice-old', 'Bearer bob-new']);
		expect(refreshed).toEqual(['alice', 'bob']);
	});
});

describe('close() while a call waits in auth\'s layer for a refresh (no 401 of its own): refused with CLIENT_CLOSED', () => {
	// README, errors: "`CLIENT_CLOSED` … a call made after `api.close()`, or one waiting then for … an `auth` refresh".
	/** A client whose refreshes after the first are held until `release()`; its `send` with the replay flag, as the outbox sends. */
	const held = ({ stale = false } = {}) => {
		const state = { who: 'alice', token: 'alice-old' };
		let refreshes = 0;
		let release!: () => void;
		const gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		let send!: PolicyContext['send'];
		const logger = { slot: 'logger' as const, create: (context: PolicyContext) => {
			send = context.send;
			return {};
		} };
		const name = `auth18-close-${crypto.randomUUID()}`;
		const api = createClient({
			baseUrl: 'https://api.test/', name, retry: 0, breaker: false, staleCache: false, identity: () => state.who, logger, timeout: 60_000,
			fetch: async (request: Request) => (request.headers.get('authorization')?.endsWith('-new') ? Response.json({}) : new Response('expired', { status: 401 })),
			auth: auth({ origins: ['https://api.test'], token: () => state.token, refreshTimeoutMs: 60_000, refresh: async () => {
				if (++refreshes === 1 && stale) {
					// Alice's refresh: bob signs in while it runs, and it stores her token as it ends.
					Object.assign(state, { who: 'bob', token: 'alice-new' });
					return;
				}

				await gate;
			} }),
		} as never);
		made.push(api);
		const code = async (call: Promise<unknown>): Promise<unknown> => call.then(() => 'sent', (error: { code?: string }) => error.code);
		const replay = () => code(send('https://api.test/w', { method: 'POST', idempotencyKey: 'k', json: {} }, true));
		return { state, api, name, replay, code, refreshes: () => refreshes, release };
	};

	it('an outbox replay waiting for the refresh in flight', async () => {
		const { api, replay, code, refreshes, release } = held();
		const first = code(api.get('a'));
		await expect.poll(refreshes).toBe(1);
		const waiting = replay();
		api.close();
		// Before: it waited on until its own timeout (60 s here; ky's 10 s by default), then failed with ky's TimeoutError.
		expect(await waiting).toBe('CLIENT_CLOSED');
		expect(await first).toBe('CLIENT_CLOSED');
		release();
	});

	it('an outbox replay waiting for another tab\'s refresh (its Web Lock held there)', async () => {
		const { api, name, replay } = held();
		let granted!: () => void;
		const taken = new Promise<void>((resolve) => {
			granted = resolve;
		});
		let free!: () => void;
		const other = navigator.locks.request(`steadfetch:${name}/auth https://api.test/`, async () => {
			granted();
			await new Promise<void>((resolve) => {
				free = resolve;
			});
		});
		await taken;
		const waiting = replay();
		await expect.poll(async () => (await navigator.locks.query()).pending?.length).toBe(1);
		api.close();
		expect(await waiting).toBe('CLIENT_CLOSED');
		free();
		await other;
	});

	it('a call of the next session waiting for its own session\'s refresh (the token an ended session\'s refresh left)', async () => {
		const { api, code, refreshes, release } = held({ stale: true });
		expect(await code(api.get('a'))).toMatch(/^(AUTH_FAILED|ABORTED)$/);
		const waiting = code(api.get('b'));
		await expect.poll(refreshes).toBe(2);
		api.close();
		expect(await waiting).toBe('CLIENT_CLOSED');
		release();
	});
});

describe('one refresh shared by a client and its extend() child (or a second client given the same auth()), in one tab', () => {
	// AuthRefreshEvent: "A token refresh (`auth()`) ended: here (`shared` false), or in another tab of the origin (`shared` true)".
	for (const [label, sibling] of [['an extend()ed child', 'extend'], ['a second client given the same auth()', 'client']] as const) {
		it(`${label}'s refresh is not told to the parent as another tab's (no \`shared: true\` event in this tab)`, async () => {
			let token = 'old';
			const name = `auth18-events-${crypto.randomUUID()}`;
			const fetch = async (request: Request) => (request.headers.get('authorization')?.endsWith('new') ? Response.json({}) : new Response('expired', { status: 401 }));
			const shared = auth({ origins: ['https://api.test'], token: () => token, refresh: () => {
				token = 'new';
			} });
			const options = { baseUrl: 'https://api.test/', name, retry: 0, breaker: false, staleCache: false, fetch, auth: shared };
			const api = createClient(options as never);
			const other = sibling === 'extend' ? api.extend({ headers: { 'x-child': '1' } }) : createClient(options as never);
			// Another tab: its own auth() (each tab has its own), the same name and origins.
			const tab = createClient({ ...options, auth: auth({ origins: ['https://api.test'], token: () => token, refresh: () => undefined }) } as never);
			made.push(api, other, tab);
			const events: string[] = [];
			api.on('auth:refresh', (event) => events.push(`parent shared=${event.shared}`));
			other.on('auth:refresh', (event) => events.push(`sibling shared=${event.shared}`));
			const heard = new Promise<void>((resolve) => {
				tab.on('auth:refresh', (event) => event.shared && resolve());
			});
			expect((await other.get('a')).status).toBe(200);
			// The other tab heard it (so would the parent, had it taken it for another tab's).
			await heard;
			await new Promise((resolve) => setTimeout(resolve, 0));
			// Before: ['sibling shared=false', 'parent shared=true'].
			expect(events).toEqual(['sibling shared=false']);
		});
	}
});
