/** `steadfetch/bulkhead`: a concurrency limit per scope for the `bulkhead` slot. */
export { bulkhead, type BulkheadOptions } from '../bulkhead/index.js';
export { BulkheadFullError } from '../errors/BulkheadFullError.js';
export type { BulkheadRejectedEvent } from '../bulkhead/events.js';
