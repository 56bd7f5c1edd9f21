import { isPlatformNetworkError } from '../errors/classify.js';

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
