import { check, isNonNegativeFinite, isPositiveFinite, isPositiveInteger } from '../core/validate.js';
import { sensitiveSet } from '../core/runtime.js';
import type { CacheOptions } from './options.js';

/** Cache options with every default applied. */
export interface ResolvedCacheOptions {
	maxStaleMs: number;
	maxEntries: number;
	maxBytes: number;
	maxBodyBytes: number;
	/** `mode === 'stale-while-revalidate'`. */
	swr: boolean;
	shared: boolean;
	/** Lower-case names of the request headers that partition the cache. */
	sensitive: ReadonlySet<string>;
}

/**
 * The default of `cache.shared`: true where one process or isolate may serve many users — every
 * runtime without `indexedDB`: Node (SSR, BFFs), Deno, Cloudflare Workers. False in browsers (pages,
 * web and service workers all have `indexedDB`), where the cache belongs to one user's profile.
 */
export const defaultShared = (): boolean => typeof indexedDB === 'undefined';

/** Apply defaults and validate; a bad value throws a RangeError naming the option and the value. */
export const resolveCacheOptions = (options: CacheOptions): ResolvedCacheOptions => {
	const {
		maxStaleMs = 86_400_000, maxEntries = 500, maxBytes = 52_428_800, maxBodyBytes = 5_242_880,
		mode = 'fallback', shared = defaultShared(), sensitiveHeaders = [],
	} = options;
	check(isNonNegativeFinite(maxStaleMs), 'cache.maxStaleMs', maxStaleMs, 'a non-negative finite number of ms');
	check(isPositiveInteger(maxEntries), 'cache.maxEntries', maxEntries, 'a positive integer');
	check(isPositiveFinite(maxBytes), 'cache.maxBytes', maxBytes, 'a positive finite number of bytes');
	check(isNonNegativeFinite(maxBodyBytes), 'cache.maxBodyBytes', maxBodyBytes, 'a non-negative finite number of bytes');
	check(mode === 'fallback' || mode === 'stale-while-revalidate', 'cache.mode', mode, "'fallback' or 'stale-while-revalidate'");
	check(typeof shared === 'boolean', 'cache.shared', shared, 'a boolean');
	const sensitive = sensitiveSet('cache.sensitiveHeaders', sensitiveHeaders);
	return {
		maxStaleMs, maxEntries, maxBytes, maxBodyBytes, shared,
		swr: mode === 'stale-while-revalidate',
		sensitive,
	};
};
