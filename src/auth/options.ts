import { check } from '../core/validate.js';

/** Options of `auth()` (`steadfetch/auth`). */
export interface AuthOptions {
	/**
	 * The current token, read before every attempt (sync or async); `undefined` or `null` sends no
	 * `Authorization`. The library never stores it. Keep it where every tab reads the same value
	 * (`localStorage`, a cookie, IndexedDB) so that one tab's refresh serves them all.
	 */
	token: () => string | undefined | null | Promise<string | undefined | null>;
	/**
	 * Get a new token and keep it where `token()` reads it. Called on a 401, once at a time for the
	 * whole client and across the tabs of the origin. A refresh that throws fails the waiting calls
	 * with `AuthError`.
	 */
	refresh: () => unknown;
	/**
	 * The `Authorization` scheme.
	 * @default 'Bearer'
	 */
	scheme?: string;
}

/** The options checked (a `RangeError` naming the option and the value), with the scheme's default. */
export const checkAuthOptions = (options: AuthOptions): Required<AuthOptions> => {
	const { token, refresh, scheme = 'Bearer' } = options ?? ({} as AuthOptions);
	check(typeof token === 'function', 'auth.token', token, 'a function returning the current token');
	check(typeof refresh === 'function', 'auth.refresh', refresh, 'a function that gets a new token');
	check(typeof scheme === 'string' && /^[!#$%&'*+.^_`|~\w-]+$/.test(scheme), 'auth.scheme', scheme, 'an HTTP auth scheme, such as Bearer');
	return { token, refresh, scheme };
};
