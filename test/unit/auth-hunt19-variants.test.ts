/**
 * The nineteenth round on auth (work stays bound to who started it). `auth.refresh` TSDoc: "A refresh serves only the
 * session it started in: … is never sent with the token the earlier one stored"; API.md "Work that outlives its
 * caller": "never goes out under the next user's token". Round 18 covered a refresh that ended (resolved) after its
 * session did; these are the ones that fail: a refresh that stores its token and then throws, or that runs on past
 * `refreshTimeoutMs` and stores it later. Its token is alice's all the same: bob's call never sends it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { auth } from '../../src/entries/auth.js';
import { createClient } from '../../src/entries/index.js';
import { withoutLocks } from './outbox-helpers.js';

const made: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of made.splice(0)) {
		client.close();
	}
});

const runtimes = [['with Web Locks', async (test: () => Promise<void>) => test()], ['without Web Locks', withoutLocks]] as const;

/**
 * An app whose stored token (`state.token`, shared by its tabs as localStorage is) is that of the session signed in.
 * Its first `refresh()` waits for `release()`, stores `<session>-new` for the session it started in, then throws when
 * `how` is 'throws' (it stored the token, then fetching the profile failed); its later ones store at once. With
 * 'times out', `refreshTimeoutMs` is 50: the first refresh is still running when it passes. The API answers 200 only to
 * a refreshed token, as its session; else 401.
 */
const app = (how: 'throws' | 'times out') => {
	const state: { who: string | undefined; session: string; token: string } = { who: 'alice', session: 'alice', token: 'alice-old' };
	const sent: Array<string | null> = [];
	const refreshed: string[] = [];
	let release!: () => void;
	const gate = new Promise<void>((resolve) => {
		release = resolve;
	});
	/** The first refresh, settled (its rejection caught). */
	let first: Promise<unknown> = Promise.resolve();
	const refresh = async (): Promise<void> => {
		const session = state.session;
		refreshed.push(session);
		if (refreshed.length > 1) {
			state.token = `${session}-new`;
			return;
		}

		const running = (async () => {
			await gate;
			state.token = `${session}-new`;
			if (how === 'throws') {
				throw new Error('the profile could not be read');
			}
		})();
		first = running.catch(() => undefined);
		return running;
	};

	const name = `auth19-${crypto.randomUUID()}`;
	const fetch = async (request: Request): Promise<Response> => {
		const token = request.headers.get('authorization');
		sent.push(token);
		return token?.endsWith('-new') ? Response.json({ as: token.slice(7, -4) }) : new Response('expired', { status: 401 });
	};

	/** A client ("a tab") of the app: each its own `auth()`, one `name`. */
	const tab = (identity = true) => {
		const api = createClient({
			baseUrl: 'https://api.test/', name, retry: 0, breaker: false, staleCache: false, fetch,
			...identity ? { identity: () => state.who } : {},
			auth: auth({ origins: ['https://api.test'], token: () => state.token, refresh, refreshTimeoutMs: how === 'times out' ? 50 : 10_000 }),
		} as never);
		made.push(api);
		return api;
	};

	/** Who answered the call (the session of the token it was last sent with), or its error's code (`AuthError` by name). */
	const outcome = async (call: Promise<Response>): Promise<unknown> => call.then(async (response) => ((await response.json()) as { as: string }).as, (error: { code?: string; name?: string }) => error?.name === 'AuthError' ? 'AuthError' : error.code);

	/**
	 * Alice's call gets a 401 and her refresh runs; `signOut()` ends her session (after the refresh gave up, for 'times
	 * out'); then the refresh stores her token and settles, as a failure.
	 */
	const failedRefresh = async (api: ReturnType<typeof tab>, signOut: () => Promise<void> | void): Promise<void> => {
		const call = outcome(api.get('a'));
		await expect.poll(() => refreshed.length).toBe(1);
		if (how === 'times out') {
			expect(await call).toBe('AuthError');
		}

		await signOut();
		release();
		await first;
		expect(await call).toMatch(/^(AuthError|ABORTED)$/);
		expect(state.token).toBe('alice-new');
	};

	return { state, sent, refreshed, tab, outcome, failedRefresh, name, first: () => first, release };
};

describe('a refresh that fails after its session ended, having stored its token', () => {
	for (const how of ['throws', 'times out'] as const) {
		for (const [runtime, around] of runtimes) {
			it(`${runtime}, it ${how}: bob's next call is not sent with alice's token, it is refreshed for bob first`, async () => around(async () => {
				const { state, sent, refreshed, tab, outcome, failedRefresh } = app(how);
				const api = tab();
				await failedRefresh(api, () => {
					Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
				});
				// Before: sent ['Bearer alice-old', 'Bearer alice-new'], bob's call answered as alice; refreshed ['alice'].
				expect(await outcome(api.get('b'))).toBe('bob');
				expect(sent).toEqual(['Bearer alice-old', 'Bearer bob-new']);
				expect(refreshed).toEqual(['alice', 'bob']);
				// Bob's own refresh vouches for the token it left: no other refresh.
				expect(await outcome(api.get('c'))).toBe('bob');
				expect(refreshed).toEqual(['alice', 'bob']);
			}));
		}

		it(`it ${how}, after a clear() (a logout without identity): the next session's call is refreshed for it first`, async () => {
			const { state, sent, refreshed, tab, outcome, failedRefresh } = app(how);
			const api = tab(false);
			await failedRefresh(api, async () => {
				await api.clear();
				Object.assign(state, { session: 'next', token: 'next-old' });
			});
			// Before: ['Bearer alice-old', 'Bearer alice-new'], answered as alice.
			expect(await outcome(api.get('b'))).toBe('next');
			expect(sent).toEqual(['Bearer alice-old', 'Bearer next-new']);
			expect(refreshed).toEqual(['alice', 'next']);
		});

		it(`it ${how} while alice is still signed in: her next call sends the token it stored, no other refresh (as before)`, async () => {
			const { state, sent, refreshed, tab, outcome, release, first } = app(how);
			const api = tab();
			const call = outcome(api.get('a'));
			await expect.poll(() => refreshed.length).toBe(1);
			if (how === 'times out') {
				expect(await call).toBe('AuthError');
			}

			release();
			await first();
			expect(await call).toBe('AuthError');
			expect(state.token).toBe('alice-new');
			expect(await outcome(api.get('b'))).toBe('alice');
			expect(sent).toEqual(['Bearer alice-old', 'Bearer alice-new']);
			expect(refreshed).toEqual(['alice']);
		});

		it(`it ${how}, in another tab: bob's call in a tab that heard so is refreshed for bob first`, async () => {
			const { state, sent, refreshed, tab, outcome, failedRefresh, name } = app(how);
			const [one, two] = [tab(), tab()];
			// The word the other tab hears: its failure's second word, once it settled after alice's session ended.
			const channel = new BroadcastChannel(`steadfetch:${name}/auth https://api.test/`);
			const words: unknown[] = [];
			channel.onmessage = (event: MessageEvent) => words.push(event.data);
			await failedRefresh(one, () => {
				Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
			});
			await expect.poll(() => words).toContainEqual(expect.objectContaining({ identity: 'alice', current: false, ok: false }));
			channel.close();
			// Before: ['Bearer alice-old', 'Bearer alice-new'], answered as alice.
			expect(await outcome(two.get('b'))).toBe('bob');
			expect(sent).toEqual(['Bearer alice-old', 'Bearer bob-new']);
			expect(refreshed).toEqual(['alice', 'bob']);
		});
	}
});
