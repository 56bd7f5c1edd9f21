import { isHTTPError, isNetworkError, isTimeoutError } from 'ky';
import { isObject } from '../utils/validate.js';
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
	isObject(error) && (error as { name?: unknown }).name === name;

/** What runtimes' `fetch` says of a network failure (Chrome, Firefox, Safari 16, cross-fetch, undici, Bun, Workers). */
const networkMessages = new Set(['network error', 'NetworkError when attempting to fetch resource.', 'The Internet connection appears to be offline.', 'Network request failed', 'fetch failed', 'terminated', ' A network error occurred.', 'Network connection lost']);

/** What `ownError` found: raw network failures ky's run did not get from `fetch`. */
const appErrors = new WeakSet<object>();

/**
 * Whether an error is a network failure as the platform's `fetch` reports one: a `TypeError` with
 * one of the runtimes' messages — exactly what ky wraps in its `NetworkError` (ky's detection, from
 * is-network-error: Safari 17's `Load failed` only without a stack, Deno's `error sending request
 * for url`, Chrome's `Failed to fetch`). Any other error a `fetch` throws (an app's own wrapper
 * failing) is not one: it says nothing about the origin.
 */
export const isPlatformNetworkError = (error: unknown): error is TypeError => {
	if (Object.prototype.toString.call(error) !== '[object Error]' || (error as Error).name !== 'TypeError' || typeof (error as Error).message !== 'string' || appErrors.has(error as Error)) {
		return false;
	}

	const { message, stack } = error as Error;
	return /^Load failed(?: \(.*\))?$/.test(message) ? stack === undefined || '__sentry_captured__' in (error as object)
		: message.startsWith('error sending request for url') || /^Failed to fetch(?: \(.*\))?$/.test(message) || networkMessages.has(message);
};

/**
 * Marks an error ky's run of a call rejected with (core/call.ts) as the app's own when it reads as a raw
 * network failure: ky wraps every one its `fetch` threw in its `NetworkError`, so a raw one came from
 * the app's own code (a hook, `shouldRetry`: its own `fetch` of something else, rethrown; also what its
 * `fallback` function threw, core/fallback.ts). `classify()`
 * then calls it `UNKNOWN` (README "Errors": "an error your own hook (but `init`) threw"), and the
 * stale cache, the outbox and `stats()` do not take it for the origin's failure. Called on failure only.
 */
export const ownError = (error: unknown): void => {
	if (isPlatformNetworkError(error)) {
		appErrors.add(error);
	}
};

/**
 * What `classify()` says of an `HTTPError` with `status`: a 429, a 5xx or a 408 is transient, any
 * other status is `HTTP_4XX` (one below 400, an opaque redirect's 0, is the answer's, not the
 * origin's failure).
 */
const ofStatus = (status: number): Classification => {
	const code = status === 429 ? 'HTTP_429' : status >= 500 ? 'HTTP_5XX' : status === 408 ? 'HTTP_408' : 'HTTP_4XX';
	return { code, transient: code !== 'HTTP_4XX', status };
};

/**
 * The classification of an HTTP status: `undefined` for an answer that is not a failure (< 400),
 * else what `classify()` says of an `HTTPError` with that status. The one table of failure: every
 * part that asks whether a response means the origin failed asks this.
 */
export const classifyStatus = (status: number): Classification | undefined => (status < 400 ? undefined : ofStatus(status));

/** What `classify()` says of an `HTTPError` with `response`: `ofStatus`, but for a steadfetch service worker's `NETWORK` or `TIMEOUT` (`classifyAnswer`). */
const ofAnswer = (response: Response): Classification => {
	const classified = ofStatus(response.status);
	// Headers read only on a transient status (a failure), defensively: an `HTTPError` an app made may carry any object.
	const code = classified.transient && (response.headers as Partial<Headers> | undefined)?.get?.('steadfetch-error');
	return code === 'NETWORK' || code === 'TIMEOUT' ? { code, transient: true, status: response.status } : classified;
};

/**
 * The classification of an answer: its status's (`classifyStatus`), except for a steadfetch service worker's answer for a
 * call whose attempts got no answer of the origin's (its `503`/`504` with `Steadfetch-Error: NETWORK` or `TIMEOUT`, steadfetch/sw):
 * that code, as the worker's client classified its failure (its status kept). Every part that names an answer's failure asks this.
 */
export const classifyAnswer = (response: Response): Classification | undefined => (response.status < 400 ? undefined : ofAnswer(response));

/**
 * Classify any error, ours or ky's. `TIMEOUT`, `NETWORK`, `HTTP_429`, `HTTP_5XX`, `CIRCUIT_OPEN`,
 * `BULKHEAD_FULL`, `RATE_LIMITED`, `THROTTLED` (and `HTTP_408`) are transient; `HTTP_4XX`,
 * `INVALID_REQUEST`, `ABORTED` are not (a `SteadfetchError` says so itself: its `transient`).
 *
 * An `HTTPError` is classified by its response's status (`classifyAnswer`: a steadfetch service worker's `503`/`504`
 * with `Steadfetch-Error: NETWORK` or `TIMEOUT` is that code, its status kept); an error only named `HTTPError` (an app's or
 * another library's own) with no numeric `response.status` is as any other error (`UNKNOWN`).
 *
 * `NETWORK` is ky's `NetworkError`, or a raw failure the platform's `fetch` reports as a network
 * error (`isPlatformNetworkError`: what ky would wrap); any other error a `fetch` throws — a custom
 * `fetch` of the app's that fails, a `TypeError` of its own — is `UNKNOWN` (not transient): it says
 * nothing about the origin, so it neither counts toward `unreachable` nor opens a breaker. So is
 * such a raw failure that ended a call of a client: ky wraps what its `fetch` throws, so it was the
 * app's own hook's (or `shouldRetry`'s) rethrown.
 *
 * `ABORTED` is the caller's own signal: an `AbortError`; also an attempt a policy gave up because
 * another answered first (a hedge that lost, the `attempt:end` of a shared request nobody waits for):
 * not the origin's failure. ky's per-attempt and total timeouts surface as ky's `TimeoutError`
 * (`TIMEOUT`). Given the error alone, `classify` cannot tell whose signal ended a call: a reason the
 * caller aborted with is classified as itself (`AbortSignal.timeout()`'s `TimeoutError` DOMException
 * is `TIMEOUT`, a plain `Error` is `UNKNOWN`). The client's own parts know the call's signal: `stats()`,
 * the breaker, the retry budget, reachability and health count any call the caller's signal ended as
 * `ABORTED` (not the origin's failure), whatever its reason.
 */
export function classify(error: unknown): Classification {
	if (isSteadfetchError(error)) {
		return { code: error.code, transient: error.transient };
	}

	// ky's (by class or name): an app's own error named so, with no fetch Response's status, is as any other (UNKNOWN).
	if (isHTTPError(error) && typeof (error.response as Response | null | undefined)?.status === 'number') {
		return ofAnswer(error.response);
	}

	// ky's, or a DOMException from AbortSignal.timeout() that reached us directly.
	if (isTimeoutError(error) || named(error, 'TimeoutError')) {
		return { code: 'TIMEOUT', transient: true };
	}

	// ky's, or a raw failure of the platform's fetch (as ky's NetworkError wraps it); any other TypeError is UNKNOWN.
	if (isNetworkError(error) || isPlatformNetworkError(error)) {
		return { code: 'NETWORK', transient: true };
	}

	if (named(error, 'AbortError') || named(error, 'Superseded')) {
		return { code: 'ABORTED', transient: false };
	}

	return { code: 'UNKNOWN', transient: false };
}

/**
 * The codes `classify()` gives a failure of the origin or the network (ky's errors): those a steadfetch service worker's
 * `Steadfetch-Error` names when its answer stands for such a failure (origin-failed.ts, from-origin.ts).
 */
export const originCodes = /^(?:TIMEOUT|NETWORK|HTTP_(?:408|429|4XX|5XX))$/;
