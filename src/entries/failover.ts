/** `steadfetch/failover`: a failed read sent to the primary origin's mirrors in order (the `failover` slot). */
export { failover, type FailoverOptions } from '../failover/index.js';
export type { FailoverEvent } from '../failover/events.js';
