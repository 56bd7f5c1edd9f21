import { SteadfetchError } from './SteadfetchError.js';

/**
 * Authentication failed for good: the token refresh failed or did not finish in time (its error is
 * the `cause`), the origin answered 401 again right after a refresh, or it answered 401 to the
 * refresh's own request (a call made while `refresh()` ran, before its first await); or it answered 401 to a client
 * whose `auth()` has no origin to send the token to (no `origins`, `prefix`/`baseUrl` nor `location`): the message
 * names `auth.origins`. Not transient: the user must sign in again (or the app give `origins`).
 */
export class AuthError extends SteadfetchError {
	override name = 'AuthError' as const;
	/** The scope (the origin by default). */
	declare readonly scope: string;
	/** The 401 that ended the call (its body cancelled), when there was one. */
	declare readonly response: Response | undefined;

	constructor(message: string, scope: string, options: { cause?: unknown; response?: Response } = {}) {
		super(message, 'AUTH_FAILED', false, { cause: options.cause });
		this.scope = scope;
		this.response = options.response;
	}
}
