import type { Policy } from '../core/policy.js';
import type { CacheParts } from '../core/client-types.js';
import { createCache } from './create-cache.js';
import type { CacheOptions } from './options.js';
import { resolveCacheOptions } from './resolve-options.js';

export { isStale } from './is-stale.js';

/**
 * The stale cache fallback, for the `cache` slot of `createClient` (see `CacheOptions`). Bad
 * options throw a `RangeError` naming the option and the value, here.
 *
 * @example
 * import { createClient } from 'steadfetch/core';
 * import { staleCache } from 'steadfetch/cache';
 * const api = createClient({ cache: staleCache({ maxStaleMs: 86_400_000 }) });
 */
export const staleCache = (options: CacheOptions = {}): Policy<'staleCache', CacheParts> => {
	const resolved = resolveCacheOptions(options);
	return { slot: 'staleCache', create: (context) => createCache(context, resolved) };
};
