import { freshnessLifetime, parseCacheControl, seconds } from './cache-control.js';
import type { ResolvedCacheOptions } from './resolve-options.js';

/** When and for how long a stored response may be served, computed once when it is stored. */
export interface Timing {
	/** Freshness lifetime, in s. */
	lifetime: number;
	/** The response's own `Age` when it arrived, in s. */
	initialAge: number;
	/** Serve it on failure until then (epoch ms, injected clock). */
	until: number;
	/** In `stale-while-revalidate` mode, answer at once from it until then (epoch ms). */
	swrUntil: number;
}

/** `purge`: the response forbids keeping any copy of it; `skip`: do not store this one. */
export type Plan = Timing | 'purge' | 'skip';

/** Names listed by a `Vary` header, lower-case and sorted; `['*']` for `Vary: *`. */
export const varyNames = (headers: Headers): string[] => {
	const vary = headers.get('vary');
	if (vary === null) {
		return [];
	}

	const names = vary.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
	return names.includes('*') ? ['*'] : [...new Set(names)].sort();
};

/**
 * Whether and how to store a successful GET response (RFC 9111 §3, RFC 5861):
 * - never when the request or the response says `no-store`, the response says `no-cache` (it could
 *   never be served without validation) or `Vary: *`;
 * - in a shared cache, never a `private` response (nor one to a credentialed request: `store` skips
 *   those before planning);
 * - `must-revalidate` and `proxy-revalidate` (in every cache: stricter than RFC 9111 for private
 *   caches, as the contract asks), and `s-maxage` in a shared cache, allow it only while fresh;
 * - `stale-if-error=N` allows it until freshness lifetime + N s, else `maxStaleMs` after storing.
 */
export const planStore = (
	requestHeaders: Headers, response: Response, options: ResolvedCacheOptions, now: number,
): Plan => {
	if (parseCacheControl(requestHeaders.get('cache-control')).has('no-store')) {
		return 'skip';
	}

	const { headers } = response;
	const directives = parseCacheControl(headers.get('cache-control'));
	if (directives.has('no-store') || directives.has('no-cache') || varyNames(headers)[0] === '*'
		|| (options.shared && directives.has('private'))) {
		return 'purge';
	}

	const lifetime = freshnessLifetime(headers, directives, options.shared);
	const initialAge = seconds(headers.get('age')) ?? 0;
	const freshUntil = now + (lifetime - initialAge) * 1000;
	const revalidate = directives.has('must-revalidate') || directives.has('proxy-revalidate')
		|| (options.shared && directives.has('s-maxage'));
	const staleIfError = seconds(directives.get('stale-if-error'));
	let until = staleIfError === undefined ? now + options.maxStaleMs : freshUntil + staleIfError * 1000;
	if (revalidate) {
		until = Math.min(until, freshUntil);
	}

	if (until <= now) {
		return 'skip';
	}

	const swr = revalidate ? 0 : seconds(directives.get('stale-while-revalidate')) ?? 0;
	return { lifetime, initialAge, until, swrUntil: Math.min(until, freshUntil + swr * 1000) };
};
