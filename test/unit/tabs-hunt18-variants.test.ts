/**
 * Words from other tabs, eighteenth round (area: work stays bound to who started it). API.md "Sensitive data": "Records
 * … received from another tab are validated before use"; each channel reader's TSDoc: "a newer build's word (an object
 * with a `v` …) is ignored quietly". Ignored, not only unreported: a word of another version may mean anything (a newer
 * build's), so none of it changes this tab's state — the auth refresh's (whose token a session may send) and the
 * throttle's counts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sessions } from '../helpers/auth-sessions.js';
import { auth } from '../../src/entries/auth.js';
import { createClient } from '../../src/entries/index.js';
import { adaptiveThrottle, ThrottledError } from '../../src/entries/throttle.js';
import { fakeWindow } from './outbox-helpers.js';

const made: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of made.splice(0)) {
		client.close();
	}
});

/**
 * Post `words` on the BroadcastChannel `name` as another tab would, then a marker no reader reads (reported as
 * `storage:error` by `api`'s `part`): once it is reported, every word before it was read (one sender's messages keep
 * their order).
 */
const tell = async (api: ReturnType<typeof createClient>, name: string, part: string, words: unknown[]): Promise<void> => {
	let reported = false;
	const off = api.on('storage:error', (event) => {
		reported ||= event.part === part;
	});
	const channel = new BroadcastChannel(name);
	try {
		for (const word of [...words, 'a marker']) {
			channel.postMessage(word);
		}

		await vi.waitFor(() => expect(reported).toBe(true), { timeout: 5000, interval: 5 });
	} finally {
		channel.close();
		off();
	}
};

describe('auth: another tab\'s word of another version (`v`) changes nothing here', () => {
	/** Alice's refresh ends after bob signed in and stores her token (`alice-new`): this tab knows it is not bob's. */
	const aliceLeft = async () => {
		const { state, sent, refreshed, finish, fetch, refresh, outcome } = sessions();
		const name = `tabs18-auth-${crypto.randomUUID()}`;
		const api = createClient({
			baseUrl: 'https://api.test/', name, retry: 0, breaker: false, staleCache: false, fetch, identity: () => state.who,
			auth: auth({ origins: ['https://api.test'], token: () => state.token, refresh }),
		} as never);
		made.push(api);
		const shared: string[] = [];
		api.on('auth:refresh', (event) => event.shared && shared.push('shared'));
		const first = outcome(api.get('a'));
		await expect.poll(() => refreshed.length).toBe(1);
		Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
		finish();
		expect(await first).toMatch(/^(AuthError|ABORTED)$/);
		expect(state.token).toBe('alice-new');
		return { api, channel: `steadfetch:${name}/auth https://api.test/`, sent, refreshed, outcome, shared };
	};

	for (const [label, word] of [
		['v: 2', { v: 2, identity: 'bob', current: true, ok: true }],
		['v: 1', { v: 1, identity: 'bob', current: true }],
		['v: null', { v: null, identity: 'bob', current: true, ok: true, by: 1 }],
	] as const) {
		it(`a word with ${label} that reads as "bob's refresh ended" is not taken: bob's call is still refreshed for him, never sent with alice's token`, async () => {
			const { api, channel, sent, refreshed, outcome, shared } = await aliceLeft();
			await tell(api, channel, 'auth', [word]);
			// Before: the word was taken as this build's (the token alice's refresh left forgotten, a shared auth:refresh
			// emitted): bob's call went with 'Bearer alice-new' and was answered as alice (sent ['Bearer alice-old',
			// 'Bearer alice-new']; refreshed ['alice']; shared ['shared']).
			expect(await outcome(api.get('b'))).toBe('bob');
			expect(sent).toEqual(['Bearer alice-old', 'Bearer bob-new']);
			expect(refreshed).toEqual(['alice', 'bob']);
			expect(shared).toEqual([]);
		});
	}

	it('this build\'s word (no `v`) is still taken: a refresh of bob\'s session in another tab serves this one', async () => {
		const { api, channel, sent, refreshed, outcome, shared } = await aliceLeft();
		await tell(api, channel, 'auth', [{ identity: 'bob', current: true, ok: true, by: 1 }]);
		expect(shared).toEqual(['shared']);
		// The other tab's refresh vouches for the token it left (here still alice's: the test's word is a fake one).
		expect(await outcome(api.get('b'))).toBe('alice');
		expect(sent).toEqual(['Bearer alice-old', 'Bearer alice-new']);
		expect(refreshed).toEqual(['alice']);
	});
});

describe('throttle: another tab\'s counts of another version (`v`) are not counted', () => {
	const throttled = async (words: unknown[]): Promise<unknown> => {
		const window = fakeWindow(); // tabs: the throttle's channel opens
		try {
			const name = `tabs18-throttle-${crypto.randomUUID()}`;
			const api = createClient({
				name, retry: 0, breaker: false, staleCache: false, random: () => 0.5,
				adaptiveThrottle: adaptiveThrottle({ minRequests: 20 }),
				fetch: (async () => new Response('ok')) as typeof fetch,
			});
			made.push(api);
			await api.get('https://api.test/first'); // the channel is open (made with the scope's first count)
			await tell(api, `steadfetch:${name}:throttle`, 'throttle', words);
			return await api.get('https://api.test/x').then((response) => response.status, (error: unknown) => error);
		} finally {
			window.restore();
		}
	};

	for (const v of [2, 1, 0, null, '1']) {
		it(`counts with v: ${JSON.stringify(v)} (a newer build's, another meaning) leave the scope's throttle as it was`, async () => {
			// Before: counted as this build's (100 000 requests, no accepts: p = 0.9 > the draw 0.5): a ThrottledError, no I/O.
			expect(await throttled([{ v, scope: 'https://api.test', requests: 100_000, accepts: 0 }])).toBe(200);
		});
	}

	it('this build\'s counts (no `v`) still count: the scope is throttled', async () => {
		expect(await throttled([{ scope: 'https://api.test', requests: 100_000, accepts: 0 }])).toBeInstanceOf(ThrottledError);
	});
});
