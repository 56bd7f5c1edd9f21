import { isHTTPError } from 'ky';
import { retryAfterOf, retryTiming } from '../utils/runtime.js';
import { wallNow } from '../utils/clock.js';
import { maxTimerMs } from '../utils/validate.js';

/**
 * The delay ky takes before a retry after `error` from its answer's headers, as ky reads it (the first
 * of `retryTiming` present, on a status of `afterStatusCodes`; a reset header's epoch seconds past
 * 2024; at least 0, a reset already past or a date gone being 0, at once; at most `maxRetryAfter`, and at most
 * 2^31 − 1 ms, as ky caps its wait: `maxSafeTimeout`);
 * `undefined` when it reads none (its own backoff, unknown until drawn), as for a field sent twice
 * (`5, 5`), which ky reads as malformed (the breaker and the rate limiter read it whole). Read by
 * the request context's deadline (src/core/invocation.ts) and the breaker (a retry it would refuse).
 */
export const serverDelay = (error: object | undefined): number | undefined => {
	if (!isHTTPError(error)) {
		return;
	}

	const { status, headers } = error.response;
	const { afterStatusCodes, maxRetryAfter } = error.options.retry;
	const name = afterStatusCodes.includes(status) && retryTiming.find((timing) => headers.has(timing));
	if (!name) {
		return;
	}

	// ky reads an HTTP-date or a reset's epoch seconds against the wall clock: so does its delay here.
	const now = wallNow();
	const after = retryAfterOf(headers.get(name), now);
	return after === undefined ? after : Math.min(maxRetryAfter, maxTimerMs, Math.max(0, name.endsWith('reset') && after >= 1_704_067_200_000 ? after - now : after));
};
