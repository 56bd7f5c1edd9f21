import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { check, isNonNegativeFinite, isNonNegativeInteger, isPositiveFinite } from '../shared/validate.js';

/**
 * The type each of these options must have when given (ky's, and the call's `waitUntil`): with
 * another, ky or fetch would throw (synchronously, or later as a TypeError that `classify()` calls
 * `NETWORK`). ky checks the others
 * itself when it builds the request (`stringifyJson`, `onUploadProgress`, `retry.statusCodes`, …).
 */
const types: Record<string, string> = {
	method: 'string', fetch: 'function', parseJson: 'function', onDownloadProgress: 'function', waitUntil: 'function',
	'retry.delay': 'function', 'retry.shouldRetry': 'function', 'retry.backoffLimit': 'number', 'retry.maxRetryAfter': 'number',
};

const typed = (options: object, prefix: string): void => {
	for (const key in options) {
		const type = types[prefix + key];
		const value = (options as Record<string, unknown>)[key];
		if (type && value !== undefined) {
			check(typeof value === type, prefix + key, value, `a ${type}`);
		}
	}
};

const hookNames = ['init', 'beforeRequest', 'beforeRetry', 'beforeError', 'afterResponse'];
const isList = (value: unknown, type: string): boolean => Array.isArray(value) && value.every((item) => typeof item === type);

/**
 * Throws a RangeError naming the option for a value of one of ky's options of the wrong type or out
 * of range (`timeout`, `retry.limit`, `retry.methods`, `fetch`, a hook that is not a function…), a
 * TypeError for a `cache` mode fetch does not know. At `createClient` and for each call: only the
 * keys given are looked at, so a call with few options pays little.
 */
export const checkKyOptions = (options: Record<string, unknown>): void => {
	typed(options, '');
	for (const key of ['timeout', 'totalTimeout']) {
		const value = options[key];
		if (value !== undefined && value !== false) {
			check(isNonNegativeFinite(value), key, value, 'a non-negative finite number of ms or false');
		}
	}

	const { retry, hooks } = options as { retry?: { limit?: unknown; methods?: unknown }; hooks?: Record<string, unknown> };
	if (retry !== undefined) {
		check(typeof retry === 'number' || (typeof retry === 'object' && retry !== null), 'retry', retry, 'a number or an object');
		const limit = typeof retry === 'number' ? retry : retry.limit;
		if (limit !== undefined) {
			check(isNonNegativeInteger(limit), 'retry.limit', limit, 'a non-negative integer');
		}

		check(retry.methods === undefined || isList(retry.methods, 'string'), 'retry.methods', retry.methods, 'an array of strings');
		typed(retry, 'retry.');
	}

	// ky's hook lists by name (a `replaceOption()` marker is ky's to read).
	for (const name of hooks ? hookNames : []) {
		const list = hooks![name];
		check(list === undefined || isList(list, 'function'), `hooks.${name}`, list, 'an array of functions');
	}

	checkCacheMode(options['cache']);
};

const modes = /^(?:default|no-store|reload|no-cache|force-cache|only-if-cached)$/;

/**
 * `cache` is fetch's own `RequestCache` mode (a string fetch accepts): an object or `false` there is
 * most likely meant for the stale cache, whose key is `staleCache`; a mode fetch does not know
 * (`'bogus'`, `'NO-STORE'`) would fail every call. Throws a TypeError that says so.
 */
export const checkCacheMode = (cache: unknown): void => {
	if (cache !== undefined && !modes.test(cache as string)) {
		throw new TypeError(`\`cache\` is fetch's RequestCache mode (as 'no-store'); the stale cache is configured with \`staleCache\` (got ${typeof cache === 'string' ? JSON.stringify(cache) : cache === false ? 'false' : typeof cache})`);
	}
};

const validKey = (key: unknown): boolean =>
	key === undefined || key === true || (typeof key === 'string' && key.length > 0 && key.length <= 255 && /^[\x20-\x7e]+$/.test(key));

/**
 * Check one call's options before any I/O. Returns the `InvalidRequestError` to reject with, or
 * `undefined`. Cheap on the common path: only the keys a call gives are looked at.
 */
export const checkCallOptions = (options: Record<string, unknown>): InvalidRequestError | undefined => {
	try {
		if (typeof options !== 'object' || options === null) {
			throw new TypeError(`The options of a call must be an object; got ${typeof options}`);
		}

		checkKyOptions(options);
		const { idempotencyKey, staleCache } = options;
		check(validKey(idempotencyKey), 'idempotencyKey', idempotencyKey, 'true or a non-empty string of at most 255 printable ASCII characters');
		const deadline = (staleCache as { networkTimeoutMs?: unknown } | null | undefined)?.networkTimeoutMs;
		check(staleCache === undefined || staleCache === false || (typeof staleCache === 'object' && staleCache !== null && !Array.isArray(staleCache)), 'staleCache', staleCache, 'false or { networkTimeoutMs } (per call), or left out');
		check(deadline === undefined || deadline === false || isPositiveFinite(deadline), 'staleCache.networkTimeoutMs', deadline, 'a positive finite number of ms or false');
	} catch (error) {
		return new InvalidRequestError((error as Error).message, { cause: error });
	}

	return undefined;
};

/**
 * ky's `stringifyJson` (the given one, else `JSON.stringify`, as ky falls back) made to answer a
 * string: a `json` body it cannot serialize (a function, a Symbol, a `toJSON` that returns
 * undefined) throws a TypeError when ky builds the request, before any I/O (the call rejects with
 * `InvalidRequestError`), instead of sending `application/json` with an empty body. ky calls it
 * once per call: nothing is serialized twice.
 */
export const stringifying = (own?: unknown) => (value: unknown): string => {
	const text = (own as ((value: unknown) => string) | undefined)?.(value) ?? JSON.stringify(value);
	if (typeof text !== 'string') {
		throw new TypeError('The `json` body cannot be serialized');
	}

	return text;
};

/** A header name as fetch takes it (RFC 9110 token). */
const headerName = /^[!#$%&'*+.^_`|~\w-]+$/;

const stringList = (value: unknown): boolean => value === undefined || (Array.isArray(value) && value.every((item) => typeof item === 'string'));

/** Throws a RangeError naming the option for a bad value of one of ky's options or the core's own (`storageTimeoutMs`, `deadlineHeader`, the sensitive lists), at `createClient`. */
export const checkClientOptions = (options: Record<string, unknown>): void => {
	checkKyOptions(options);
	const { storageTimeoutMs, sensitiveParams, sensitiveHeaders, deadlineHeader } = options;
	check(storageTimeoutMs === undefined || isPositiveFinite(storageTimeoutMs), 'storageTimeoutMs', storageTimeoutMs, 'a positive finite number of ms');
	check(deadlineHeader === undefined || (typeof deadlineHeader === 'string' && headerName.test(deadlineHeader)), 'deadlineHeader', deadlineHeader, 'a header name');
	check(stringList(sensitiveParams), 'sensitiveParams', sensitiveParams, 'an array of strings');
	check(stringList(sensitiveHeaders), 'sensitiveHeaders', sensitiveHeaders, 'an array of strings');
};

/** Throws a TypeError, as ky does, for client options that are not an object. */
export const checkOptionsObject = (options: unknown): void => {
	if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
		throw new TypeError('The `options` argument must be an object');
	}
};
