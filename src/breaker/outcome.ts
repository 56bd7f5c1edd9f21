import { parseRetryAfter } from '../core/runtime.js';

/** Statuses that count as failures by default: the origin is overloaded or down. */
export const isFailureStatus = (status: number): boolean =>
	status === 429 || status === 500 || status === 502 || status === 503 || status === 504;

/**
 * How long a 429 or 503 asks us to stay away, from its `Retry-After` (seconds or an HTTP date),
 * in ms; 0 when there is none, it is malformed, or it lies in the past.
 */
export const retryAfterMs = (response: Response, now: number): number => {
	if (response.status !== 429 && response.status !== 503) {
		return 0;
	}

	return parseRetryAfter(response.headers.get('retry-after'), now) ?? 0;
};

/** A `CircuitOpenError`, also from another realm. */
export const isCircuitOpen = (error: unknown): boolean =>
	typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'CIRCUIT_OPEN';
