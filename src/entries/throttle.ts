/** `steadfetch/throttle`: client-side adaptive throttling per scope, learnt across tabs and isolates (the `adaptiveThrottle` slot). */
export { adaptiveThrottle, type AdaptiveThrottleOptions } from '../throttle/index.js';
export { ThrottledError } from '../errors/ThrottledError.js';
export type { ThrottleAnswer, ThrottleCounts, ThrottleMessage, ThrottleReport } from '../coordinator/throttle.js';
export type { Coordinator } from '../coordinator/fleet.js';
export type { ThrottleRejectedEvent } from '../throttle/events.js';
