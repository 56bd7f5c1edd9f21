import type { Options as KyOptions } from 'ky';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { check, isNonNegativeFinite, isNonNegativeInteger } from './validate.js';

/** Throws a RangeError naming the option for a bad `timeout`, `totalTimeout` or `retry` limit. */
export const checkTimeouts = (options: KyOptions): void => {
	for (const key of ['timeout', 'totalTimeout'] as const) {
		const value = options[key];
		if (value !== undefined && value !== false) {
			check(isNonNegativeFinite(value), key, value, 'a non-negative finite number of ms or false');
		}
	}

	const { retry } = options;
	const limit = typeof retry === 'number' ? retry : retry?.limit;
	if (limit !== undefined) {
		check(isNonNegativeInteger(limit), 'retry.limit', limit, 'a non-negative integer');
	}
};

/**
 * `cache` is fetch's own `RequestCache` (a string): an object or `false` there is most likely meant
 * for the stale cache, whose key is `staleCache`. Throws a TypeError that says so.
 */
export const checkCacheMode = (cache: unknown): void => {
	if (cache !== undefined && typeof cache !== 'string') {
		throw new TypeError(`\`cache\` is fetch's RequestCache mode (a string such as 'no-store'); the stale cache is configured with \`staleCache\` (got ${cache === false ? 'false' : typeof cache})`);
	}
};

const validKey = (key: unknown): boolean =>
	key === undefined || key === true || (typeof key === 'string' && key.length > 0 && key.length <= 255 && /^[\x20-\x7e]+$/.test(key));

/**
 * Check one call's options before any I/O. Returns the `InvalidRequestError` to reject with, or
 * `undefined`. Cheap on the common path: a call without these options pays a few property reads.
 */
export const checkCallOptions = (options: Record<string, unknown>): InvalidRequestError | undefined => {
	try {
		if (typeof options !== 'object' || options === null) {
			throw new TypeError(`The options of a call must be an object; got ${typeof options}`);
		}

		if (options['timeout'] !== undefined || options['totalTimeout'] !== undefined || options['retry'] !== undefined) {
			checkTimeouts(options as KyOptions);
		}

		checkCacheMode(options['cache']);
		const { idempotencyKey, staleCache, waitUntil } = options;
		check(validKey(idempotencyKey), 'idempotencyKey', idempotencyKey, 'true or a non-empty string of at most 255 printable ASCII characters');
		check(staleCache === undefined || staleCache === false, 'staleCache', staleCache, 'false (per call) or left out');
		check(waitUntil === undefined || typeof waitUntil === 'function', 'waitUntil', waitUntil, 'a function (ctx.waitUntil)');
	} catch (error) {
		return new InvalidRequestError((error as Error).message, { cause: error });
	}

	return undefined;
};

/** Throws a TypeError, as ky does, for client options that are not an object. */
export const checkOptionsObject = (options: unknown): void => {
	if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
		throw new TypeError('The `options` argument must be an object');
	}
};
