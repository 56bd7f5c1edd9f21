import { SteadfetchError } from './SteadfetchError.js';

/**
 * The scope's rate limiter (its own token bucket, or the server's `RateLimit`/`Retry-After`) would
 * make the call wait longer than its time budget. No I/O happened.
 */
export class RateLimitedError extends SteadfetchError {
	override name = 'RateLimitedError' as const;
	/** The scope (the origin by default). */
	declare readonly scope: string;
	/**
	 * Milliseconds until the scope's budget allows a request; behind the first call after a server's block with no limit
	 * said, until that call's answer at the latest (its lead: what was left of its own time budget).
	 */
	declare readonly retryAfterMs: number;

	constructor(scope: string, retryAfterMs: number) {
		super(`Rate limited for ${scope}; retry in ${Math.ceil(retryAfterMs)} ms`, 'RATE_LIMITED', true);
		this.scope = scope;
		this.retryAfterMs = retryAfterMs;
	}
}
