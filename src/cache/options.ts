/**
 * Options of the stale cache fallback (`cache`).
 *
 * After a successful GET (2xx except 206) the response is stored behind the caller (write-behind,
 * from a clone taken as the response arrives, before `afterResponse` hooks) in the client's store under `<name>/cache`, unless the request or response says
 * `no-store`, the response says `no-cache` or `Vary: *`, or the body exceeds `maxBodyBytes`. A HEAD
 * refreshes the stored GET copy's headers and timing. A GET whose copy was stored (or is being
 * written) less than 1 s ago with the same `ETag`, `Last-Modified`, body size and timing (relative
 * to its arrival) is not written again and emits no `cache:stored`: a stored copy is never more than
 * 1 s older than the latest response. `cache:stored` fires for each copy actually written.
 * When a GET or HEAD then ends in a network
 * error, a timeout, a 500/502/503/504 (after retries), an open circuit, or the runtime reports
 * offline, a usable stored copy answers it with `Cache-Status: steadfetch; hit; ttl=<s>;
 * detail=<reason>` and `Age` (`isStale(response)` is true, `cache:stale` fires); otherwise the
 * original error is thrown. `must-revalidate` and `proxy-revalidate` allow serving only while
 * fresh (in every cache, stricter than RFC 9111 for private ones). A successful POST, PUT, PATCH
 * or DELETE drops the stored copies of its URL. Per call, `cache: false` skips storing and serving.
 * Storage faults never fail a request: they emit `storage:error` and the cache degrades.
 *
 * @example
 * const api = createClient({ cache: { maxStaleMs: 3_600_000, mode: 'stale-while-revalidate' } });
 * api.on('cache:stale', ({ url, reason, age }) => console.info('stale', url, reason, age));
 */
export interface CacheOptions {
	/**
	 * The oldest stored copy served when the network or the origin fails, in ms since it was stored.
	 * A response's own `stale-if-error=N` overrides it, longer or shorter (freshness lifetime + N s,
	 * freshness from `max-age`, or `Expires` − `Date`; no heuristic freshness). Entries past their
	 * limit are removed when met.
	 * @default 86_400_000 (24 h)
	 */
	maxStaleMs?: number;
	/**
	 * Most stored responses; the least recently used is evicted beyond it. A positive integer.
	 * @default 500
	 */
	maxEntries?: number;
	/**
	 * Most bytes of stored bodies in total; least recently used entries are evicted beyond it.
	 * @default 52_428_800 (50 MiB)
	 */
	maxBytes?: number;
	/**
	 * Larger bodies are not stored, in bytes.
	 * @default 5_242_880 (5 MiB)
	 */
	maxBodyBytes?: number;
	/**
	 * `'fallback'`: serve a stored copy only when the network or origin fails.
	 * `'stale-while-revalidate'`: also answer at once from a stored copy within its freshness
	 * lifetime plus the response's `stale-while-revalidate=N` (marked stale with
	 * `detail=revalidate`), while the call goes on in the background as the refresh (one refresh in
	 * flight per key; the calls meanwhile make no network I/O).
	 * @default 'fallback'
	 */
	mode?: 'fallback' | 'stale-while-revalidate';
	/**
	 * Whether one process serves many users (a shared cache in RFC 9111 terms). When true,
	 * `Cache-Control: private` responses and responses to credentialed requests are never stored,
	 * and `s-maxage` sets the freshness lifetime and forbids serving once stale. Set `false` in a
	 * worker or server that serves one user.
	 * @default true where the runtime has no `indexedDB` — Node (a server: SSR, BFFs), Deno,
	 * Cloudflare Workers; false in browsers (pages, web and service workers). Decided when the client
	 * is created. A Node process that serves one user (a CLI, a desktop app) sets `false`.
	 */
	shared?: boolean;
	/**
	 * More request headers to treat as credentials. `Authorization`, `Cookie` (when set explicitly;
	 * a browser's own cookies are invisible to fetch: clear the cache at logout) and
	 * `Proxy-Authorization` always are. A request with any of them is stored under a partition named
	 * by a SHA-256 of the client name and their values; the values are never stored, and a `Vary` on
	 * one of them adds nothing else to the key. In a shared cache such requests are not stored at all.
	 * @default []
	 * @example
	 * createClient({ cache: { sensitiveHeaders: ['X-Api-Key'] } });
	 */
	sensitiveHeaders?: string[];
}
