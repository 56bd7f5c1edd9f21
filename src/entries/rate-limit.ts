/** `steadfetch/rate-limit`: a token bucket per scope that also learns the server's budget (the `rateLimit` slot). */
export { rateLimit, type RateLimitOptions } from '../rate-limit/index.js';
export { RateLimitedError } from '../errors/RateLimitedError.js';
export type { RateLimitWaitEvent } from '../rate-limit/events.js';
