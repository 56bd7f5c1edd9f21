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

	const value = response.headers.get('retry-after')?.trim();
	if (!value) {
		return 0;
	}

	const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
	return ms > 0 ? ms : 0;
};

/** A `CircuitOpenError`, also from another realm. */
export const isCircuitOpen = (error: unknown): boolean =>
	typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'CIRCUIT_OPEN';
