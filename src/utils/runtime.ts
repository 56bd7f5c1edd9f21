export { sensitiveSet } from './sensitive.js';

/** Whether this runtime ends I/O with the request that started it (Cloudflare Workers). */
export const requestScoped = (): boolean => typeof navigator !== 'undefined' && navigator.userAgent === 'Cloudflare-Workers';

/**
 * A `Retry-After` value in ms from `now`: delay-seconds or an HTTP date (RFC 9110 §10.2.3); a date
 * in the past is 0. `undefined` when absent or malformed.
 */
export const parseRetryAfter = (value: string | null | undefined, now: number): number | undefined => {
	const text = value?.trim();
	if (!text) {
		return undefined;
	}

	if (/^\d+$/.test(text)) {
		return Number(text) * 1000;
	}

	const date = Date.parse(text);
	return Number.isNaN(date) ? undefined : Math.max(0, date - now);
};
