import type { FetchLike } from './types.js';

/**
 * Runtime network failures that ky's detection misses: workerd rejects a refused or reset
 * connection with a plain `Error: Network connection lost.` (ky expects a TypeError without the
 * period). Such errors are rethrown as the TypeError ky recognizes, with the original as `cause`,
 * so they become ky `NetworkError`s: retried, counted by the breaker, served stale.
 */
const networkFailure = /^(?:network connection lost\.?|connection refused|.*\b(?:ECONNREFUSED|ECONNRESET|EPIPE)\b.*)$/i;

/** The innermost layer: the transport, with its network failures made recognizable. */
export const normalizeTransport = (fetch: FetchLike): FetchLike => (request, init) => fetch(request, init).catch(recognizable);

const recognizable = (error: unknown): never => {
	if (error instanceof Error && error.name === 'Error' && networkFailure.test(error.message)) {
		throw new TypeError('Network connection lost', { cause: error });
	}

	throw error;
};
