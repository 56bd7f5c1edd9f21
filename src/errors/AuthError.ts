import { SteadfetchError } from './SteadfetchError.js';

/**
 * Authentication failed for good: the token refresh failed (its error is the `cause`), or the
 * origin answered 401 again right after a refresh. Not transient: the user must sign in again.
 */
export class AuthError extends SteadfetchError {
	override name = 'AuthError' as const;
	/** The scope (the origin by default). */
	readonly scope: string;
	/** The response of the 401 that ended the call, when there was one after the refresh. */
	readonly response: Response | undefined;

	constructor(message: string, scope: string, options: { cause?: unknown; response?: Response } = {}) {
		super(message, 'AUTH_FAILED', false, { cause: options.cause });
		this.scope = scope;
		this.response = options.response;
	}
}
