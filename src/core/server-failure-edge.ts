import { asNetworkFailure, bodyFailure } from './network-failure.js';
import type * as Full from './server-failure.js';
import { isSyncIterable } from '../utils/validate.js';

/**
 * The `workerd`/`deno`/`edge-light` build's `server-failure.ts` (see tsup.config.ts): no undici
 * there, whose refusals of a request Node's build reads: a network failure ky's detection misses
 * (workerd's `Network connection lost.`) as the TypeError ky knows, any other error as it is.
 * Not the Node build's check for a request body that fails as it is read: Deno 2 reports that as
 * `TypeError: fetch failed` whose cause is the stream's own error, with the Request's body used and
 * unlocked, and reports a refused connection of a streamed body the same way (its cause an `Error`
 * without a `code`: "error sending request … tcp connect error"), so that check would take a refused
 * connection for the app's error there; workerd's `fetch` does not fail then at all. `watchedBody` and `failedBody`
 * tell a call's stream body that failed as it was read from the network's failure in both: the read's error, the
 * app's (`UNKNOWN`), as Node's build gives it — one vocabulary in every runtime.
 */
export const asAttemptFailure: typeof Full.asAttemptFailure = asNetworkFailure;

/** Deno's and workerd's `fetch` iterate a sync-iterable body (a generator of bytes, a `Set`): sent here (`watchedBody`). */
export const iterableBodies: typeof Full.iterableBodies = true;

/** Deno's and workerd's `fetch` iterate an async-iterable body too: sent here (`watchedBody`). */
export const asyncIterableBodies: typeof Full.asyncIterableBodies = true;

/** workerd's Request takes any `referrer` and `window` (it ignores them): a call's are checked before any I/O (`Full.lenientRequests`). */
export const lenientRequests: typeof Full.lenientRequests = true;

/** The error a call's body `watchedBody` gave out failed with as the runtime read it, by the key it was given with. */
const broken = new WeakMap<object, unknown>();

/**
 * A call's `ReadableStream` body (an async or sync iterable's too), read through a stream of the same bytes that notes the
 * read's error under `key`: workerd does not fail a `fetch` whose body stream errors (it logs the error as uncaught, ends the chunked
 * body there and resolves the answer), Deno's rejects as for a refused connection, so the transport fails such an
 * attempt with that error (`failedBody`), the app's (`UNKNOWN`; `bodyFailure`: one that reads as an abort, a timeout or
 * a network failure is said to be the body's): never a delivered write, not retried, counted by neither the breaker nor
 * reachability; a stream the app locks after the call began fails so at its first read, and one that gives a chunk
 * that is not bytes (nor a string, which workerd sends) with a TypeError saying so. Any other body is given back as
 * it is (no cost), and so is a stream that is locked or disturbed already, which ky's Request refuses before any I/O
 * (`InvalidRequestError`, as in Node). An iterable (async, or sync: a generator of bytes, a `Set`, which Deno's and workerd's
 * `fetch` iterate: `iterableBodies`) is read as the stream of it; not a string, a `String`, a typed array, a `FormData` or a
 * `URLSearchParams` (iterable too), sent as they are (with their length).
 * A `Request` (`given`: the call's input, or one a ky hook gave, `beforeRequest` or `beforeRetry`, which the transport
 * gives for a client or call with hooks) whose body is a JS stream of the default type (`new ReadableStream()` of the app's: no BYOB
 * reader, never a length: sent chunked in any case) is given back as a Request with that body watched; one whose body the
 * runtime holds (a string's, bytes', a Blob's, an incoming request's: it reads them as bytes, with their length) is sent
 * as it is, its Content-Length kept and read natively (a Worker proxying its request), as is a JS byte stream.
 */
export const watchedBody: typeof Full.watchedBody = (given, key) => {
	const input = given instanceof Request ? given : undefined;
	let body: unknown = input ? input.body : given;
	try {
		// A Request's body the runtime can read as bytes (not a JS default stream: its BYOB reader throws) is none to watch.
		input && (body as ReadableStream | null)?.getReader({ mode: 'byob' }).releaseLock();
		body = input ? undefined : body;
	} catch {}

	// An async iterable (Deno's, workerd's and Node's `fetch` take one), or a sync one but fetch's own types, read as the stream of it.
	if (!(body instanceof ReadableStream) && typeof body === 'object' && (Symbol.asyncIterator in Object(body) || isSyncIterable(body))) {
		body = (ReadableStream as { from?: (iterable: unknown) => ReadableStream }).from?.(body) ?? body;
	}

	if (!(body instanceof ReadableStream)) {
		return given;
	}

	try {
		// A stream being read (locked) or read from (disturbed) is given back as it is, for ky's Request to refuse before any
		// I/O (`InvalidRequestError`), as in Node: `Response` checks both and reads nothing. A wrapper hid both (workerd sent
		// an empty body and answered 200; Deno failed it as a network failure).
		new Response(body);
	} catch {
		return given;
	}

	let reader: ReadableStreamDefaultReader | undefined;
	const watched: ReadableStream = new ReadableStream({
		async pull(controller) {
			try {
				// Locked by the app after the call began, it fails here: the app's error (was an empty body in workerd).
				reader ??= body.getReader();
				const { done, value } = await reader.read();
				// A chunk no runtime sends (a number, an object): Node's and Deno's `fetch` rejected it as a network failure,
				// workerd cut the body short and answered. Bytes or a string (workerd sends one) go on.
				if (!done && !(ArrayBuffer.isView(value) || value instanceof ArrayBuffer || typeof value === 'string')) {
					throw new TypeError('The request body stream gave a chunk that is not bytes');
				}

				done ? controller.close() : controller.enqueue(value);
			} catch (error) {
				// A stream errored with no error (`controller.error()`), or with one read as another's failure (an AbortError):
				// noted as one that says the body failed (`bodyFailure`).
				broken.set(key, bodyFailure(error));
				controller.error(error);
				// The app's stream let go of (a generator's `finally` runs), when it is not the one that failed.
				reader?.cancel(error).catch(() => {});
			}
		},
		cancel: async (reason) => (reader ?? body).cancel(reason),
	// Read only as the runtime reads it: nothing taken from the app's stream for an attempt that never goes out.
	}, { highWaterMark: 0 });
	// The Request input as it was (its method, headers, signal…), with the watched body.
	return (input ? new Request(input, { body: watched, duplex: 'half' } as RequestInit) : watched) as typeof given;
};

/** The read's error of a body `watchedBody` gave out under `key`, if it failed. */
export const failedBody: typeof Full.failedBody = (key) => broken.get(key);

/** Whether the runtime's Request takes `redirect: 'error'` (Deno's does; workerd's refuses it), asked once, when a call first gives it. */
let takesError: boolean | undefined;
const takesErrorMode = (): boolean => {
	if (takesError === undefined) {
		try {
			takesError = new Request('http://localhost/', { redirect: 'error' }).redirect === 'error';
		} catch {
			takesError = false;
		}
	}

	return takesError;
};

/** The mark ky hands the transport with each attempt whose `redirect: 'error'` went as `'manual'` (ky gives `fetch` every option it does not know). */
const noRedirect = 'steadfetchNoRedirect';

/**
 * `redirect: 'error'` where the runtime's Request refuses it (workerd's: "… use "manual" and check the response status
 * code"; every call of a client given it failed before any I/O) as `'manual'`, marked (`noRedirect`): a redirect answered to
 * it fails the attempt as fetch's `'error'` mode does (`refusedRedirect`). Any other mode given unmarks (a call's `'follow'`
 * over its client's `'error'`). Read as fetch reads it (its text).
 */
export const sentRedirect: typeof Full.sentRedirect = (options) => {
	if (options.redirect !== undefined) {
		const refused = String(options.redirect) === 'error' && !takesErrorMode();
		options[noRedirect] = refused;
		if (refused) {
			options.redirect = 'manual';
		}
	}
};

/** fetch's redirect statuses. */
const redirects = [301, 302, 303, 307, 308];

/** A redirect answered to an attempt `sentRedirect` marked: fetch's network error for it, in Node's words (`TypeError: fetch failed`). */
export const refusedRedirect: typeof Full.refusedRedirect = (response, init) =>
	(init as Record<string, unknown> | undefined)?.[noRedirect] === true && redirects.includes(response.status)
		? new TypeError('fetch failed', { cause: new Error('unexpected redirect') }) : undefined;
