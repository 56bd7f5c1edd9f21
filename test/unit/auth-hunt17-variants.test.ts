/**
 * The seventeenth round on auth (area F: auth and identity). `auth.refresh` TSDoc: "A refresh serves only the session it
 * started in: a call made after an identity change or a `clear()` … that gets a 401 while a refresh started before it
 * runs waits for that one to end, then starts its own … and is never sent with the token the earlier one stored";
 * API.md "Work that outlives its caller": work is bound to the world it started in, "never goes out under the next
 * user's token". Round 16 covered a 401 that arrived while the previous session's refresh ran in this client; these are
 * its neighbours: the 401 arrives just after that refresh ended, and the refresh runs in another tab.
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
 * (`state.who`, `state.session`). Its `refresh()` gets a new token for the session it started in and stores it; the
 * first one is held until `finish()`. The API answers 200 only to a refreshed token (`<session>-new`); `hold(path)`
 * keeps the next answer to `path` until the returned function is called.
 */
const app = () => {
	const { state, sent, refreshed, finish, note, answer, refresh, outcome } = sessions();
	const held = new Map<string, Promise<void>>();
	const fetch = async (request: Request): Promise<Response> => {
		const token = note(request);
		const path = new URL(request.url).pathname;
		const wait = held.get(path);
		held.delete(path);
		await wait;
		return answer(token);
	};
	/** A client ("a tab") of the app: each its own `auth()` (as each tab has its own), one `name`. */
	const name = `auth17-${crypto.randomUUID()}`;
	const tab = (identity: false | (() => string | undefined) = () => state.who) => {
		const api = createClient({
			baseUrl: 'https://api.test/', name, retry: 0, breaker: false, staleCache: false, fetch,
			...identity ? { identity } : {},
			auth: auth({ origins: ['https://api.test'], token: () => state.token, refresh }),
		} as never);
		made.push(api);
		return api;
	};

	const hold = (path: string): (() => void) => {
		let release!: () => void;
		held.set(path, new Promise<void>((resolve) => {
			release = resolve;
		}));
		return release;
	};

	return { state, sent, refreshed, finish, tab, hold, outcome, name };
};

describe('a 401 of the next session answered just after the previous session\'s refresh ended', () => {
	for (const [runtime, around] of runtimes) {
		it(`${runtime}: bob's call sent with his token before alice's refresh stored hers is not sent again with hers: it refreshes for bob`, async () => around(async () => {
			const { state, sent, refreshed, finish, tab, hold, outcome } = app();
			const api = tab();
			const first = outcome(api.get('a'));
			await expect.poll(() => refreshed.length).toBe(1);
			Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
			const answer = hold('/b');
			const second = outcome(api.get('b'));
			await expect.poll(() => sent.length).toBe(2);
			finish();
			// Alice's refresh ended (her call is refused: she signed out): then bob's answer, a 401, arrives.
			expect(await first).toMatch(/^(AuthError|ABORTED)$/);
			expect(state.token).toBe('alice-new');
			answer();
			expect(await second).toBe('bob');
			// Before: ['Bearer alice-old', 'Bearer bob-old', 'Bearer alice-new'] (bob's call answered as alice), refreshed ['alice'].
			expect(sent).toEqual(['Bearer alice-old', 'Bearer bob-old', 'Bearer bob-new']);
			expect(refreshed).toEqual(['alice', 'bob']);
		}));
	}
});

describe('a 401 of the session after a clear() (a logout without identity) answered just after the refresh of the one before ended', () => {
	for (const [runtime, around] of runtimes) {
		it(`${runtime}: the next session's call is not sent again with the token that refresh stored: it refreshes for its own session`, async () => around(async () => {
			const { state, sent, refreshed, finish, tab, hold, outcome } = app();
			const api = tab(false);
			const first = outcome(api.get('a'));
			await expect.poll(() => refreshed.length).toBe(1);
			await api.clear();
			Object.assign(state, { session: 'next', token: 'next-old' });
			const answer = hold('/b');
			const second = outcome(api.get('b'));
			await expect.poll(() => sent.length).toBe(2);
			finish();
			expect(await first).toMatch(/^(AuthError|ABORTED)$/);
			answer();
			expect(await second).toBe('next');
			// Before: ['Bearer alice-old', 'Bearer next-old', 'Bearer alice-new'].
			expect(sent).toEqual(['Bearer alice-old', 'Bearer next-old', 'Bearer next-new']);
			expect(refreshed).toEqual(['alice', 'next']);
		}));
	}

	it('a 401 of the same session after its own refresh ended still trusts the token it stored (no second refresh)', async () => {
		const { sent, refreshed, finish, tab, hold, outcome } = app();
		const api = tab();
		const first = outcome(api.get('a'));
		await expect.poll(() => refreshed.length).toBe(1);
		const answer = hold('/b');
		const second = outcome(api.get('b'));
		await expect.poll(() => sent.length).toBe(2);
		finish();
		expect(await first).toBe('alice');
		answer();
		expect(await second).toBe('alice');
		expect(sent).toEqual(['Bearer alice-old', 'Bearer alice-old', 'Bearer alice-new', 'Bearer alice-new']);
		expect(refreshed).toEqual(['alice']);
	});
});

describe('across tabs: bob\'s 401 in one tab while alice\'s refresh runs in another', () => {
	it('the tab that waited for the other tab\'s refresh does not send bob\'s call with the token it stored: it refreshes for bob', async () => {
		const { state, sent, refreshed, finish, tab, outcome } = app();
		const [one, two] = [tab(), tab()];
		const first = outcome(one.get('a'));
		await expect.poll(() => refreshed.length).toBe(1);
		Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
		const second = outcome(two.get('b'));
		await expect.poll(() => sent.length).toBe(2);
		// Tab two's 401 waits for the refresh's Web Lock, which tab one holds.
		await expect.poll(async () => (await navigator.locks.query()).pending?.length).toBe(1);
		finish();
		expect(await first).toMatch(/^(AuthError|ABORTED)$/);
		expect(await second).toBe('bob');
		// Before: ['Bearer alice-old', 'Bearer bob-old', 'Bearer alice-new'], bob's call answered as alice; refreshed ['alice'].
		expect(sent).toEqual(['Bearer alice-old', 'Bearer bob-old', 'Bearer bob-new']);
		expect(refreshed).toEqual(['alice', 'bob']);
	});
});

describe('across tabs: neighbours', () => {
	it('after a clear() (no identity), the waiting tab refreshes for the new session', async () => {
		const { state, sent, refreshed, finish, tab, outcome } = app();
		const [one, two] = [tab(false), tab(false)];
		const first = outcome(one.get('a'));
		await expect.poll(() => refreshed.length).toBe(1);
		await two.clear();
		Object.assign(state, { session: 'next', token: 'next-old' });
		const second = outcome(two.get('b'));
		await expect.poll(async () => (await navigator.locks.query()).pending?.length).toBe(1);
		finish();
		expect(await first).toMatch(/^(AuthError|ABORTED)$/);
		expect(await second).toBe('next');
		// Before: ['Bearer alice-old', 'Bearer next-old', 'Bearer alice-new'].
		expect(sent).toEqual(['Bearer alice-old', 'Bearer next-old', 'Bearer next-new']);
		expect(refreshed).toEqual(['alice', 'next']);
	});

	it('a tab whose identity() still says alice (each tab reads its own) refreshed for alice: the tab of bob does not take its token', async () => {
		const { state, sent, refreshed, finish, tab, outcome } = app();
		const one = tab(() => 'alice');
		const two = tab(() => state.who);
		const first = outcome(one.get('a'));
		await expect.poll(() => refreshed.length).toBe(1);
		Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
		const second = outcome(two.get('b'));
		await expect.poll(async () => (await navigator.locks.query()).pending?.length).toBe(1);
		finish();
		expect(await second).toBe('bob');
		// Alice's tab: her call is sent again with her new token (her identity() there still says alice).
		expect(await first).toBe('alice');
		// Before: bob's call sent again with 'Bearer alice-new' (sent ['Bearer alice-old', 'Bearer bob-old', 'Bearer alice-new', 'Bearer alice-new']).
		expect([...sent.slice(0, 2), ...sent.slice(2).sort()]).toEqual(['Bearer alice-old', 'Bearer bob-old', 'Bearer alice-new', 'Bearer bob-new']);
		expect(refreshed).toEqual(['alice', 'bob']);
	});

	it('the refresh of the same session in another tab still serves the waiting tab: one refresh across tabs', async () => {
		const { sent, refreshed, finish, tab, outcome } = app();
		const [one, two] = [tab(), tab()];
		const first = outcome(one.get('a'));
		await expect.poll(() => refreshed.length).toBe(1);
		const second = outcome(two.get('b'));
		await expect.poll(async () => (await navigator.locks.query()).pending?.length).toBe(1);
		finish();
		expect(await Promise.all([first, second])).toEqual(['alice', 'alice']);
		expect(refreshed).toEqual(['alice']);
		expect(sent).toEqual(['Bearer alice-old', 'Bearer alice-old', 'Bearer alice-new', 'Bearer alice-new']);
	});

	for (const [label, word] of [['an ended session', { identity: 'alice', current: false }], ['another identity', { identity: 'alice', current: true }]] as const) {
		it(`another tab's word that its refresh served ${label}, arriving a moment after its Web Lock was given back, is waited for`, async () => {
			const { state, sent, refreshed, finish, tab, outcome, name } = app();
			finish(); // No refresh of this tab is held.
			const two = tab();
			Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
			// The other tab: holds the refresh's lock while alice's refresh runs, stores her token, gives the lock back, then tells.
			let release!: () => void;
			const gate = new Promise<void>((resolve) => {
				release = resolve;
			});
			let granted!: () => void;
			const taken = new Promise<void>((resolve) => {
				granted = resolve;
			});
			const lock = `steadfetch:${name}/auth https://api.test/`;
			const other = navigator.locks.request(lock, async () => {
				granted();
				await gate;
				state.token = 'alice-new';
			});
			await taken;
			const second = outcome(two.get('b'));
			await expect.poll(async () => (await navigator.locks.query()).pending?.length).toBe(1);
			release();
			await other;
			await new Promise((resolve) => setTimeout(resolve, 30));
			const channel = new BroadcastChannel(lock);
			channel.postMessage(word);
			channel.close();
			expect(await second).toBe('bob');
			// Before: ['Bearer bob-old', 'Bearer alice-new'].
			expect(sent).toEqual(['Bearer bob-old', 'Bearer bob-new']);
			expect(refreshed).toEqual(['bob']);
		});
	}
});

describe('across tabs: an outbox replay that starts while another tab\'s refresh runs', () => {
	/** A tab whose outbox replays are made by hand (`PolicyContext.send` with the replay flag, as the outbox sends them). */
	/**
	 * The outbox's replay of a write from this tab (`send` with `replay: true`): its origin answers 201 to a token
	 * ending `-new`, else 401, each attempt recorded in `sent` as `replay <Authorization>`; this tab's own refresh fails.
	 */
	const replaying = (sent: unknown[], name: string, state: { who: string | undefined; token: string }) => {
		const fetch = async (request: Request): Promise<Response> => {
			sent.push(`replay ${request.headers.get('authorization')}`);
			return new Response(null, { status: request.headers.get('authorization')?.endsWith('-new') ? 201 : 401 });
		};

		const refresh = async (): Promise<void> => {
			throw new Error('not this tab');
		};

		let send!: PolicyContext['send'];
		const logger = { slot: 'logger' as const, create: (context: PolicyContext) => {
			send = context.send;
			return {};
		} };
		const api = createCore({ baseUrl: 'https://api.test/', name, retry: 0, fetch, identity: () => state.who, logger, auth: auth({ origins: ['https://api.test'], token: () => state.token, refresh }) } as never);
		made.push(api);
		return async (path: string, key: string) => send(`https://api.test/${path}`, { method: 'POST', idempotencyKey: key, json: {} }, true).then((response) => response.status, (error: unknown) => error instanceof AuthError ? 'AuthError' : (error as { code?: string }).code);
	};

	it('waits for it, and is sent with the token it left for the same session (not with the one being replaced)', async () => {
		const { state, sent, refreshed, finish, tab, outcome, name } = app();
		const one = tab();
		const first = outcome(one.get('a'));
		await expect.poll(() => refreshed.length).toBe(1);
		const replay = replaying(sent, name, state)('w', 'k-alice');
		// Its attempt waits for the refresh's Web Lock (after the fix, before it is sent; before, after its 401).
		await expect.poll(async () => (await navigator.locks.query()).pending?.length).toBe(1);
		// Before: ['Bearer alice-old', 'replay Bearer alice-old'] (sent with the token being refreshed, and answered 401).
		expect(sent).toEqual(['Bearer alice-old']);
		finish();
		expect(await replay).toBe(201);
		expect(await first).toBe('alice');
		expect(sent.filter((each) => String(each).startsWith('replay'))).toEqual(['replay Bearer alice-new']);
	});

	it('the app signs bob in while alice\'s refresh runs there: bob\'s write waits, and is not sent with the token that refresh stored (AuthError: it stays queued)', async () => {
		const { state, sent, refreshed, finish, tab, outcome, name } = app();
		const one = tab();
		const first = outcome(one.get('a'));
		await expect.poll(() => refreshed.length).toBe(1);
		Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
		const replay = replaying(sent, name, state)('w', 'k-bob');
		// Its attempt waits for the refresh's Web Lock (after the fix, before it is sent; before, after its 401).
		await expect.poll(async () => (await navigator.locks.query()).pending?.length).toBe(1);
		expect(sent).toEqual(['Bearer alice-old']);
		finish();
		expect(await replay).toBe('AuthError');
		expect(await first).toMatch(/^(AuthError|ABORTED)$/);
		expect(sent).toEqual(['Bearer alice-old']);
	});
});

describe('in a Worker (a refresh per request: `withContext(ctx)`), the state shared across requests', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
	});

	it('bob\'s call in another request whose 401 came after alice\'s refresh ended is not sent again with the token it stored', async () => {
		vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' }); // No Web Locks, no tabs; a refresh is per request.
		const { state, sent, refreshed, finish, tab, hold, outcome } = app();
		const api = tab() as unknown as { withContext(ctx: { waitUntil(promise: Promise<unknown>): void }): ReturnType<typeof tab> };
		const first = outcome(api.withContext({ waitUntil: () => undefined }).get('a'));
		await expect.poll(() => refreshed.length).toBe(1);
		Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
		const answer = hold('/b');
		const second = outcome(api.withContext({ waitUntil: () => undefined }).get('b'));
		await expect.poll(() => sent.length).toBe(2);
		finish();
		expect(await first).toMatch(/^(AuthError|ABORTED)$/);
		answer();
		expect(await second).toBe('bob');
		// Before: ['Bearer alice-old', 'Bearer bob-old', 'Bearer alice-new'].
		expect(sent).toEqual(['Bearer alice-old', 'Bearer bob-old', 'Bearer bob-new']);
		expect(refreshed).toEqual(['alice', 'bob']);
	});
});

describe('across tabs: a Web Lock held by what is no refresh, and a refresh that fails', () => {
	it('the lock held by something that tells no word (a replay waiting for a refresh, a tab gone mid-refresh): the waiting tab then refreshes itself', async () => {
		const { sent, refreshed, finish, tab, outcome, name } = app();
		finish();
		const two = tab();
		let release!: () => void;
		const gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		let granted!: () => void;
		const taken = new Promise<void>((resolve) => {
			granted = resolve;
		});
		const holder = navigator.locks.request(`steadfetch:${name}/auth https://api.test/`, async () => {
			granted();
			await gate;
		});
		await taken;
		const call = outcome(two.get('b'));
		await expect.poll(async () => (await navigator.locks.query()).pending?.length).toBe(1);
		release();
		await holder;
		// Before (with the replay's wait of the previous commit): AuthError after its 401 with the same token, no refresh.
		expect(await call).toBe('alice');
		expect(refreshed).toEqual(['alice']);
		expect(sent).toEqual(['Bearer alice-old', 'Bearer alice-new']);
	});

	it('another tab\'s refresh that fails: the waiting tab runs none of its own (one refresh across tabs) and fails with AuthError', async () => {
		const { state, sent, refreshed, tab, outcome, name } = app();
		const two = tab();
		let release!: () => void;
		const gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		let failed = 0;
		const one = createClient({
			baseUrl: 'https://api.test/', name, retry: 0, breaker: false, staleCache: false,
			identity: () => state.who,
			fetch: async (request: Request) => {
				sent.push(request.headers.get('authorization'));
				return new Response('expired', { status: 401 });
			},
			auth: auth({ origins: ['https://api.test'], token: () => state.token, refresh: async () => {
				failed++;
				await gate;
				throw new Error('refresh token expired');
			} }),
		} as never);
		made.push(one);
		const first = outcome(one.get('a'));
		await expect.poll(() => failed).toBe(1);
		const second = outcome(two.get('b'));
		await expect.poll(async () => (await navigator.locks.query()).pending?.length).toBe(1);
		release();
		expect(await first).toBe('AuthError');
		expect(await second).toBe('AuthError');
		expect([failed, refreshed]).toEqual([1, []]);
		expect(sent).toEqual(['Bearer alice-old', 'Bearer alice-old', 'Bearer alice-old']);
	});
});
