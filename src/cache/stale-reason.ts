import { isOffline } from '../core/runtime.js';
import { classify } from '../errors/classify.js';
import type { StaleReason } from './stale-response.js';

/** The statuses after which a stored copy may be served (RFC 5861 §4). */
export const failedStatuses = new Set([500, 502, 503, 504]);

/**
 * Ends, without network I/O, a call a stored copy answers (offline, or a refresh already running);
 * the wrapper answers with the copy, so it never reaches the caller. The breaker is the layer below
 * this one, so it never sees such a call.
 */
export class StaleShortcut extends Error {
	override name = 'StaleShortcut';
}

/** Why a failed call may be answered from the cache, or undefined when it may not. */
export const reasonOf = (error: unknown): StaleReason | undefined => {
	const { code, status } = classify(error);
	if (code === 'NETWORK' || code === 'TIMEOUT') {
		return isOffline() ? 'offline' : code === 'NETWORK' ? 'network' : 'timeout';
	}

	return code === 'CIRCUIT_OPEN' ? 'circuit-open' : code === 'HTTP_5XX' && failedStatuses.has(status!) ? 'http-5xx' : undefined;
};
