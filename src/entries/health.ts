/** `steadfetch/health`: latency, error rate and top errors per scope, for the `health` slot. */
export { health, type HealthOptions, type HealthStats } from '../health/index.js';
export type { ScopeHealthEvent } from '../health/events.js';
