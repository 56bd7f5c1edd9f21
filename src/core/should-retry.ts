import { isHTTPError, isNetworkError, isTimeoutError, type RetryOptions } from 'ky';
import { Answered, type Call } from './call.js';
import { retryTiming } from '../utils/runtime.js';

/** ky's retried methods plus POST and PATCH (for POST and PATCH calls), which `shouldRetry` admits only with an Idempotency-Key. */
export const unsafeRetryMethods = ['get', 'put', 'head', 'delete', 'options', 'trace', 'query', 'post', 'patch'];

type ShouldRetry = NonNullable<RetryOptions['shouldRetry']>;

/**
 * Whether ky retries `error` when `shouldRetry` leaves the decision to it (ky calls `shouldRetry`
 * only once its method and limit checks passed): an HTTP error by the statuses of ky's normalized
 * retry options that the error carries, a timeout by the call's `retryOnTimeout`, a network error always.
 */
const kyRetries = (error: Error, onTimeout: boolean): boolean => {
	if (isHTTPError(error)) {
		const { status, headers } = error.response;
		const { statusCodes, afterStatusCodes } = error.options.retry;
		return statusCodes.includes(status) && (status !== 413 || (afterStatusCodes.includes(413) && retryTiming.some((name) => headers.has(name))));
	}

	return isTimeoutError(error) ? onTimeout : isNetworkError(error);
};

/**
 * The `shouldRetry` ky calls before each retry: an error that says it is not `retriable` (a policy's
 * refusal: the adaptive throttle's) never is; then the user's (`false` ends it), then POST and
 * PATCH without an Idempotency-Key are refused, and a retry ky is going to make (the user said
 * `true`, or ky's own rules say so) asks the breaker, the scope's retry budget and the request context — `ask`
 * returns false when it is spent (or the retry, after the delay ky reads from the answer's headers
 * when `timed`, would pass the deadline or find the scope's breaker still open), which ends the call with the last attempt's error before any delay (nothing is spent here:
 * the retry pays when it goes out). It returns the user's verdict otherwise, so ky's rules,
 * Retry-After and RateLimit headers still decide the delay.
 */
export const shouldRetry = (user: ShouldRetry | undefined, onTimeout: boolean, ask: (error: Error, request: Request, timed: boolean) => boolean, callOf: (error: Error) => Call | undefined): ShouldRetry =>
	async (state) => {
		const { error } = state;
		// A layer answered the attempt without I/O: never retried, whoever asks.
		if ((error as { value?: unknown }).value instanceof Answered) {
			return false;
		}

		// ky's error behind a status, noted on its call for the layer that sends (or refuses) the retry.
		const call = isHTTPError(error) && callOf(error);
		if (call) {
			// Its run's (ky hands its options, the run's mark among them, to the error): two runs at once each keep their own.
			call.failed(error, (error.options as { steadfetchRun?: object }).steadfetchRun);
		}

		if ((error as { retriable?: unknown }).retriable === false || (error as { response?: Response }).response?.headers?.get?.('steadfetch-retriable') === 'false') {
			// A policy refused the attempt and said so on its error (adaptiveThrottle()'s), or a service worker's client did on
			// its answer (`Steadfetch-Retriable: false`, steadfetch/sw): never retried, whatever the user says.
			return false;
		}

		const verdict = user ? await user(state) : undefined;
		const { request } = error as { request?: unknown };
		if (verdict === false || !(request instanceof Request)) {
			// Not one of ky's errors (our own CircuitOpenError, an abort, a bug): the user's verdict, or ky's rules.
			return verdict;
		}

		const { method } = request;
		if ((method === 'POST' || method === 'PATCH') && !request.headers.has('idempotency-key')) {
			return false;
		}

		// ky reads the delay from the answer's headers only when the user did not say `true` (`timed`).
		return (verdict === true || kyRetries(error, onTimeout)) && !ask(error, request, verdict !== true) ? false : verdict;
	};
