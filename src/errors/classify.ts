import { isHTTPError, isNetworkError, isTimeoutError } from 'ky';
import { isSteadfetchError, type SteadfetchErrorCode } from './SteadfetchError.js';

/** What `classify()` returns. */
export interface Classification {
	/** `TIMEOUT`, `NETWORK`, `HTTP_429`, `HTTP_5XX`, `HTTP_4XX`, `ABORTED`, one of our own codes, or `UNKNOWN`. */
	code: SteadfetchErrorCode;
	/** Whether trying again later may succeed. */
	transient: boolean;
	/** The HTTP status, for HTTP errors. */
	status?: number;
}

const named = (error: unknown, name: string): boolean =>
	typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;

/**
 * Classify any error, ours or ky's. `TIMEOUT`, `NETWORK`, `HTTP_429`, `HTTP_5XX`, `CIRCUIT_OPEN`
 * (and `HTTP_408`) are transient; `HTTP_4XX`, `INVALID_REQUEST`, `ABORTED` are not.
 *
 * `ABORTED` is the caller's own signal: an `AbortError`, or whatever reason the caller aborted with
 * when ky rethrows it. ky's per-attempt and total timeouts surface as ky's `TimeoutError` (`TIMEOUT`).
 */
export function classify(error: unknown): Classification {
	if (isSteadfetchError(error)) {
		return { code: error.code, transient: error.transient };
	}

	if (isHTTPError(error)) {
		const { status } = error.response;
		if (status === 429) {
			return { code: 'HTTP_429', transient: true, status };
		}

		if (status >= 500) {
			return { code: 'HTTP_5XX', transient: true, status };
		}

		if (status === 408) {
			return { code: 'HTTP_408', transient: true, status };
		}

		return { code: 'HTTP_4XX', transient: false, status };
	}

	if (isTimeoutError(error)) {
		return { code: 'TIMEOUT', transient: true };
	}

	if (isNetworkError(error)) {
		return { code: 'NETWORK', transient: true };
	}

	if (named(error, 'AbortError')) {
		return { code: 'ABORTED', transient: false };
	}

	if (named(error, 'TimeoutError')) {
		// A DOMException from AbortSignal.timeout() that reached us directly.
		return { code: 'TIMEOUT', transient: true };
	}

	if (error instanceof TypeError) {
		// Raw fetch failures are TypeErrors in every runtime.
		return { code: 'NETWORK', transient: true };
	}

	return { code: 'UNKNOWN', transient: false };
}
