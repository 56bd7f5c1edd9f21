import { SteadfetchError } from './SteadfetchError.js';

/**
 * The scope's circuit breaker is open (or half-open with its probes taken). No network I/O happened.
 */
export class CircuitOpenError extends SteadfetchError {
	override name = 'CircuitOpenError' as const;
	/** The breaker scope (the origin by default). */
	declare readonly scope: string;
	/** Milliseconds until the breaker lets a probe through. */
	declare readonly retryAfterMs: number;

	constructor(scope: string, retryAfterMs: number) {
		super(`Circuit open for ${scope}; retry in ${Math.max(0, Math.ceil(retryAfterMs))} ms`, 'CIRCUIT_OPEN', true);
		this.scope = scope;
		this.retryAfterMs = retryAfterMs;
	}
}
