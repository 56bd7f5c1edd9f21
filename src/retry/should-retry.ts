import { isHTTPError, isNetworkError, isTimeoutError, type RetryOptions } from 'ky';
import type { RetryBudget, RetryDecision } from './budget.js';

/** ky's retried methods plus POST and PATCH (for POST and PATCH calls), which `shouldRetry` admits only with an Idempotency-Key. */
export const unsafeRetryMethods = ['get', 'put', 'head', 'delete', 'options', 'trace', 'query', 'post', 'patch'];

type ShouldRetry = NonNullable<RetryOptions['shouldRetry']>;

interface ShouldRetryOptions {
	budget: RetryBudget | undefined;
	scopeOf: (url: string) => string;
	onRefused: (scope: string, decision: RetryDecision) => void;
}

/** Whether ky's default rules would retry this error (its method check aside). */
const retriableByDefault = (error: Error): boolean => {
	if (isTimeoutError(error) || isNetworkError(error)) {
		return true;
	}

	if (isHTTPError(error)) {
		const { status } = error.response;
		return [408, 429, 500, 502, 503, 504].includes(status)
			|| (status === 413 && error.response.headers.has('retry-after'));
	}

	return false;
};

/**
 * Build the `shouldRetry` ky calls before each retry, once per client. It keeps ky's rules (it
 * returns `undefined` to let ky decide, so Retry-After and RateLimit headers still set the delay),
 * refuses POST and PATCH without an Idempotency-Key, and spends the retry budget of the scope: a
 * refused retry ends the call with the last attempt's error.
 */
export const createShouldRetry = ({ budget, scopeOf, onRefused }: ShouldRetryOptions) => (user: RetryOptions['shouldRetry']): ShouldRetry =>
	async (state) => {
		const verdict = user ? await user(state) : undefined;
		if (verdict === false) {
			return false;
		}

		const { request } = state.error as { request?: Request };
		if (!(request instanceof Request)) {
			// Not one of ky's errors (our own CircuitOpenError, an abort, a bug): ky's rules refuse it.
			return verdict;
		}

		const method = request.method;
		if ((method === 'POST' || method === 'PATCH') && !request.headers.has('idempotency-key')) {
			return false;
		}

		if (budget && (verdict === true || retriableByDefault(state.error))) {
			const scope = scopeOf(request.url);
			const decision = budget.tryRetry(scope);
			if (!decision.allowed) {
				onRefused(scope, decision);
				return false;
			}
		}

		return verdict;
	};
