export { sensitiveSet } from './sensitive.js';

/** Whether this runtime ends I/O with the request that started it (Cloudflare Workers). */
export const requestScoped = (): boolean => typeof navigator !== 'undefined' && navigator.userAgent === 'Cloudflare-Workers';

/**
 * A `Retry-After` value in ms from `now`: delay-seconds or an HTTP date (RFC 9110 §10.2.3), read
 * as ky reads it; a date in the past is 0. `undefined` when absent or malformed: anything else (a
 * negative or fractional number, a date in another form) is malformed, never a time the runtime's
 * lenient `Date.parse` makes of it (`in 3000` as the year 3000, an asctime date as local time).
 */
export const parseRetryAfter = (value: string | null | undefined, now: number): number | undefined => {
	const text = value?.trim();
	if (!text) {
		return undefined;
	}

	if (/^\d+$/.test(text)) {
		return Number(text) * 1000;
	}

	// An HTTP-date (RFC 9110 §5.6.7) starts with the day's name and ends with the time and GMT
	// (IMF-fixdate, RFC 850), or the time and the year (asctime: GMT too, though it does not say so).
	const end = /^[A-Z][a-z]{2}.* \d\d:\d\d:\d\d( GMT| \d{4})$/.exec(text)?.[1];
	const date = Date.parse(end === ' GMT' ? text : `${text} GMT`);
	return end && !Number.isNaN(date) ? Math.max(0, date - now) : undefined;
};
