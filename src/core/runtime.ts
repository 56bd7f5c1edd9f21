import { check } from './validate.js';

/**
 * Whether the runtime says it is offline (`navigator.onLine === false`, browsers). `onLine === true`
 * alone proves nothing, and runtimes without `navigator.onLine` are never "offline" here.
 */
export const isOffline = (): boolean => typeof navigator !== 'undefined' && (navigator as { onLine?: boolean }).onLine === false;

/** Headers that carry credentials: never stored by the outbox, a partition key (by hash) for the cache. */
const credentialHeaders: readonly string[] = ['authorization', 'cookie', 'proxy-authorization'];

const token = /^[!#$%&'*+.^_`|~\w-]+$/;

/**
 * The lower-case header names an option (`cache.sensitiveHeaders`, `outbox.sensitiveHeaders`) marks
 * sensitive, plus the credential headers, which are sensitive whatever it says. Throws a RangeError
 * naming the option and the value for anything but an array of header names.
 */
export const sensitiveSet = (option: string, names: unknown): ReadonlySet<string> => {
	check(Array.isArray(names), option, names, 'an array of header names');
	for (const name of names as unknown[]) {
		check(typeof name === 'string' && token.test(name), option, name, 'a header name');
	}

	return new Set([...credentialHeaders, ...(names as string[]).map((name) => name.toLowerCase())]);
};

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
