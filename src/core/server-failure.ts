import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { asNetworkFailure, bodyFailure } from './network-failure.js';

/**
 * Node's `fetch` (undici) refusing the request itself, as `TypeError: fetch failed` (which ky calls
 * a network failure) with one of these codes as its `cause` (or, with none, a URL it refuses: `refusedUrl`): a header it does not take
 * (`Transfer-Encoding`, `Upgrade`, `Keep-Alive`, `Expect`: refused before any I/O), a
 * `Content-Length` the body does not match (the connection dropped before the body). Bad input, not
 * the network's.
 */
const refusedInput = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH']);

/**
 * Node's `fetch` refusing the request's own URL, before any I/O, with no code: its `cause` says why. A scheme it does not
 * send that the check of every build leaves to the runtime (`about:`; `file:`, which Node's `fetch` does not implement; an
 * app's own, `capacitor:`: 'unknown scheme'; refused-url.ts): a redirect to one is refused in other words, so these are
 * always the caller's URL. Not 'bad port': a request's own blocked port never gets here (refused-url.ts), so one is an
 * origin's redirect, its answer (a network failure).
 */
const refusedUrl = new Set(['about scheme is not supported', 'not implemented... yet...']);

/**
 * Node's `fetch` failing a request for the redirect its origin answered (fetch's HTTP-redirect steps, each undici's
 * network error with no code): `redirect: 'error'`, a hop to a scheme fetch does not follow, more than 20 hops, a `Location`
 * with credentials for a `cors` request. The body was sent and let go by then, as after its own failure: the origin's
 * answer, a network failure, never the body's.
 */
const redirectFailures = new Set(['unexpected redirect', 'URL scheme must be a HTTP(S) scheme', 'redirect count exceeded',
	'cross origin not allowed for request mode "cors"', 'URL cannot contain credentials for request mode "cors"']);

/** Whether Node's `fetch` failed a request for its own URL (`refusedUrl`), never having sent it. */
const refusesUrl = (error: unknown, cause: { code?: string; message?: string } | undefined): boolean =>
	cause instanceof Error && (cause as { code?: unknown }).code === undefined && (error as Error | undefined)?.message === 'fetch failed' && refusedUrl.has(cause.message);

/**
 * A failed attempt's error as ky and `classify()` should see it: a request Node's `fetch` refused
 * (`refusedInput`) as an `InvalidRequestError` (not retried, not queued, not counted by the breaker
 * or reachability), with the original as `cause`; the failure of `request`'s own body as it was read
 * (the app's stream), that read's error; a server runtime's network failure that ky's
 * detection misses as the TypeError ky wraps in its `NetworkError` (`asNetworkFailure`); any other
 * error as it is. The `workerd`/`deno`/`edge-light` build swaps this module for
 * server-failure-edge.ts (no undici there), the browser build for server-failure-browser.ts (a
 * browser's `fetch` rejects with a TypeError ky knows, and drops such headers without a word).
 */
export const asAttemptFailure = (error: unknown, request?: Request): unknown => {
	const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
	// The request's own body failed as undici read it (an app's stream that errors; a Blob whose file is gone): its `fetch
	// failed` holds that error (no failure of the network has no `code`), and undici let go of the body it had read from
	// (unlocked; locked still after any other failure: 'unknown scheme', 'bad port'), an Error (msw's network error gives
	// its `Response.error()` as the cause: a network failure). The read's error itself, as the outbox gives it: the app's
	// (`UNKNOWN`), never retried nor counted as the origin's: one that reads as another's failure (an AbortError) said so
	// (`bodyFailure`). A body that errored with an AbortError undici rejects as aborted, though no signal of the request's did.
	// Not undici's failure of the origin's redirect (`redirectFailures`: "unexpected redirect" was the call's error, `UNKNOWN`).
	const ownBody = request?.bodyUsed && !request.body?.locked && typeof cause?.code !== 'string' && !redirectFailures.has(cause?.message as string);
	if (ownBody && ((cause instanceof Error && (error as Error).message === 'fetch failed') || ((error as Error | undefined)?.name === 'AbortError' && !request!.signal.aborted))) {
		return bodyFailure(cause instanceof Error ? cause : error);
	}

	return refusedInput.has(cause?.code ?? '') || refusesUrl(error, cause) ? new InvalidRequestError(`Invalid request: ${cause!.message}`, { cause: error }) : asNetworkFailure(error);
};

/**
 * Whether this build sends a sync-iterable body (a generator of bytes, a `Set`, an array: `isSyncIterable`). Node's and
 * browsers' `fetch` send one as text (`'[object Generator]'`, an array's items joined by commas): refused before any I/O
 * (`InvalidRequestError`, validate-options.ts); the `workerd`/`deno`/`edge-light` build's sends its bytes, as Deno's and
 * workerd's `fetch` iterate one.
 */
export const iterableBodies: boolean = false;

/**
 * Whether this build sends an async-iterable body (an async generator of bytes: `isAsyncIterable`), as Node's, Deno's
 * and workerd's `fetch` iterate one; browsers' `fetch` sends one as text ('[object AsyncGenerator]'): refused before any
 * I/O in the browser build (`InvalidRequestError`, validate-options.ts).
 */
export const asyncIterableBodies: boolean = true;

/**
 * Whether this build's runtime builds a Request whatever its `referrer` and `window` (workerd's ignores both), so a call's
 * are checked before any I/O (validate-options.ts `checkEnums`). Node's and browsers' Request refuses a wrong one, after
 * a URL it cannot resolve (a call's error then names the URL, with its hint).
 */
export const lenientRequests: boolean = false;

/**
 * A call's body (or its `Request` input, when the call gives no body; or a Request a ky hook gave, at the transport) as
 * it is sent: the same one here, whose `fetch` rejects when its body fails as it is read. The `workerd`/`deno`/`edge-light` build's reads a `ReadableStream` (an
 * async iterable too, a Request input's JS stream) through a stream that notes that failure under `key` (the
 * call's options; workerd's `fetch` resolves then, Deno's rejects as for a refused connection; see
 * server-failure-edge.ts): the read's error in every build (`UNKNOWN`).
 */
export const watchedBody = <T>(body: T, _key: object): T => body;

/** The read's error of a body `watchedBody` gave out under `key`, if it failed (never here: this build's `fetch` rejects then). */
export const failedBody = (_key: object): unknown => undefined;

/**
 * A client's or a call's options for ky (an extend() child's, a run's, an `init` hook's too) as this build's runtime's
 * Request takes them: here as they are (Node's and browsers' take every `redirect` mode). The `workerd`/`deno`/`edge-light`
 * build's sends `redirect: 'error'`, which workerd's Request refuses, as `'manual'` (server-failure-edge.ts).
 */
export const sentRedirect = (_options: Record<string, unknown>): void => {};

/** The error an attempt answered `response` fails with when `sentRedirect` sent its `redirect: 'error'` as `'manual'` (`init`: what ky gave `fetch`): never here. */
export const refusedRedirect = (_response: Response, _init: object | undefined): unknown => undefined;
