/** The last header parsed and its directives: an API tends to send one `Cache-Control` on every answer (a pure function's memo, no I/O). */
let last: [string | undefined, ReadonlyMap<string, string>] = [undefined, new Map()];

/** `Cache-Control` directives by lower-case name, the first occurrence winning (RFC 9111 §4.2.1); quotes removed. */
const directives = (header: string | undefined): ReadonlyMap<string, string> => {
	if (header !== last[0]) {
		const found = new Map<string, string>();
		for (const [, name = '', value = ''] of header?.matchAll(/([^\s=,]+)(?:\s*=\s*("[^"]*"|[^,]*))?/g) ?? []) {
			if (!found.has(name.toLowerCase())) {
				found.set(name.toLowerCase(), value.trim().replaceAll('"', ''));
			}
		}

		last = [header, found];
	}

	return last[1];
};

/** A delta-seconds value (RFC 9111 §1.2.2), or undefined when absent or invalid. */
const seconds = (value: string | null | undefined): number | undefined =>
	value && /^\d+$/.test(value) ? Math.min(Number(value), 2 ** 31) : undefined;

/** When a stored copy may be served: its freshness lifetime (s); when it was made, by its `Age` on arrival, and the last moment it may answer (epoch ms). */
export interface Timing {
	lifetime: number;
	born: number;
	until: number;
}

/**
 * Whether and how long to keep a successful GET response (RFC 9111 §3 and §4.2, RFC 5861):
 * `undefined` when it is not stored; `false` when it must not be kept at all (`no-store`,
 * `no-cache` — never servable without validation —, `Vary: *`, or `private` in a shared cache: the
 * copy it would replace goes too); else its timing: freshness from `s-maxage` (shared), `max-age`
 * or `Expires` − `Date` (no heuristic freshness), servable until freshness + `stale-if-error=N` s,
 * else `maxStaleMs` after it arrived; with `must-revalidate`, `proxy-revalidate` (in every cache:
 * stricter than RFC 9111 for a private one) and `s-maxage` in a shared cache, only while fresh.
 */
export const timing = (request: Headers, response: ReadonlyMap<string, string>, manyUsers: boolean, maxStaleMs: number, now: number): Timing | false | undefined => {
	const own = directives(response.get('cache-control'));
	if (own.has('no-store') || own.has('no-cache') || response.get('vary')?.includes('*') || (manyUsers && own.has('private'))) {
		return false;
	}

	if (request.get('cache-control')?.includes('no-store')) {
		return undefined;
	}

	const expires = Date.parse(response.get('expires') ?? '') - Date.parse(response.get('date') ?? '');
	const lifetime = (manyUsers ? seconds(own.get('s-maxage')) : undefined) ?? seconds(own.get('max-age')) ?? (expires > 0 ? Math.floor(expires / 1000) : 0);
	const born = now - (seconds(response.get('age')) ?? 0) * 1000;
	const freshUntil = born + lifetime * 1000;
	const staleIfError = seconds(own.get('stale-if-error'));
	const until = Math.min(
		staleIfError === undefined ? now + maxStaleMs : freshUntil + staleIfError * 1000,
		own.has('must-revalidate') || own.has('proxy-revalidate') || (manyUsers && own.has('s-maxage')) ? freshUntil : Infinity,
	);
	return until > now ? { lifetime, born, until } : undefined;
};
