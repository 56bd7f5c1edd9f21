import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { ownError } from '../errors/classify.js';

/** A degraded answer: a value (sent as JSON; a Response as it is, a copy for each call), or a function of the error and the request. */
export type Fallback = unknown | ((error: unknown, request: Request | undefined) => unknown);

/** The `Cache-Status` of an answer `fallback` made (API.md). */
const fallbackStatus = 'steadfetch; fwd=miss; detail=fallback';

/** Whether a response is a degraded answer made by the `fallback` option (`isStale()` is false for it); false for anything else, `undefined` too (`ky.stop`). */
export const isFallback = (response: Response | undefined): boolean => response?.headers?.get('cache-status') === fallbackStatus;

/**
 * The response for a failed call from its `fallback`: a Response the function gave (marked), or the value as JSON.
 * One no answer can be made of (a Response whose body was read or is locked, a value JSON cannot serialize: a BigInt,
 * a cycle) rejects with an `InvalidRequestError` naming `fallback`, the call's own error its cause: never the raw TypeError.
 * What the function throws rejects as it is: the app's own error, `UNKNOWN` to `classify()` whatever its message.
 */
export const fallbackResponse = async (fallback: Fallback, error: unknown, request: Request | undefined): Promise<Response> => {
	let value: unknown;
	try {
		value = typeof fallback === 'function' ? await (fallback as (error: unknown, request: Request | undefined) => unknown)(error, request) : fallback;
	} catch (thrown) {
		// The function's own error: the app's, `UNKNOWN` whatever it reads (`ownError`). The call's own error rethrown keeps
		// its code: ky's `NetworkError` is no raw failure, and a raw one the call ended with was marked already.
		ownError(thrown);
		throw thrown;
	}

	try {
		if (value instanceof Response) {
			// A Response given as the value answers every call it is used for: each gets a copy (its body is read once).
			const body = (value === fallback ? value.clone() : value).body;
			const headers = new Headers(value.headers);
			headers.set('cache-status', fallbackStatus);
			return new Response(body, { status: value.status, statusText: value.statusText, headers });
		}

		// A value JSON has no text for (undefined, a function) stringifies to undefined: an empty body.
		return new Response(JSON.stringify(value), {
			status: 200,
			headers: { 'content-type': 'application/json', 'cache-status': fallbackStatus },
		});
	} catch {
		throw new InvalidRequestError('`fallback` gave no answer (a Response whose body was read or is locked, a value JSON cannot serialize)', { cause: error });
	}
};
