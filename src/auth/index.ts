import { authAt } from '../bands/bands.js';
import type { Policy, PolicyCall } from '../core/policy.js';
import { Auth } from './auth.js';
import { checkAuthOptions, type AuthOptions } from './options.js';
import type { AuthRefreshEvent } from './events.js';

/** What importing this policy adds to the client's types (`client.on`, a call's options): its events and its per-call option `auth`. */
declare module 'steadfetch/core' {
	interface PolicyHooks {
		/**
		 * Set by `auth`: whether the token it put on the call's current attempt may go to `url` (true when
		 * it put none). `failover` asks it for a mirror: a request re-targeted below auth's layer is
		 * checked again for the URL it really goes to.
		 */
		tokenGoesTo?(call: PolicyCall, url: string): boolean;
	}

	/** The `auth` slot of `createClient`. */
	interface Slots {
		auth: Policy<'auth'>;
	}

	interface EventMap {
		'auth:refresh': AuthRefreshEvent;
	}

	interface CallOptions {
		/**
		 * `false`: `auth()` leaves this call alone — no token, no wait for a refresh in flight, and its
		 * 401 triggers no refresh. Meant for the refresh's own request (`api.post('auth/refresh', { auth: false })`).
		 * Ignored when the client has no `auth`.
		 * @default undefined (the call is `auth()`'s when its URL is one of `auth.origins`)
		 */
		auth?: false;
	}
}

export type { AuthOptions } from './options.js';

/**
 * Bearer tokens with one refresh at a time, for the `auth` slot: `token()` is read before every
 * attempt (retries and outbox replays included) and sent as `Authorization: <scheme> <token>` — only
 * to the `origins` (by default the origin of the client's `prefix`/`baseUrl` and the page's own;
 * none where there is neither: then a 401 rejects with an `AuthError` naming `auth.origins`); a request to another origin, or a call with `auth: false`, gets no
 * token and its 401 refreshes nothing, nor does a 401 that came from another origin through a
 * redirect (judged by `response.url`). On a 401, one `refresh()` runs for the whole client and
 * across the tabs of the origin (a Web Lock; the other tabs hear that it finished and read `token()`
 * again — no token crosses tabs): the client's `name` and its `origins` identify that refresh, so the
 * same client in several tabs shares one, and two clients of one page for two APIs (each its own
 * token and `refresh`) never wait for each other (with `origins: '*'`, give them different names); every call that gets a 401 meanwhile waits for it (within its own
 * time budget and signal) and is sent once more with the new token; an outbox replay that starts
 * while it runs (in this tab or another) waits for it too, and is not sent at all when it was queued for another identity
 * than the one the refresh left signed in (`AuthError`; it stays queued). With the client's `identity`, a
 * call made for someone who signed out before its token was read (an async `token()`) is not sent with the
 * next user's token (without `identity`: a call made before a `clear()`): it rejects (`ABORTED`) with no I/O; a 401 answered to a call made before a sign-out (an
 * identity change, or a `clear()`) starts no refresh for that ended session (`AuthError`). A second 401, a refresh
 * that throws or takes longer than `refreshTimeoutMs`, and a 401 to the refresh's own request (a
 * call made while `refresh()` runs, before its first `await`, without `auth: false`) reject with
 * `AuthError`. Where Web Locks are missing, the single flight is per client. In a Cloudflare Worker
 * (a promise of one request never settles in another) it is per request: shared by the calls made
 * through one `client.withContext(ctx)`; a call without one refreshes in its own request, unless the
 * token already changed. A `failover`
 * mirror gets the token only when it is one of `origins` too. Bad options throw a `RangeError`
 * naming the option and the value.
 *
 * @example
 * const api = createClient({
 *   prefix: 'https://api.example.com/v1/',
 *   auth: auth({
 *     token: () => localStorage.getItem('token'),
 *     // The refresh's own request: `auth: false` (no token, no wait, its 401 refreshes nothing).
 *     refresh: async () => {
 *       const { token } = await api.post('auth/refresh', { auth: false }).json<{ token: string }>();
 *       localStorage.setItem('token', token);
 *     },
 *   }),
 * });
 */
export const auth = (options: AuthOptions): Policy<'auth'> => {
	const settings = checkAuthOptions(options);
	return { slot: 'auth', at: authAt, create: (context) => new Auth(context, settings) };
};
