/**
 * Two tabs of one app in a real page (test/browser's auth files): clients of one name made apart, which hear each other
 * as tabs do (Web Locks, BroadcastChannel).
 */
import { createClient } from '../../src/entries/index.js';
import { auth, AuthError } from '../../src/entries/auth.js';

/** Two tabs of one app whose token store (`state.token`) they share, as localStorage is; the first refresh held until `finish()`. */
export const app = (identity: boolean) => {
	const name = `auth-tabs-${Math.random().toString(36).slice(2)}`;
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
