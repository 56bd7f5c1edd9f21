import { transportCode } from './health.js';
import type { CallState, Clock, FetchLike } from './types.js';

/**
 * Runtime network failures that ky's detection misses: workerd rejects a refused or reset
 * connection with a plain `Error: Network connection lost.` (ky expects a TypeError without the
 * period). Such errors are rethrown as the TypeError ky recognizes, with the original as `cause`,
 * so they become ky `NetworkError`s: retried, counted by the breaker, served stale.
 */
const networkFailure = /^(?:network connection lost\.?|connection refused|.*\b(?:ECONNREFUSED|ECONNRESET|EPIPE)\b.*)$/i;

/**
 * The innermost layer: the transport, with its network failures made recognizable. It also notes on
 * the call when its first attempt reached the network and how the last one ended (for `stats()`),
 * and asks a hedge's attempt whether it still goes (`FetchInit.hedge`).
 */
export const normalizeTransport = (fetch: FetchLike, clock: Clock): FetchLike => (request, init) => {
	// A hedge goes out only if its policy still wants it now (FetchInit.hedge).
	const refused = init?.hedge?.();
	if (refused) {
		return Promise.reject(refused);
	}

	const call = init?.steadfetch as CallState | undefined;
	if (!call) {
		return fetch(request, init).catch(recognizable);
	}

	call.sentAt ??= clock.now();
	return fetch(request, init).then((response) => {
		call.netCode = transportCode(response);
		return response;
	}, (error: unknown): never => {
		try {
			return recognizable(error);
		} catch (thrown) {
			call.netCode = transportCode(undefined, thrown);
			throw thrown;
		}
	});
};

const recognizable = (error: unknown): never => {
	if (error instanceof Error && error.name === 'Error' && networkFailure.test(error.message)) {
		throw new TypeError('Network connection lost', { cause: error });
	}

	throw error;
};
