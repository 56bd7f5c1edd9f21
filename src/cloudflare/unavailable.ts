import { isSteadfetchError } from '../errors/SteadfetchError.js';

/** The refusals that spare the upstream and say when to come back. */
const refusals = ['CIRCUIT_OPEN', 'RATE_LIMITED', 'BULKHEAD_FULL', 'THROTTLED'];

/**
 * A Worker's answer when steadfetch refused a call without I/O to spare the upstream: for a
 * `CircuitOpenError`, `RateLimitedError`, `BulkheadFullError` or `ThrottledError`, a `503 Service
 * Unavailable` with `Retry-After` in seconds — the error's `retryAfterMs` rounded up, at least 1 (1
 * for a full bulkhead or a throttled call, which have no wait), at most a day (86 400). For any other error, `undefined`: the
 * Worker answers it its own way. Errors are told by `code`, so another copy of steadfetch's count too.
 *
 * @example
 * try {
 * 	return await api.get('items');
 * } catch (error) {
 * 	return unavailable(error) ?? new Response('Bad Gateway', { status: 502 });
 * }
 */
export const unavailable = (error: unknown): Response | undefined => {
	if (isSteadfetchError(error) && refusals.includes(error.code)) {
		const ms = Number((error as { retryAfterMs?: unknown }).retryAfterMs) || 0;
		return new Response(null, { status: 503, headers: { 'retry-after': String(Math.max(1, Math.ceil(Math.min(ms, 86_400_000) / 1000))) } });
	}

	return undefined;
};
