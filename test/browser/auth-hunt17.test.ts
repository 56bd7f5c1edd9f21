/**
 * Defect hunt, seventeenth round (auth and identity), in real Chromium (Web Locks, BroadcastChannel: clients of one name
 * made apart in a page hear each other as tabs do). `auth.refresh` TSDoc: "A refresh serves only the session it started
 * in: a call made after an identity change or a `clear()` … is never sent with the token the earlier one stored". Bob's
 * 401 in one tab waited for alice's refresh running under the Web Lock in another, then was sent with `alice-new`.
 */
import { describe, expect, it } from 'vitest';
import { app } from './auth-tabs-app.js';
import { noteHeard } from '../helpers/other-tabs.js';

describe('bob\'s 401 in one tab while alice\'s refresh runs in another (Chromium)', () => {
	it('alice signs out and bob signs in: the tab that waited for her refresh refreshes for bob, never sends her token', async () => {
		const { state, sent, refreshed, finish, tab, outcome, pending } = app(true);
		const [one, two] = [tab(), tab()];
		const first = outcome(one.get('a'));
		await expect.poll(() => refreshed.length).toBe(1);
		Object.assign(state, { who: 'bob', session: 'bob', token: 'bob-old' });
		const second = outcome(two.get('b'));
		await expect.poll(pending).toBe(1);
		finish();
		expect(await first).toMatch(/^(AuthError|ABORTED)$/);
		expect(await second).toBe('bob');
		// Before: ['Bearer alice-old', 'Bearer bob-old', 'Bearer alice-new'], bob's call answered as alice; refreshed ['alice'].
		expect(sent).toEqual(['Bearer alice-old', 'Bearer bob-old', 'Bearer bob-new']);
		expect(refreshed).toEqual(['alice', 'bob']);
		one.close();
		two.close();
	});

	it('the app clears (a logout without identity) in the other tab and someone signs in: the same', async () => {
		const { name, state, sent, refreshed, finish, tab, outcome, pending } = app(false);
		const [one, two] = [tab(), tab()];
		const first = outcome(one.get('a'));
		await expect.poll(() => refreshed.length).toBe(1);
		const heard = noteHeard(name);
		await two.clear();
		await heard;
		Object.assign(state, { session: 'next', token: 'next-old' });
		const second = outcome(two.get('b'));
		await expect.poll(pending).toBe(1);
		finish();
		expect(await first).toMatch(/^(AuthError|ABORTED)$/);
		expect(await second).toBe('next');
		// Before: ['Bearer alice-old', 'Bearer next-old', 'Bearer alice-new'].
		expect(sent).toEqual(['Bearer alice-old', 'Bearer next-old', 'Bearer next-new']);
		expect(refreshed).toEqual(['alice', 'next']);
		one.close();
		two.close();
	});

	it('the same session in both tabs: one refresh across tabs, the waiting tab sent with its token', async () => {
		const { sent, refreshed, finish, tab, outcome, pending } = app(true);
		const [one, two] = [tab(), tab()];
		const first = outcome(one.get('a'));
		await expect.poll(() => refreshed.length).toBe(1);
		const second = outcome(two.get('b'));
		await expect.poll(pending).toBe(1);
		finish();
		expect(await Promise.all([first, second])).toEqual(['alice', 'alice']);
		expect(refreshed).toEqual(['alice']);
		expect(sent).toEqual(['Bearer alice-old', 'Bearer alice-old', 'Bearer alice-new', 'Bearer alice-new']);
		one.close();
		two.close();
	});
});
