/**
 * Defect hunt, eighteenth round (auth and identity), in real Chromium (Web Locks, BroadcastChannel: clients of one name
 * made apart in a page hear each other as tabs do). `auth.refresh` TSDoc: "A refresh serves only the session it started
 * in: … is never sent with the token the earlier one stored"; API.md "Work that outlives its caller": "never goes out
 * under the next user's token". Alice's refresh in one tab ended after bob signed in, storing `alice-new`: bob's calls
 * in the other tab that got no 401 were sent with it and answered as alice.
 */
import { describe, expect, it } from 'vitest';
import { app } from './auth-tabs-app.js';

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
