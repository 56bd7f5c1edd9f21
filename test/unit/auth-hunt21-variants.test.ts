/**
 * The twenty-first round on auth and its neighbours (defect hunt): a `refresh()` that resolves leaving the token that
 * got the 401 in place, and the calls of that 401 wave; `token()` that throws or gives what is no token; a scheme with
 * bad characters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { auth } from '../../src/entries/auth.js';
import { createClient } from '../../src/entries/index.js';

const made: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of made.splice(0)) {
		client.close();
	}
});

/** The call's answer (`200 ok`), else its error as `name code message`. */
const outcome = async (call: Promise<Response>): Promise<string> => call.then(
	async (response) => `${response.status} ${await response.text()}`,
	(error: { name?: string; code?: string; message?: string }) => `${error?.name} ${error?.code} ${error?.message}`,
);

/**
 * A client of an API that answers 401 to every request, each held until `answer(path)` lets it go (`held` names those
 * waiting); `refresh()` resolves at once and leaves the token as it was ('same').
 */
const stuck = () => {
	const state = { refreshes: 0 };
	const sent: string[] = [];
	const held = new Map<string, () => void>();
	const api = createClient({
		baseUrl: 'https://api.test/', name: `auth21-${crypto.randomUUID()}`, retry: 0, breaker: false, staleCache: false,
		fetch: async (request: Request) => {
			const { pathname } = new URL(request.url);
			sent.push(`${pathname} ${request.headers.get('authorization')}`);
			await new Promise<void>((resolve) => held.set(pathname, resolve));
			held.delete(pathname);
			return new Response('expired', { status: 401 });
		},
		auth: auth({ token: () => 'same', refresh: async () => {
			state.refreshes++;
		} }),
	} as never);
	made.push(api);
	const answer = async (path: string): Promise<void> => {
		await expect.poll(() => held.has(path)).toBe(true);
		held.get(path)!();
	};
	return { api, state, sent, answer };
};

describe('a refresh() that leaves the token that got the 401 in place: one refresh per 401 wave', () => {
	it('two calls sent with the token: the second\'s 401, after the first\'s refresh ended, starts no refresh of its own', async () => {
		const { api, state, sent, answer } = stuck();
		const first = outcome(api.get('a'));
		const second = outcome(api.get('b'));
		await expect.poll(() => sent.length).toBe(2);
		await answer('/a');
		// The first call's refresh ran (the token stayed 'same'), and it was sent once more.
		await expect.poll(() => sent.length).toBe(3);
		await answer('/a');
		expect(await first).toBe('AuthError AUTH_FAILED https://api.test answered 401 again after the token refresh');
		// The second call's 401 comes now: it was sent before that refresh ended, with the token it left.
		await answer('/b');
		await expect.poll(() => sent.length).toBe(4);
		await answer('/b');
		expect(await second).toBe('AuthError AUTH_FAILED https://api.test answered 401 again after the token refresh');
		// Before: 2 (a refresh per call of the wave, each leaving the same token).
		expect(state.refreshes).toBe(1);
		expect(sent).toEqual(['/a Bearer same', '/b Bearer same', '/a Bearer same', '/b Bearer same']);
	});

	it('a call sent after that refresh ended is a new wave: its 401 gets one refresh, then its second 401 is final', async () => {
		const { api, state, sent, answer } = stuck();
		const first = outcome(api.get('a'));
		await answer('/a');
		await answer('/a');
		expect(await first).toBe('AuthError AUTH_FAILED https://api.test answered 401 again after the token refresh');
		const later = outcome(api.get('c'));
		await answer('/c');
		await expect.poll(() => sent.length).toBe(4);
		await answer('/c');
		expect(await later).toBe('AuthError AUTH_FAILED https://api.test answered 401 again after the token refresh');
		expect([state.refreshes, sent]).toEqual([2, ['/a Bearer same', '/a Bearer same', '/c Bearer same', '/c Bearer same']]);
	});
});
