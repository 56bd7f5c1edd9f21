import { headerShown, splitSensitive, withoutUserinfo } from '../utils/sensitive.js';
import { directives, seconds } from './cache-control.js';
import { copyable, lifetimeOf, unmatchable, varyNames, type Timing } from './copy-plan.js';
import { outdated, urlOf } from './keys.js';
import type { CacheState } from './state.js';

/**
 * A stored copy: a plain, versioned, structured-clonable object, under the key
 * `r:<identity digest>~<credentials digest>~<URL>` (see `keys.ts`).
 */
export interface CacheRecord extends Timing {
	v: 2;
	/** The request URL, sensitive query values removed. */
	url: string;
	/**
	 * The path the origin finally answered from (`pathOf` a redirected answer's `Response.url`, without userinfo), when it
	 * is not `url`'s own: a write delivered to it removes the copy too (read your own writes: `GET /me` answered from `/users/42`).
	 */
	final?: string;
	/** When it arrived (epoch ms, injected clock). */
	storedAt: number;
	status: number;
	statusText: string;
	/** Response headers, without cookies, credentials and what no longer describes the stored body; the URLs they name without userinfo and sensitive query values. */
	headers: [string, string][];
	/** The request headers the response's `Vary` names (credential headers aside: the partition holds them), as they were. */
	vary: [string, string | null][];
	body: ArrayBuffer;
}

/**
 * Whether fetch takes what a record holds: its headers, the names (and values) of the request headers
 * its Vary named, its status text. One it refuses would fail every serve of it.
 */
const fetchTakes = ({ status, statusText, headers, vary }: CacheRecord): boolean => {
	try {
		return new Response(null, { status, statusText, headers: [...headers, ...vary.map(([name, value]): [string, string] => [name, value ?? ''])] }).ok;
	} catch {
		return false;
	}
};

/**
 * Whether `list` is a list of name-value pairs of strings (`vary`: a value may be `null`, a header the request had not), at
 * most 256 of them (`bounded`'s count, checked first: a stored list of a million is not walked on a request's path).
 */
const pairs = (list: unknown, vary?: boolean): boolean =>
	Array.isArray(list) && list.length <= 256 && list.every((pair) => Array.isArray(pair) && pair.length === 2 && [pair[0], vary && pair[1] === null ? '' : pair[1]].every((text) => typeof text === 'string'));

/**
 * Whether a record's head is within what a response's is (copy.ts `write` keeps no other; an answer over them is not
 * stored): a status text of at most 1,024 characters (a reason phrase is a few words), at most 256 header fields (its
 * headers and the request headers its Vary names together), and at most 65,536 characters of their names and values
 * (and of its `final` path) —
 * not a store's (or another build's) head of any size handed to the app at each serve.
 */
export const bounded = ({ statusText, headers, vary, final = '' }: Pick<CacheRecord, 'statusText' | 'headers' | 'vary' | 'final'>): boolean => {
	if (statusText.length > 1024 || headers.length + vary.length > 256) {
		return false;
	}

	// Counted in place: this runs on every copy written (a never-seen URL's call), so no list is made for it. The path it
	// was finally answered from counts as a header's value.
	let size = final.length;
	for (const [name, value] of headers) {
		size += name.length + value.length;
	}

	for (const [name, value] of vary) {
		size += name.length + (value?.length ?? 0);
	}

	return size <= 65_536;
};

/**
 * Whether a value read from storage is a record this version can serve (another tab, an older build
 * or a broken store may have written it): of the shape `write` gives (a freshness lifetime in whole
 * seconds, at most 2^31; made no later than stored, by at most 2^31 s; strings where it writes strings, which fetch would take anything
 * for; header names in lower case, once each, as fetch shows them: `limitOf` reads its `cache-control` so), `bounded`, and one fetch takes.
 */
export const isRecord = (value: unknown): value is CacheRecord => {
	const record = value as Partial<CacheRecord> | undefined;
	return record?.v === 2 && typeof record.url === 'string' && typeof record.statusText === 'string' && (record.final === undefined || typeof record.final === 'string')
		&& [record.storedAt, record.born, record.until].every(Number.isFinite)
		// Made before it arrived, by an Age an answer gives (at most 2^31 s, as its lifetime): else its Age and ttl would call any copy new, or
		// be no whole seconds (`Age: 1e+297`).
		&& record.born! <= record.storedAt! && record.storedAt! - record.born! <= 2 ** 31 * 1000
		&& Number.isSafeInteger(record.lifetime) && record.lifetime! >= 0 && record.lifetime! <= 2 ** 31
		&& copyable(record.status!) // Only the statuses a copy is taken of are stored.
		&& pairs(record.headers) && pairs(record.vary, true) && bounded(record as CacheRecord)
		&& new Set(record.headers!.map(([name]) => name)).size === record.headers!.length && !record.headers!.some(([name]) => /[A-Z]/.test(name))
		&& Object.prototype.toString.call(record.body) === '[object ArrayBuffer]'
		&& fetchTakes(record as CacheRecord);
};

/**
 * Whether a record is not one `write` gives (copy.ts), so never served: it holds a header the cache never stores
 * (`unkept`: the credential headers, `Set-Cookie`, `Set-Cookie2`, `Authentication-Info` and `Proxy-Authentication-Info`
 * included, the client's `sensitiveHeaders`, and
 * those that no longer describe the stored, decoded body — `Content-Length`, `Content-Encoding`, `Transfer-Encoding`,
 * which a copy served would carry over bytes they do not describe), or a header or its status text naming a URL with userinfo
 * or a sensitive query value (`headerShown`: a copy keeps neither), or its Vary's holds a sensitive one (`sensitive`),
 * or a Vary value with userinfo or a sensitive query value (`params`; the cache keeps them
 * without: copy.ts `varied`); or its Vary is one no request is matched against (`Vary: *`, a member that is no field
 * name: `copyPlan` keeps no copy of it), or names a header (not a sensitive one) whose request value it does not keep.
 */
export const foreign = ({ statusText, headers, vary }: CacheRecord, { unkept, sensitive, params }: Pick<CacheState, 'unkept' | 'sensitive' | 'params'>): boolean =>
	headerShown(statusText, params) !== statusText || headers.some(([name, value]) => unkept.has(name.toLowerCase()) || headerShown(value, params) !== value) || vary.some(([name, value]) => sensitive.has(name.toLowerCase()) || (value !== null && splitSensitive(withoutUserinfo(value), params).redacted !== value))
	|| headers.some(([name, value]) => /^vary$/i.test(name) && (unmatchable.test(value) || varyNames(value, sensitive).some((named) => !vary.some(([kept]) => kept === named))));

/** A record's value of a response header (lower-case `name`: `isRecord` keeps no other), or undefined. */
const headerOf = (record: CacheRecord, name: string): string | undefined => record.headers.find(([each]) => each === name)?.[1];

/**
 * A record's freshness lifetime (s): its `lifetime`, never longer than its own headers make it, received when stored
 * (`max-age`, `s-maxage` in a shared cache, `Expires` − `Date`): a record (another build's, a tampered store) may claim
 * any (2^31 s with `stale-if-error=60` and no `max-age` was served for 68 years, past `maxStaleMs`; its `ttl` said it fresh).
 * What its limit (`limitOf`) and the `ttl` of its stale answer (serve.ts) count from.
 */
export const freshFor = (record: CacheRecord, shared: boolean): number => {
	const headers = { get: (name: string) => headerOf(record, name) };
	return Math.min(record.lifetime, lifetimeOf(headers, directives(headers.get('cache-control')), record.storedAt, shared, record.born));
};

/**
 * The last moment a record's copy may answer (epoch ms): its `until`, and never later than its own headers allow (a
 * record `write` did not give may hold any `until` and `lifetime`): with a valid `stale-if-error`, which overrides `maxStaleMs` both
 * ways, freshness (at most what its headers give, as received when stored) + N s; else `maxStaleMs` from when it was stored, whatever it was stored under (an older build's,
 * another tab's); with `must-revalidate`, `proxy-revalidate` or, in a shared cache, `s-maxage`, only while fresh.
 */
const limitOf = (record: CacheRecord, { maxStaleMs, shared }: CacheState): number => {
	const own = directives(headerOf(record, 'cache-control'));
	const fresh = record.born + freshFor(record, shared) * 1000;
	const staleIfError = seconds(own.get('stale-if-error'));
	return Math.min(record.until, staleIfError === undefined ? record.storedAt + maxStaleMs : fresh + staleIfError * 1000,
		own.has('must-revalidate') || own.has('proxy-revalidate') || (shared && own.has('s-maxage')) ? fresh : Infinity);
};

/**
 * How far ahead of the clock a copy's `storedAt` may be and still count as stored now: the clocks of
 * two tabs or isolates (workerd's advances only with I/O). Further ahead, the clock was set back since
 * it was stored: its age is unknown, so it is not served (else it would be, `maxStaleMs` past the
 * time it claims).
 */
const skewMs = 60_000;

/**
 * Whether a value read under the key `stored` is a record `write` gives (not `foreign`), of the URL its key names (not another's, nor one holding a sensitive value `response.url` and `cache:stale` would show),
 * without userinfo (nor in its `final` path) (no request has one, fetch refuses it: a record of such a URL was planted, and `cache.list()` would show its password).
 */
export const readable = (cache: CacheState, stored: string, record: unknown): record is CacheRecord =>
	isRecord(record) && record.url === urlOf(stored) && ![record.url, record.final ?? ''].some((url) => /^[^/?#]*\/\/[^/?#]*@/.test(url)) && !foreign(record, cache);

/**
 * Whether a value read under the key `stored` is a copy `serve` may answer with at `now` (a request's Vary and the
 * call's world aside): `readable`, its body within the client's `maxBodyBytes` (another build's, tab's or configuration's
 * copy may hold more than it keeps: it goes, as one past its limit), within its limit, not stored ahead of the clock, not stored before a write of its
 * path was delivered (read your own writes), nor before a newer answer of its key that allowed no copy (`View.overtake`: another tab's copy). What `cache.list()` shows and the outbox's `conditional` writes take
 * their validator from (members.ts): no copy `serve` refuses.
 */
export const usable = (cache: CacheState, stored: string, record: unknown, now: number): record is CacheRecord =>
	readable(cache, stored, record) && record.body.byteLength <= cache.maxBodyBytes && now <= limitOf(record, cache) && now >= record.storedAt - skewMs && !outdated(cache, record)
	&& record.storedAt >= cache.view.overtakenAt(stored);
