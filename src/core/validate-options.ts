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

const validKey = (key: unknown): boolean =>
	key === undefined || key === true || (typeof key === 'string' && key.length > 0 && key.length <= 255 && /^[\x20-\x7e]+$/.test(key));

/**
 * Check one call's options before any I/O. Returns the `InvalidRequestError` to reject with, or
 * `undefined`. Cheap on the common path: a call without these options pays a few property reads.
 */
export const checkCallOptions = (_input: unknown, options: Record<string, unknown>): InvalidRequestError | undefined => {
	if (typeof options !== 'object' || options === null) {
		return new InvalidRequestError(`The options of a call must be an object; got ${typeof options}`);
	}

	try {
		if (options.timeout !== undefined || options.totalTimeout !== undefined || options.retry !== undefined) {
			checkTimeouts(options as KyOptions);
		}

		const key = options['idempotencyKey'];
		if (key !== undefined) {
			check(validKey(key), 'idempotencyKey', key, 'true or a non-empty string of at most 255 printable ASCII characters');
		}
	} catch (error) {
		return new InvalidRequestError((error as Error).message, { cause: error });
	}

	return undefined;
};

/** Throws a TypeError, as ky does, for client options that are not an object. */
export const checkOptionsObject = (options: unknown): void => {
	if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
		throw new TypeError("The `options` argument must be an object");
	}
};

/** `waitForHealthy`'s `timeoutMs` (ms, default 30 000): a rejected `InvalidRequestError` for a bad one. */
export const waitTimeoutOf = (options: { timeoutMs?: number } | undefined): number => {
	const { timeoutMs = 30_000 } = options ?? {};
	if (!(typeof timeoutMs === 'number' && timeoutMs >= 0 && Number.isFinite(timeoutMs))) {
		throw new InvalidRequestError(`\`timeoutMs\` must be a non-negative finite number of ms; got ${String(timeoutMs)}`);
	}

	return timeoutMs;
};
