// Every entry of the package as the contract uses it, from src/ (Node and Chromium under vitest).
export * from '../../src/entries/index.js';
export { bulkhead } from '../../src/entries/bulkhead.js';
export { dedupe } from '../../src/entries/dedupe.js';
export { rateLimit } from '../../src/entries/rate-limit.js';
export { adaptiveThrottle, ThrottledError } from '../../src/entries/throttle.js';
export { hedge } from '../../src/entries/hedge.js';
export { failover } from '../../src/entries/failover.js';
export { auth, AuthError } from '../../src/entries/auth.js';
export { trace } from '../../src/entries/trace.js';
