/** `steadfetch/cache`: the stale cache fallback for the `staleCache` slot, and `isStale`. */
export { staleCache, isStale } from '../cache/index.js';
export type { CacheOptions } from '../cache/options.js';
export type { CacheStoredEvent, CacheStaleEvent, CacheSupersededEvent } from '../cache/events.js';
