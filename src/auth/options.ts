import { check, optionsOf, isPositiveTimerMs, isToken, positiveTimerMs } from '../utils/validate.js';
import { checkOrigins } from '../utils/origins.js';
import type { World } from '../core/world.js';

/** Options of `auth()` (`steadfetch/auth`). */
export interface AuthOptions {
	/**
	 * The current token, read before every attempt (sync or async); `undefined` or `null` sends no
	 * `Authorization`. One that throws, or gives what is no token (not a string, an empty or blank one, one with blanks or a line break at its ends, or one a
	 * header cannot carry), fails the call with `AuthError` before any I/O. An async one is part of the attempt: the caller's abort
	 * rejects the call with its reason at once, the attempt's `timeout` and the client's `close()` end it too, and
	 * nothing is sent when it answers later. The library never stores it. Keep it where every tab reads the same value
	 * (`localStorage`, a cookie, IndexedDB) so that one tab's refresh serves them all.
	 */
	token: () => string | undefined | null | Promise<string | undefined | null>;
	/**
	 * Get a new token and keep it where `token()` reads it. Called on a 401, once at a time for the
	 * whole client (its `extend()`s and every client given this `auth()` included) and across the tabs of the origin (the clients of the same `name` and `origins`:
	 * the same client in each tab; a client for another API refreshes on its own). Every call that gets a 401 while it runs waits
	 * for it (within the call's own time budget and signal; the client's `close()` refuses it with a
	 * `SteadfetchError`, `CLIENT_CLOSED`) and is sent again with the new token. A refresh serves only the session it
	 * started in: a call made after an identity change or a `clear()` (the client's `identity`), or of another identity (a
	 * server's request through an `extend({ identity })` child bound to its user), that gets a 401 while a
	 * refresh started before it runs (here or in another tab) waits for that one to end, then starts its own (unless the
	 * token changed since it ended: another tab's refresh for its session), and is never sent with the token the earlier
	 * one stored (also one that threw, or stored it past `refreshTimeoutMs`), also when its 401 comes after that one
	 * ended, or when it gets no 401: a call of another identity
	 * (without `identity`, of any session after the `clear()`) that reads from `token()` the token such a refresh left
	 * (in this client, or in a tab that heard of it) waits for a refresh of its own session first, as after a 401
	 * (an `AuthError` when that fails); an outbox replay that
	 * waited for such a refresh is not sent (`AuthError`; it stays queued). A
	 * refresh that throws, or that has not settled within `refreshTimeoutMs`, fails the waiting calls
	 * with `AuthError` (its error the `cause`), and so every call sent with the same token before it failed whose 401
	 * comes later: one refresh per 401 wave, none of its own (unless `token()` gives another token by then: that is sent);
	 * a call sent after it failed is a new wave. When it asks the API through the same client, give that call `auth: false`
	 * (no token, no wait). Without it, a call made while `refresh()` runs, before its first `await`
	 * (`() => api.post('auth/refresh')`, or `async () => { await api.post(…) … }`), is the refresh's
	 * own request: its 401 fails the refresh at once with `AuthError`, never a deadlock. A call made
	 * after an `await` cannot be told apart: its 401 waits for the refresh it belongs to, until
	 * `refreshTimeoutMs`.
	 */
	refresh: () => unknown;
	/**
	 * The `Authorization` scheme.
	 * @default 'Bearer'
	 */
	scheme?: string;
	/**
	 * The origins the token is sent to (`['https://api.example.com']`: scheme, host and port only;
	 * a RangeError at creation for anything else), or `'*'` for every origin. A request to any
	 * other origin (a third-party URL, a `failover` mirror not listed) carries no token from `auth`,
	 * and its 401 triggers no refresh (a mirror's 401 never does: failover tries the next one); a 401
	 * is judged by the URL that answered it (`response.url`, after redirects), so a first-party URL
	 * redirected to a third party that answers 401 refreshes nothing either. With the client's
	 * `name`, they also name the refresh shared across tabs (its Web Lock and channel). Where there is neither a `prefix`/`baseUrl` nor a `location`
	 * (Node, Deno, Workers calling absolute URLs), the default is empty: no token goes anywhere until
	 * `origins` names where it may go, and a 401 such a client gets (to a call without `auth: false`, thrown: not
	 * with `throwHttpErrors: false`) rejects with `AuthError` saying so, its 401 the `response`, with no refresh. (`origins: []` given: no token anywhere, and a 401 is the origin's own.)
	 * @default the origin of the client's `prefix`/`baseUrl` when one is set, plus `location.origin` where there is one (pages, workers)
	 */
	origins?: '*' | readonly string[];
	/**
	 * The longest a `refresh()` may take, in ms: past it, the refresh fails (its Web Lock is given
	 * back) and the calls waiting for it get `AuthError`. Each waiting call is also bounded by its
	 * own time budget (`totalTimeout`, else `timeout` and no more than the default 20 000 ms `totalTimeout`,
	 * less what it took so far) and ended by its
	 * own signal. A positive number under 2^31 (timers overflow beyond).
	 * @default 10_000
	 */
	refreshTimeoutMs?: number;
}

/**
 * A refresh in flight and the world of the call that started it (`Auth`'s `#slot`): the client's, or a Worker request's;
 * `signedIn`: whether the last one's session was still signed in as it ended, read where it ran.
 */
export type Flight = { flight?: Promise<void> | undefined; world?: World | undefined; signedIn?: boolean };

/** The options checked (a `RangeError` naming the option and the value), with their defaults; `origins` normalised. */
export const checkAuthOptions = (options: AuthOptions) => {
	const { token, refresh, scheme = 'Bearer', origins, refreshTimeoutMs = 10_000 } = optionsOf(options, 'auth');
	check(typeof token === 'function', 'auth.token', token, 'a function');
	check(typeof refresh === 'function', 'auth.refresh', refresh, 'a function');
	check(isToken(scheme), 'auth.scheme', scheme, 'an HTTP auth scheme');
	check(isPositiveTimerMs(refreshTimeoutMs), 'auth.refreshTimeoutMs', refreshTimeoutMs, positiveTimerMs);
	// With the refresh's state (auth.ts `Auth`): every client given this `auth()`, a client and its `extend()`s, shares it.
	return { token, refresh, scheme, refreshTimeoutMs, origins: checkOrigins('auth.origins', origins), calling: false, by: Math.random(), generation: 0, staleAt: -1, failedAt: -1, failure: undefined as unknown, failedBy: undefined as string | undefined, heardAt: -1, left: undefined as string | undefined, leftBy: undefined as string | undefined, flight: undefined as Promise<void> | undefined, world: undefined as World | undefined, flights: new WeakMap<object, Flight>() };
};

/** `AuthOptions` checked, with their defaults. */
export type AuthSettings = ReturnType<typeof checkAuthOptions>;
