/**
 * Defect hunt, eighteenth round (auth and identity), in real Chromium (Web Locks, BroadcastChannel: clients of one name
 * made apart in a page hear each other as tabs do). `auth.refresh` TSDoc: "A refresh serves only the session it started
 * in: … is never sent with the token the earlier one stored"; API.md "Work that outlives its caller": "never goes out
 * under the next user's token". Alice's refresh in one tab ended after bob signed in, storing `alice-new`: bob's calls
 * in the other tab that got no 401 were sent with it and answered as alice.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/index.js';
import { auth, AuthError } from '../../src/entries/auth.js';

/** Two tabs of one app whose token store (`state.token`) they share, as localStorage is; the first refresh held until `finish()`. */
const app = (identity: boolean) => {
	const name = `h18-auth-${Math.random().toString(36).slice(2)}`;
	const state: { who: string | undefined; session: string; token: string } = { who: 'alice', session: 'alice', token: 'alice-old' };
	const sent: Array<string | null> = [];
	const refreshed: string[] = [];
	let finish!: () => void;
	const first = new Promise<void>((resolve) => {
		finish = resolve;
	});
	const fetch = async (request: Request): Promise<Response> => {
		const token = request.headers.get('authorization');
		sent.push(token);
		return token?.endsWith('-new') ? Response.json({ as: token.slice(7, -4) }) : new Response('expired', { status: 401 });
	};
	const tab = () => createClient({
		name, baseUrl: 'https://api.test/', retry: 0, breaker: false, staleCache: false, fetch: fetch as typeof globalThis.fetch,
		...identity ? { identity: () => state.who } : {},
		auth: auth({ origins: ['https://api.test'], token: () => state.token, refresh: async () => {
			const session = state.session;
			refreshed.push(session);
			if (refreshed.length === 1) {
				await first;
			}

			state.token = `${session}-new`;
		} }),
	});
	const outcome = async (call: Promise<Response>): Promise<unknown> => call.then(async (response) => ((await response.json()) as { as: string }).as, (error: { code?: string }) => error instanceof AuthError ? 'AuthError' : error.code);
	return { state, sent, refreshed, finish, tab, outcome };
};

describe('bob\'s call that gets no 401, in a tab that heard alice\'s refresh end in another after she signed out (Chromium)', () => {
	for (const [label, identity] of [['alice signs out and bob signs in', true], ['the app clears (a logout without identity) and someone signs in', false]] as const) {
		it(`${label}: the call is refreshed for its own session first, never sent with her token`, async () => {
			const { state, sent, refreshed, finish, tab, outcome } = app(identity);
			const [one, two] = [tab(), tab()];
			const heard = new Promise<void>((resolve) => {
				two.on('auth:refresh', (event) => event.shared && resolve());
			});
			const first = outcome(one.get('a'));
			await expect.poll(() => refreshed.length).toBe(1);
			if (identity) {
				Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
			} else {
				await one.clear();
				Object.assign(state, { session: 'bob', token: 'bob-old' });
			}

			finish();
			expect(await first).toMatch(/^(AuthError|ABORTED)$/);
			await heard;
			expect(state.token).toBe('alice-new');
			// Before: ['Bearer alice-old', 'Bearer alice-new'], answered as alice; refreshed ['alice'].
			expect(await outcome(two.get('b'))).toBe('bob');
			expect(sent).toEqual(['Bearer alice-old', 'Bearer bob-new']);
			expect(refreshed).toEqual(['alice', 'bob']);
			one.close();
			two.close();
		});
	}
});
