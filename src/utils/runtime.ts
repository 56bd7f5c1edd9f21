export { sensitiveSet } from './sensitive.js';

/** Whether this runtime ends I/O with the request that started it (Cloudflare Workers). */
export const requestScoped = (): boolean => typeof navigator !== 'undefined' && navigator.userAgent === 'Cloudflare-Workers';

/** IMF-fixdate, RFC 850 (its weekday spelled out, a two-digit year) and asctime (RFC 9110 §5.6.7). */
const httpDateForms = /^[A-Z][a-z]{2}(?:(?:[a-z]{3,6}, \d\d-[A-Z][a-z]{2}-\d\d|, \d\d [A-Z][a-z]{2} \d{4}) \d\d:\d\d:\d\d GMT| [A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d \d{4})$/;

/**
 * An HTTP-date (RFC 9110 §5.6.7) in epoch ms, `NaN` for anything else: an IMF-fixdate, an RFC 850 date
 * or an asctime date (GMT too, though it does not say so), whose day is one (not 30 February). Never a
 * time the runtime's lenient `Date.parse` makes of another form (`3000` as the year 3000, `Sun, 3000
 * 00:00:00 GMT`, an ISO date, 30 February as 2 March, an asctime date as local time).
 */
export const httpDate = (value: string | null | undefined): number => {
	const text = value?.trim() ?? '';
	if (!httpDateForms.test(text)) {
		return Number.NaN; // No date, or none of the three forms (most answers have no Expires: this is their path).
	}

	const ms = Date.parse(text.endsWith('T') ? text : `${text} GMT`);
	// Its first number is its day of the month: not so for a day that is none (30 February, read as 2 March).
	return new Date(ms).getUTCDate() === Number(/\d+/.exec(text)![0]) ? ms : Number.NaN;
};

/**
 * One `Retry-After` value in ms from `now`: delay-seconds or an HTTP date (`httpDate`), read as ky reads
 * it; a date in the past is 0, a huge one finite. `undefined` when absent or malformed (a negative
 * or fractional number, a date in another form, a list: see `parseRetryAfter`).
 */
export const retryAfterOf = (value: string | null | undefined, now: number): number | undefined => {
	const text = value?.trim();
	if (text && /^\d+$/.test(text)) {
		// Never `Infinity` (400 digits), which a Durable Object coordinator's JSON would carry as null: no wait at all.
		return Math.min(Number(text) * 1000, 1e300);
	}

	const date = httpDate(text);
	return Number.isNaN(date) ? undefined : Math.max(0, date - now);
};

/**
 * A `Retry-After` field in ms from `now` (`retryAfterOf`); one sent twice (by the origin and a proxy: one
 * comma-joined value, `5, 5`) is read whole, the longest wait it says kept, which ky reads as malformed.
 * `undefined` when absent or malformed (one malformed value in a list too).
 */
export const parseRetryAfter = (value: string | null | undefined, now: number): number | undefined => {
	let longest: number | undefined;
	// A date's own comma follows its weekday: each other comma separates two values.
	for (const text of (value ?? '').split(/,(?! \d\d[ -][A-Z])/)) {
		const ms = retryAfterOf(text, now);
		if (ms === undefined) {
			return undefined;
		}

		longest = Math.max(longest ?? 0, ms);
	}

	return longest;
};

/**
 * A quota's reset as a rate-limit field gives it (`RateLimit`'s `reset`/`t`, `RateLimit-Reset`, `X-RateLimit-Reset`), in ms
 * from `now`: delta-seconds; epoch seconds when past 10⁹ (31 years: no delta a server means); epoch ms when past 10¹² (as
 * epoch seconds the year 33658: no time a server means, and some send ms), one already past being 0. The rule of every
 * reader of a reset field (the rate limiter, hedge's pause); `serverDelay` alone reads it as ky does (its epoch seconds
 * from 2024 on, no ms), for it tells the delay ky itself takes.
 */
export const resetMsOf = (seconds: number, now: number): number => seconds > 1e9 ? Math.max(0, (seconds > 1e12 ? seconds : seconds * 1000) - now) : seconds * 1000;

/** The headers ky reads a retry's delay from, in the order it reads them (the first present decides). */
export const retryTiming = ['retry-after', 'ratelimit-reset', 'x-ratelimit-retry-after', 'x-ratelimit-reset', 'x-rate-limit-reset'];

/**
 * A random UUID (version 4): `crypto.randomUUID()`, which a page over plain http (an insecure context)
 * lacks, as it lacks `crypto.subtle`; there one made of `crypto.getRandomValues`, which every runtime has.
 */
export const randomUuid = (): string =>
	// Each 0, 1 and 8 of the template a random hex digit (8: 8 to b, the variant), the 4 the version.
	crypto.randomUUID?.() ?? '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (digit) => (+digit ^ (crypto.getRandomValues(new Uint8Array(1))[0]! & (15 >> (+digit / 4)))).toString(16));

/**
 * `new Request(input, init)`, held by the signal it follows (`init.signal`, else `input`'s) until `release()`.
 * Node's `fetch` (undici) lets a Request made with a signal, or from another Request, follow that signal only
 * while something else holds the new Request: a custom `fetch` that waits on nothing but the signal (an app's
 * mock, a test's) holds it through that signal alone, and after a GC the abort never reached it (a hedge's
 * loser hung, a shared request went on after its callers left). `release()` once its attempt settled, or the
 * source (a caller's signal, shared by many calls) would hold it as long as itself.
 */
export const heldRequest = (input: RequestInfo | URL, init: RequestInit): [request: Request, release: () => void] => {
	const request = new Request(input, init);
	const source = init.signal ?? (input as Partial<Request>).signal;
	const hold = (): Request => request;
	source?.addEventListener('abort', hold, { once: true });
	return [request, () => source?.removeEventListener('abort', hold)];
};
