/**
 * Two tabs of one app in a real page (test/browser's auth files): clients of one name made apart, which hear each other
 * as tabs do (Web Locks, BroadcastChannel).
 */
import { createClient } from '../../src/entries/index.js';
import { auth } from '../../src/entries/auth.js';
import { sessions } from '../helpers/auth-sessions.js';

/** Two tabs of one app whose token store (`state.token`) they share, as localStorage is; the first refresh held until `finish()`. */
export const app = (identity: boolean) => {
	const name = `auth-tabs-${Math.random().toString(36).slice(2)}`;
	const { state, sent, refreshed, finish, fetch, refresh, outcome } = sessions();
	const tab = () => createClient({
		name, baseUrl: 'https://api.test/', retry: 0, breaker: false, staleCache: false, fetch: fetch as typeof globalThis.fetch,
		...identity ? { identity: () => state.who } : {},
		auth: auth({ origins: ['https://api.test'], token: () => state.token, refresh }),
	});
	const pending = async (): Promise<number> => (await navigator.locks.query()).pending?.filter((each) => each.name?.startsWith(`steadfetch:${name}/auth`)).length ?? 0;
	return { name, state, sent, refreshed, finish, tab, outcome, pending };
};
