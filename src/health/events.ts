import type { BaseEvent } from '../core/event-types.js';

/** A scope's error rate crossed `health({ threshold })` (`scope:unhealthy`) or fell under half of it (`scope:healthy`). */
export interface ScopeHealthEvent<T extends 'scope:unhealthy' | 'scope:healthy'> extends BaseEvent<T> {
	/** Transient failures over calls that reached the network, over `windowMs` (0 to 1). */
	errorRate: number;
	/** Calls that reached the network in the window. */
	calls: number;
}
