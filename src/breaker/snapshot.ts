/** The state of one scope's breaker (`client.breaker(url)`, `client.stats()[scope].breaker`). */
export interface BreakerSnapshot {
	/** The origin by default. */
	scope: string;
	state: 'closed' | 'open' | 'half-open';
	consecutiveFailures: number;
	/** Epoch ms, from the injected clock. */
	openedAt?: number;
	/** Epoch ms, from the injected clock. */
	reopensAt?: number;
}
