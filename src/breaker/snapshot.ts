import type { Circuit } from './state.js';

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

/** What `client.breaker(url)` shows of a scope's circuit now (an expired probe counted first). */
export const snapshotOf = (circuit: Circuit, scope: string, now: number): BreakerSnapshot => {
	circuit.expire(now);
	const { consecutive: consecutiveFailures, openedAt, reopensAt } = circuit;
	if (circuit.isolated) {
		return { scope, state: 'open', consecutiveFailures, openedAt };
	}

	return circuit.open
		? { scope, state: now < reopensAt ? 'open' : 'half-open', consecutiveFailures, openedAt, reopensAt }
		: { scope, state: 'closed', consecutiveFailures };
};
