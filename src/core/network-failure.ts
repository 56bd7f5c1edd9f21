import { classify, isPlatformNetworkError } from '../errors/classify.js';

/**
 * Runtime network failures that ky's detection misses: workerd rejects a refused or reset
 * connection with a plain `Error: Network connection lost.` (ky expects a TypeError), or a
 * `TypeError` whose message ky does not know (`Network connection lost.`, `error sending request…`), or
 * one naming a socket error code on any of its lines. No `.*` around the code: a long message of many
 * codes and a line break cost time linear in its length.
 */
const networkFailure = /^(?:network connection lost\.?|connection refused)$|^error sending request\b|\b(?:ECONNREFUSED|ECONNRESET|EPIPE)\b/i;

/**
 * A server runtime's network failure that ky's detection misses (`networkFailure`) rethrown as the
 * TypeError ky wraps in its `NetworkError`, with the original as `cause`; any other error as it is.
 */
export const asNetworkFailure = (error: unknown): unknown =>
	error instanceof Error && (error.name === 'Error' || (error.name === 'TypeError' && !isPlatformNetworkError(error))) && networkFailure.test(error.message)
		? new TypeError('Network connection lost', { cause: error }) : error;

/**
 * The error a call's request body failed with as the runtime read it (the app's stream or iterable errored), as the
 * call's: the app's (`UNKNOWN`). One that reads as another's failure (an `AbortError`, a `TimeoutError`, a network
 * failure's `TypeError('fetch failed')`) or as none (`controller.error()`) is given as a TypeError saying the body
 * failed, with it as `cause`: the caller aborted nothing and neither the network nor a timer failed — never `ABORTED`,
 * `TIMEOUT` or `NETWORK` (retried, counted by the breaker and reachability).
 */
export const bodyFailure = (error: unknown): unknown =>
	error && classify(error).code === 'UNKNOWN' ? error : new TypeError('The request body stream failed', { cause: error });
