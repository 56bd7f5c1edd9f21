import { checkRules, isOptions, isPositiveTimerMs, positiveTimerMsOrFalse, type Rule } from '../utils/validate.js';

/**
 * Options of the stale cache (`staleCache()`, the `staleCache` slot).
 *
 * A successful GET (200 or 203, the 2xx statuses with a whole body to serve) is copied as it arrives (a clone, before `afterResponse` hooks)
 * and written behind the caller once the call resolved with it: a response the caller's
 * `afterResponse` hooks rejected is never stored. Not stored: `no-store` in the request or the
 * response (a `no-store`, `no-cache` or `Vary: *` answer also drops the copy it would replace, a 304 to the app's own
 * conditional request too, and so does a 304 that allows no stale copy from now: `must-revalidate` and stale, `stale-if-error=0`), a
 * body over `maxBodyBytes` or not whole within the call's `timeout` (ky's 10 000 ms when not given; no time bound with `timeout: false`), a
 * head over what a stored copy may hold (a status text over 1,024 characters, more than 256 header fields, or more than 65,536 characters
 * of header names and values: a stored copy over these is malformed, never served; such an answer, one over
 * `maxBodyBytes` and another success but a 206 (a 204, a 202) drop the copy it would replace: the caller has seen newer data), and in a shared cache a `private` response or one to a credentialed
 * request. A GET of a URL this client copied less than 1 s ago is not copied again, nor one whose
 * strong ETag (else Last-Modified) and `Cache-Control` are the copy's, for 60 s after the copy (at most half of the time
 * it may be served): its content is the stored one, only its `Age` lags (one that now says `must-revalidate`, or a
 * shorter `stale-if-error`, replaces it). When a GET or
 * HEAD then ends in a network error, a timeout, a 5xx (after retries), an open circuit, the
 * adaptive throttle's refusal, a transient error of an app policy's own (`detail=` its code), or
 * offline (`navigator.onLine === false`: answered without network I/O), or has no answer
 * `networkTimeoutMs` after it started (`slow`: its request goes on and refreshes the copy), a usable
 * copy answers with `Cache-Status: steadfetch; hit; ttl=<s>; detail=<reason>` and `Age`
 * (`isStale(response)` is true, `cache:stale` fires); otherwise the original error is thrown. On
 * purpose not for every failure `classify()` calls transient: a 408 or 429 (the origin waited for the
 * request, or asks the client to slow down), a full bulkhead or a rate limit (the client's own
 * refusals) are thrown as they are, and so is any 4xx. A successful POST, PUT, PATCH,
 * DELETE (or any other method that is not safe: a write) drops the stored copies of its URL (and of its collection or parent
 * path: API.md "Read your own writes"). So does a write another client of the name delivers (an `extend({ staleCache: false })`ed
 * one, another tab's, a service worker's): each client with a stale cache that hears it (`write:delivered`) drops those copies
 * from the store (`cache:superseded`), so that none answers after a reload either (in Cloudflare Workers under the delivering
 * call's `waitUntil`). Not where no client of the name with a stale cache runs as it is delivered (a page with only clients
 * without one), nor in Workers for a write whose call has no `waitUntil`: there the copies stay stored, unused by the clients that heard the write, until one of them meets them; a client
 * of the name started later (a reload, another isolate) may serve them. Per call, `staleCache: false` (or fetch's
 * `cache: 'no-store'`: the call's, else the client's, else that of a `Request` given as input, as
 * ky makes the request, or of the `Request` a `beforeRequest` hook returns) skips storing and serving. A call with `integrity` (its own, the client's, a `Request`'s) is never
 * answered by a copy, whose bytes were not checked against it, nor a Range request (a copy holds the whole body, not the part it asks
 * for): it fails as it would without a cache. Storage faults never fail a request: they emit
 * `storage:error` and the copy is kept in memory until the store takes it. A stored copy keeps its response's headers
 * but the credential ones (`Set-Cookie`, `Set-Cookie2`, `Authentication-Info`, `Proxy-Authentication-Info`, the
 * client's `sensitiveHeaders`), and the URLs its headers name (`Location`, `Content-Location`, `Link`, any other)
 * without userinfo (`https://user:pass@host/` is kept as `https://host/`) and without sensitive query values: it
 * answers with the headers as kept.
 *
 * @example
 * const api = createClient({ staleCache: { maxStaleMs: 3_600_000 } });
 * api.on('cache:stale', ({ url, reason, age }) => console.info('stale', url, reason, age));
 */
export interface CacheOptions {
	/**
	 * The oldest stored copy served when the network or the origin fails, in ms since it was stored.
	 * A response's own `stale-if-error=N` overrides it, longer or shorter (freshness lifetime + N s,
	 * freshness from `max-age`, or `Expires` − `Date`, never past `Expires` by the client's clock; no heuristic freshness); `must-revalidate`
	 * and `proxy-revalidate` (and `s-maxage` in a shared cache) allow a copy only while fresh.
	 * A copy past its limit is removed when met. A positive finite number (an age: no upper bound), else a `RangeError`.
	 * @default 86_400_000 (24 h)
	 */
	maxStaleMs?: number;
	/**
	 * How long a GET or HEAD with a usable stored copy waits for the network before the copy answers,
	 * in ms from the call's start (bulkhead and rate-limit waits included): `Cache-Status … detail=slow`,
	 * `cache:stale` with `reason: 'slow'`. The request is not aborted: it goes on, its retries too under
	 * the same budgets (`totalTimeout`), and a good answer replaces the copy (`cache:stored`; one the
	 * caller's `afterResponse` hooks rejected never does). The caller's signal still aborts it. In
	 * Cloudflare Workers it goes on under the call's `waitUntil`; a call without one aborts it when
	 * the copy answers. A call with no usable copy waits as long as `totalTimeout` lets it. `false`:
	 * no deadline (a copy answers only a failure). Per call, `staleCache: { networkTimeoutMs }` (a
	 * number or `false`) overrides it. The deadline's timer is armed only for a call whose copy the
	 * client knows of, and the copy is read only when it fires: the client knows the copies it stored
	 * or served and those the store listed at its first read or write (again after every `maxEntries / 4`
	 * copies stored); a copy another tab stored since answers a failure here, not the deadline. A request
	 * that asks for the origin's answer (fetch's `cache: 'no-cache'` or `'reload'`, `Cache-Control: no-cache`,
	 * `no-store` or `max-age=0`, or `Pragma: no-cache` without `Cache-Control`; RFC 9111 §5.2.1) has no
	 * deadline: its copy answers only a failure (RFC 9111 §4.2.4), as with `false`.
	 * @default 3_000
	 */
	networkTimeoutMs?: number | false;
	/**
	 * Most stored copies, a positive integer, counted in the store: the copies of every client of the
	 * name and store count. Beyond it the least recently stored or served go (a quarter of them at
	 * once, after listing the store). The clients `extend()` made of one another share one view of
	 * the copies, so together they keep no more; the store is listed again after every
	 * `maxEntries / 4` copies a client (or such a family) stores, so copies that clients made apart
	 * (another tab, isolate or `createClient` of the name and store) stored meanwhile may pass it by
	 * as many until then. With `maxBodyBytes` it bounds what the cache persists: at most `maxEntries ×
	 * maxBodyBytes` bytes of bodies (500 MiB by default).
	 * @default 500
	 */
	maxEntries?: number;
	/**
	 * Larger bodies are not stored, in bytes (a `Content-Length` over it is not even copied; such an answer drops the
	 * copy it would replace), nor served: a stored copy
	 * larger (another build's, tab's or a client's with a larger `maxBodyBytes`) is not served, and is removed when met.
	 * A positive integer, else a `RangeError` (`staleCache: false` turns the cache off).
	 * @default 1_048_576 (1 MiB)
	 */
	maxBodyBytes?: number;
	/**
	 * Whether one process serves many users (a shared cache in RFC 9111 terms). When true,
	 * `Cache-Control: private` responses and responses to credentialed requests (a credential header
	 * or a sensitive query parameter) are never stored, and `s-maxage` sets the freshness lifetime
	 * and forbids serving once stale. Set `false` in a worker or server that serves one user.
	 * @default true where the runtime has no `indexedDB` — Node (a server: SSR, BFFs), Deno,
	 * Cloudflare Workers; false in browsers (pages, web and service workers). Decided when the policy
	 * is made. A Node process that serves one user (a CLI, a desktop app) sets `false`.
	 */
	shared?: boolean;
}

/** The stale cache's per-call option: `false`, or `{ networkTimeoutMs }` (a positive timer in ms, or `false`). */
const callRules: Readonly<Record<string, Rule>> = {
	staleCache: [isOptions, 'false or { networkTimeoutMs } (per call), or left out', true],
	'staleCache.networkTimeoutMs': [(value) => value === false || isPositiveTimerMs(value), positiveTimerMsOrFalse],
};

/**
 * A RangeError naming `staleCache.networkTimeoutMs` (or `staleCache`) for a per-call value out of range: the stale
 * cache's `checkCall`, and the check of a call's `staleCache` on a client without it (src/entries/slots.ts).
 */
export const checkCallOption = (value: unknown): void => checkRules({ staleCache: value }, callRules);
