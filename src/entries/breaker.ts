/** `steadfetch/breaker`: the per-scope circuit breaker for the `breaker` slot. */
export { breaker } from '../breaker/index.js';
export type { BreakerOptions } from '../breaker/options.js';
export type { BreakerSnapshot } from '../breaker/snapshot.js';
export { sharedCoordinator, type SharedBreaker, type SharedCoordinator } from '../breaker/shared.js';
export type { BreakerEvent } from '../breaker/events.js';
