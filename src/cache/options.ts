/** Options of the stale cache fallback (`cache`). */
export interface CacheOptions {
	/**
	 * The oldest stored copy served when the network or the origin fails, in ms since it was stored.
	 * A response's own `stale-if-error=N` overrides it (freshness lifetime + N s). Entries older
	 * than this are removed when met.
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
	 * `'stale-while-revalidate'`: also answer at once from a stored copy within the response's
	 * `stale-while-revalidate` window and refresh it in the background (one refresh per key).
	 * @default 'fallback'
	 */
	mode?: 'fallback' | 'stale-while-revalidate';
	/**
	 * Whether one process serves many users (a shared cache in RFC 9111 terms). When true,
	 * `Cache-Control: private` responses and credentialed requests are never stored.
	 * @default true in Cloudflare Workers and Deno, false in browsers and Node
	 */
	shared?: boolean;
	/**
	 * More request headers to treat as credentials (like `Authorization` and `Cookie`): their values
	 * partition the cache (by SHA-256, never stored in clear).
	 * @default []
	 */
	sensitiveHeaders?: string[];
}
