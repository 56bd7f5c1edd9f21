import type { BaseEvent } from '../core/event-types.js';

export interface BreakerEvent<T extends 'breaker:open' | 'breaker:half-open' | 'breaker:closed'> extends BaseEvent<T> {
	/**
	 * Why it changed: `consecutive-failures`, `failure-ratio`, `retry-after`, `probe-failed`,
	 * `probe-timeout` (a probe that did not settle within its attempt timeout), `probe-succeeded`,
	 * `open-elapsed`, `shared`, `restored`, `isolated` and `reset` (by hand), `cleared` (`client.clear()`
	 * forgot an open breaker); for a `breaker:half-open` before the open period is over
	 * (a breaker opened by attempts that got no HTTP answer): `online`, `visible` (the page became
	 * visible again), `restored` (a client read that open state from storage: a reload).
	 */
	reason: string;
	/** For `breaker:open`: when it lets a probe through (epoch ms); absent for an isolation (`isolate()`), which lets none through until reset. */
	reopensAt?: number;
}
