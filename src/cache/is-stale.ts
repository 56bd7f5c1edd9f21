/** Marker in the `Cache-Status` header of responses served from the stale cache. */
export const cacheStatusPrefix = 'steadfetch; hit;';

/**
 * True exactly for responses steadfetch served from its stale cache instead of the network; false for anything else,
 * `undefined` too (what a call a `beforeRetry` hook stopped with `ky.stop` resolves with).
 */
export const isStale = (response: Response | undefined): boolean =>
	response?.headers?.get('cache-status')?.startsWith(cacheStatusPrefix) === true;
