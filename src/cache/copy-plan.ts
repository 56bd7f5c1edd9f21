import { directives, seconds } from './cache-control.js';
import { httpDate } from '../utils/runtime.js';

/** When a stored copy may be served: its freshness lifetime (s); when it was made, by its `Age` on arrival, and the last moment it may answer (epoch ms). */
export interface Timing {
	lifetime: number;
	born: number;
	until: number;
}

/** A header reader: a `Headers`, or the response's headers read once into a `Map`. */
interface HeaderReader {
	get(name: string): string | null | undefined;
}

/** What the plan reads of the request: its headers, and whether it carries credentials (a credential or sensitive header, a sensitive query value: see keys.ts). */
export interface CopyRequest {
	readonly headers: HeaderReader;
	readonly credentials: boolean;
	/** Whether the answer's Vary names the `Referer` a browser sends for the page, which the request cannot show (copy.ts `varied`): as `Vary: *`. */
	readonly unshown?: boolean | undefined;
}

/** What the plan reads of the answer: its status and headers. */
export interface CopyResponse {
	readonly status: number;
	readonly headers: HeaderReader;
	/** Its `Vary` (null: none), when the caller read it already (copy.ts): not read from `headers` again. */
	readonly vary?: string | null;
}

/**
 * What the client knows of the last copy under the request's key (its `View`): when it was stored or
 * served (`at`, epoch ms; 0: found in the store, or one the store may hold that the view does not show), and, when this client stored it with a validator,
 * that copy's `signature` and until when an unchanged answer is not copied again (`renew`, epoch ms).
 */
export interface LastCopy {
	readonly at: number;
	readonly copied?: { readonly signature: string; readonly renew: number } | undefined;
}

/** The stale cache's options the plan follows (`ResolvedCacheOptions`). */
export interface CopyRules {
	/** RFC 9111's shared cache (`staleCache({ shared })`). */
	readonly shared: boolean;
	readonly maxStaleMs: number;
	readonly maxBodyBytes: number;
}

/**
 * Why an answer is not copied: `status` (not 200 or 203; another 2xx but 206 drops the last copy, when one is known), `credentials` (a request with credentials
 * in a shared cache: it has no key), `recent` (its key was copied less than 1 s ago), `unchanged`
 * (the same `signature` as the last copy, taken less than `renewMs` ago), `forbidden` (`no-store`,
 * `no-cache`, `Vary: *` or a Vary naming no header, or `private` in a shared cache: the last copy goes too), `request` (the
 * request's own `Cache-Control: no-store`), `expired` (it could answer no moment from now: the last copy, when one is known, goes too) and `size`
 * (a `Content-Length` over `maxBodyBytes`: the last copy, when one is known, goes too).
 */
export type SkipReason = 'status' | 'credentials' | 'recent' | 'unchanged' | 'forbidden' | 'request' | 'expired' | 'size';

/**
 * What to do with an answer: store a copy (its timing for the record; `copied`, for the view: the
 * copy's `signature` when it has a validator and until when an unchanged answer is not copied again,
 * `renew`; the last copy under its key is
 * refreshed: it goes last in the view, stored now), or not, why, and whether the last copy under its
 * key goes (`drop`).
 */
export type CopyPlan =
	| { readonly store: true; readonly timing: Timing; readonly copied: LastCopy['copied'] }
	| { readonly store: false; readonly why: SkipReason; readonly drop: boolean };

/**
 * How long an unchanged answer (same status and validator) is not copied again after a copy (ms), at
 * most half of the copy's servable window: its stored time (`Age`) may lag by as much, its content never does.
 */
const renewMs = 60_000;

/** How long a key copied is not copied again whatever its answer (ms): at most one copy a second per URL. */
const onceMs = 1000;

/**
 * What tells an unchanged answer: its status and validator (a strong ETag, else Last-Modified), when it has one, and its
 * `Cache-Control` (how long the copy may be served: an answer of the same content that now says `must-revalidate` is no
 * unchanged one).
 */
export const signature = (status: number, validator: string | null | undefined, cacheControl?: string | null): string | undefined =>
	validator === undefined || validator === null || validator.startsWith('W/') ? undefined : `${status} ${validator}${cacheControl ? ` ${cacheControl}` : ''}`;

/** Whether a status may be copied (200, 203): the key is made only for those, and for the others that drop the last copy (`supersedes`). */
export const copyable = (status: number): boolean => status === 200 || status === 203;

/** A success with nothing a copy keeps (a 204, a 202), not a part of the resource (206): the last copy under its key would show older data. */
export const supersedes = (status: number): boolean => status >= 200 && status < 300 && status !== 206;

const skip = (why: SkipReason, drop = false): CopyPlan => ({ store: false, why, drop });

/**
 * A Vary no request can be matched against: `*`, or a member that is no field name (RFC 9110 §5.1: a token) —
 * a character a token has not, or white space within a member (`x y`): no request header has that name.
 */
export const unmatchable = /\*|[^\s,!#$%&'+.^`|~\w-]|[^\s,]\s+[^\s,]/;

/** The lower-case header names a Vary value names, the `sensitive` ones aside: those whose request values a record keeps (copy.ts `write`). */
export const varyNames = (vary: string, sensitive: ReadonlySet<string>): string[] =>
	vary.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name && !sensitive.has(name));

/**
 * The freshness `Expires` − `Date` gives, in whole seconds (0 without one), at most 2^31 as a delta-seconds value (`seconds`:
 * a record holds no longer one, `isRecord`; `Expires` in the year 9999 is common for assets). Without a readable Date (a
 * browser's cross-origin fetch hides it: no CORS-safelisted header; or no HTTP-date) the time received
 * stands for it (RFC 9110 §6.6.1); an Expires that is no HTTP-date is already expired (RFC 9111 §5.3):
 * never the runtime's lenient `Date.parse` (`Expires: 3000` as the year 3000). A Date before the time received
 * counts from when the copy was made (`born`: now, less the `Age` it arrived with): never fresh past Expires by the client's
 * clock (RFC 9111 §4.2.3 counts a Date's lag as age; a server's clock reset to the year 2000 gave decades of freshness, and
 * with `stale-if-error` decades of serving), and a lag its Age tells counted once, as the copy's age (§4.2.3 takes the
 * greater of the two, not their sum: a cache on the way that kept the origin's Date and added `Age: 30` to an answer
 * whose Date is 30 s old and Expires 30 s ahead gave it 30 s more, not 0).
 * The Date is read only for an Expires that is a date (most answers have none).
 */
const expiresIn = (headers: HeaderReader, now: number, born: number): number => {
	const expires = httpDate(headers.get('expires'));
	const ms = Number.isNaN(expires) ? 0 : expires - Math.max(httpDate(headers.get('date')) || now, born);
	return ms > 0 ? Math.min(Math.floor(ms / 1000), 2 ** 31) : 0;
};

/**
 * An answer's freshness lifetime (s) received at `now`: from `s-maxage` (`shared`), `max-age` or `Expires` − `Date`. A
 * freshness directive present but invalid (`max-age=-1`) is stale (RFC 9111 §4.2.1), and Expires still ignored (§5.3).
 * Also what a stored record's own headers allow it (record.ts `limitOf`, at its `storedAt`). `born`: when it was made
 * (now, less its `Age`: `expiresIn`).
 */
export const lifetimeOf = (headers: HeaderReader, own: ReadonlyMap<string, string>, now: number, shared: boolean, born: number): number => {
	const directive = shared && own.has('s-maxage') ? 's-maxage' : 'max-age';
	return own.has(directive) ? seconds(own.get(directive)) ?? 0 : expiresIn(headers, now, born);
};

/** Whether an answer's copy may answer only while fresh: `must-revalidate`, `proxy-revalidate`, or `s-maxage` in a shared cache. */
const onlyFresh = (own: ReadonlyMap<string, string>, rules: CopyRules): boolean =>
	own.has('must-revalidate') || own.has('proxy-revalidate') || (rules.shared && own.has('s-maxage'));

/** Whether an answer's copy may answer only while fresh, or `stale-if-error` N s past it: the directives that can make it expired (`timingOf`). */
const revalidated = (own: ReadonlyMap<string, string>, rules: CopyRules): boolean => onlyFresh(own, rules) || own.has('stale-if-error');

/** Whether an answer's `Content-Length` is over `maxBodyBytes`: no copy of it is kept, and the last copy under its key goes. */
const oversized = (headers: HeaderReader, rules: CopyRules): boolean => Number(headers.get('content-length')) > rules.maxBodyBytes;

/**
 * An answer's timing (the plan's step 4): freshness from `s-maxage` (shared), `max-age` or `Expires` − `Date`, born `Age`
 * s before now, servable until freshness + `stale-if-error`, else `maxStaleMs` from now; only while fresh with
 * `must-revalidate`, `proxy-revalidate` or a shared cache's `s-maxage`.
 */
const timingOf = (headers: HeaderReader, own: ReadonlyMap<string, string>, now: number, rules: CopyRules): Timing => {
	// A list (caches on the way each added one, fetch joined them): its first member (RFC 9111 §5.1).
	const born = now - (seconds(headers.get('age')?.split(',', 1)[0]?.trim()) ?? 0) * 1000;
	const lifetime = lifetimeOf(headers, own, now, rules.shared, born);
	const freshUntil = born + lifetime * 1000;
	const staleIfError = seconds(own.get('stale-if-error'));
	const until = Math.min(
		staleIfError === undefined ? now + rules.maxStaleMs : freshUntil + staleIfError * 1000,
		onlyFresh(own, rules) ? freshUntil : Infinity,
	);
	return { lifetime, born, until };
};

/**
 * Whether an answer allows no copy, and drops the last (the plan's step 2): `no-store`, `no-cache`, a Vary no request is
 * matched against (`unmatchable`, or a `Referer` the request cannot show: `unshown`), `private` in a shared cache.
 */
const forbids = (request: CopyRequest, { headers, vary = headers.get('vary') }: CopyResponse, own: ReadonlyMap<string, string>, rules: CopyRules): boolean =>
	own.has('no-store') || own.has('no-cache') || unmatchable.test(vary ?? '') || request.unshown === true || (rules.shared && own.has('private'));

/**
 * The stale cache's copy decision (RFC 9111 §3 and §4.2, RFC 5861), a pure function of plain inputs;
 * its callers only carry it out (copy.ts). In this order:
 * 1. only a 200 or 203 is copied (another success but a 206 — a 204, a 202 — drops the last copy known under its key:
 *    the caller was told newer news; a 304 drops it when it allows no copy, as in 2, or no stale copy from now, as in 4),
 *    and never a request's with credentials in a shared cache;
 * 2. an answer `no-store`, `no-cache` (never servable without validation), `Vary: *` (or a member that is no
 *    field name: `x y`, or a `Referer` the browser sends for the page that the request cannot show: `unshown`), or `private`
 *    in a shared cache is not copied and the last copy under its key goes (`drop`);
 * 3. a key copied less than 1 s ago is not copied again (one that allows no copy from now on drops it, as in 4, and so does a
 *    `Content-Length` over `maxBodyBytes`, as in 5), nor an unchanged answer (`signature`: a
 *    validator, and the same `Cache-Control`; without a validator a body of the same length may differ) before the last copy's `renew`;
 *    a last copy made after now (the clock was set back since) is no reason to skip either;
 * 4. its timing: freshness from `s-maxage` (shared), `max-age` (one present but invalid: none) or `Expires` − `Date` (the time
 *    received when `Date` is absent or unreadable, the copy's birth when it is before that; no heuristic freshness), born `Age` s before now (a list's first); servable until freshness + `stale-if-error=N` s, else
 *    `maxStaleMs` from now; with `must-revalidate`, `proxy-revalidate` (in every cache: stricter than
 *    RFC 9111 for a private one) or `s-maxage` in a shared cache, only while fresh — not copied when
 *    that is not after now, and the last copy known under its key goes (`drop`: the newest answer allows no stale copy);
 * 5. a `Content-Length` over `maxBodyBytes` is not copied, and the last copy known under its key goes (the body is read
 *    capped too: one over it drops the last copy as it is written, copy.ts `write`);
 * 6. a request `Cache-Control: no-store` is not copied (after 4 and 5: an answer that allows no copy, or too large, drops
 *    the last copy for it too).
 * The `Set-Cookie` of a copied answer is never stored (copy.ts `write`).
 */
export const copyPlan = (request: CopyRequest, response: CopyResponse, lastCopy: LastCopy | undefined, now: number, rules: CopyRules): CopyPlan => {
	const { status, headers } = response;
	// A 304 (the app's own conditional request) updates the stored copy's headers (RFC 9111 §4.3.4): one that allows no copy
	// drops it, as step 2 (`forbids`), and so does one that allows no stale copy from now (`must-revalidate` and stale,
	// `stale-if-error=0`: its timing as it gives it, as step 4's `expired`); any other leaves it (a request with credentials in
	// a shared cache has no key: nothing to drop).
	if (status === 304) {
		const own = directives(headers.get('cache-control'));
		return request.credentials && rules.shared ? skip('status') : forbids(request, response, own, rules) ? skip('forbidden', true)
			: revalidated(own, rules) && timingOf(headers, own, now, rules).until <= now ? skip('expired', true) : skip('status');
	}

	if (!copyable(status)) {
		return skip('status', supersedes(status) && lastCopy !== undefined);
	}

	if (request.credentials && rules.shared) {
		return skip('credentials');
	}

	const cacheControl = headers.get('cache-control');
	const own = directives(cacheControl);
	if (forbids(request, response, own, rules)) {
		return skip('forbidden', true);
	}

	// A last copy made after now (`at` ahead: the clock was set back since, by NTP or a corrected device clock) tells nothing of
	// how recent it is: the answer is copied, not skipped until the clock is back there (that copy, stored ahead of the clock, never answers: record.ts).
	const since = lastCopy === undefined ? undefined : now - lastCopy.at;
	if (since !== undefined && since >= 0 && since < onceMs) {
		// Not copied again — but one that allows no copy from now on drops the last (as `expired` below): it is only read for
		// an answer that says `must-revalidate`, `proxy-revalidate`, `stale-if-error` or, in a shared cache, `s-maxage`; and so
		// does one too large to keep (as `size` below): the caller has newer data than the last copy.
		return revalidated(own, rules) && timingOf(headers, own, now, rules).until <= now ? skip('expired', true) : oversized(headers, rules) ? skip('size', true) : skip('recent');
	}

	const validator = signature(status, headers.get('etag') ?? headers.get('last-modified'), cacheControl);
	if (lastCopy?.copied !== undefined && validator === lastCopy.copied.signature && now < lastCopy.copied.renew && since! >= 0) {
		return skip('unchanged');
	}

	const timing = timingOf(headers, own, now, rules);
	const { until } = timing;
	if (until <= now) {
		// The newest answer says no copy of it may answer from now (`must-revalidate` and stale, `stale-if-error=0`): nor may an
		// older one. Only a copy the client knows of, or may not know of (`lastCopy`: copy.ts), is dropped: such answers are
		// common, and a drop lists the store.
		return skip('expired', lastCopy !== undefined);
	}

	if (oversized(headers, rules)) {
		// The caller sees an answer newer than the last copy, which would take it back in time on a later failure: it goes too.
		return skip('size', lastCopy !== undefined);
	}

	// Asked last: an answer that allows no copy, or one too large, drops the last copy even for a request that forbids storing it.
	if (directives(request.headers.get('cache-control')).has('no-store')) {
		return skip('request');
	}

	return { store: true, timing, copied: validator === undefined ? undefined : { signature: validator, renew: now + Math.min(renewMs, (until - now) / 2) } };
};
