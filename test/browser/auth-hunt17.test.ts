/**
 * Defect hunt, seventeenth round (auth and identity), in real Chromium (Web Locks, BroadcastChannel: clients of one name
 * made apart in a page hear each other as tabs do). `auth.refresh` TSDoc: "A refresh serves only the session it started
 * in: a call made after an identity change or a `clear()` … is never sent with the token the earlier one stored". Bob's
 * 401 in one tab waited for alice's refresh running under the Web Lock in another, then was sent with `alice-new`.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/index.js';
import { auth, AuthError } from '../../src/entries/auth.js';
import { noteHeard } from '../helpers/other-tabs.js';

/** Two tabs of one app whose token store (`state.token`) they share, as localStorage is; the first refresh held until `finish()`. */
const app = (identity: boolean) => {
	const name = `h17-auth-${Math.random().toString(36).slice(2)}`;
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
	const pending = async (): Promise<number> => (await navigator.locks.query()).pending?.filter((each) => each.name?.startsWith(`steadfetch:${name}/auth`)).length ?? 0;
	return { name, state, sent, refreshed, finish, tab, outcome, pending };
};

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
