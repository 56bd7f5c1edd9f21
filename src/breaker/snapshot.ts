/** The state of one scope's breaker (`client.breaker(url)`, `client.stats()[scope].breaker`). */
export interface BreakerSnapshot {
	/** The origin by default. */
	scope: string;
	state: 'closed' | 'open' | 'half-open';
	/**
	 * Failures in a row: counted so far while closed (across the tabs of the name, and reloads); while open or
	 * half-open, those it opened with (the same in every tab).
	 */
	consecutiveFailures: number;
	/** Epoch ms, from the injected clock. */
	openedAt?: number;
	/** Epoch ms, from the injected clock. */
	reopensAt?: number;
}
