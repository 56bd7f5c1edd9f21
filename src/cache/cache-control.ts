/** `Cache-Control` directives by lower-case name; a directive without a value maps to `''`. */
export type Directives = ReadonlyMap<string, string>;

const directive = /([^\s=,]+)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^,]*))?/g;

/** Parse a `Cache-Control` header. The first occurrence of a repeated directive wins (RFC 9111 §4.2.1). */
export const parseCacheControl = (header: string | null): Directives => {
	const directives = new Map<string, string>();
	for (const [, name = '', raw = ''] of header?.matchAll(directive) ?? []) {
		const key = name.toLowerCase();
		if (!directives.has(key)) {
			const value = raw.trim();
			directives.set(key, value.startsWith('"') ? value.slice(1, -1).replaceAll(/\\(.)/g, '$1') : value);
		}
	}

	return directives;
};

/** A delta-seconds value (RFC 9111 §1.2.2), or undefined when absent or invalid. */
export const seconds = (value: string | null | undefined): number | undefined =>
	value !== null && value !== undefined && /^\d+$/.test(value) ? Math.min(Number(value), 2 ** 31) : undefined;

/**
 * Freshness lifetime in seconds (RFC 9111 §4.2.1): `s-maxage` in a shared cache, else `max-age`,
 * else `Expires` minus `Date`, else 0. No heuristic freshness: the stale cache is a fallback, and
 * how long a copy may be served is bounded by `maxStaleMs` or the response's `stale-if-error`.
 */
export const freshnessLifetime = (headers: Headers, directives: Directives, shared: boolean): number => {
	const lifetime = (shared ? seconds(directives.get('s-maxage')) : undefined) ?? seconds(directives.get('max-age'));
	if (lifetime !== undefined) {
		return lifetime;
	}

	const expires = Date.parse(headers.get('expires') ?? '');
	const date = Date.parse(headers.get('date') ?? '');
	return Number.isNaN(expires) || Number.isNaN(date) ? 0 : Math.max(0, Math.floor((expires - date) / 1000));
};
