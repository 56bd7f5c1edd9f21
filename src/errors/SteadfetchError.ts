import { isObject } from '../utils/validate.js';

/**
 * Error codes the policies add, keyed by the code, by declaration merging (as `EventMap`):
 * `declare module 'steadfetch/core' { interface ErrorCodes { AUDIT_REFUSED: true } }`; the error
 * extends `SteadfetchError` with that code and its own `transient`, and `classify()` reports both.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging
export interface ErrorCodes {}

/**
 * Every code a `SteadfetchError`, `classify()` or an event can carry. `CONFLICT` (not transient) is
 * an outbox replay answered 412, or 409 with a precondition: the `lastError.code` of its dead letter.
 * `OFFLINE` and `BEHIND` say why the outbox held a write before any I/O (`outbox:queued`): the runtime
 * is offline, or older writes of its scope are waiting (FIFO).
 */
export type SteadfetchErrorCode =
	| 'TIMEOUT' | 'NETWORK' | 'HTTP_408' | 'HTTP_429' | 'HTTP_5XX' | 'HTTP_4XX' | 'ABORTED'
	| 'CIRCUIT_OPEN' | 'QUEUED' | 'OUTBOX_FULL' | 'INVALID_REQUEST' | 'BULKHEAD_FULL' | 'RATE_LIMITED' | 'THROTTLED'
	| 'AUTH_FAILED' | 'CONFLICT' | 'OFFLINE' | 'BEHIND' | 'CLIENT_CLOSED' | 'OUTBOX_DISABLED' | 'OUTBOX_NOT_FOUND' | 'UNKNOWN'
	| (keyof ErrorCodes & string);

/**
 * Base class of every error steadfetch creates. ky's own errors (`HTTPError`, `TimeoutError`,
 * `NetworkError`) are thrown as ky throws them and do not extend this class.
 */
export class SteadfetchError extends Error {
	override name: string = 'SteadfetchError';
	/** Stable machine-readable code, e.g. `CIRCUIT_OPEN`. */
	declare readonly code: SteadfetchErrorCode;
	/** Whether trying again later may succeed. */
	declare readonly transient: boolean;
	/**
	 * `false`: the call is never retried after this error, whatever `shouldRetry` says — the policy
	 * that made it refused the attempt to spare the origin (`ThrottledError`, and the `CircuitOpenError` of a
	 * scope `breaker.isolate()` opened by hand, which lets nothing through until reset). Left out: ky's retry
	 * rules and `shouldRetry` decide. A policy's own error sets it as the policy decides.
	 * @default undefined
	 */
	declare readonly retriable?: false;

	constructor(message: string, code: SteadfetchErrorCode, transient: boolean, options?: { cause?: unknown }) {
		super(message, options);
		this.code = code;
		this.transient = transient;
	}
}

/** Type guard that also works across realms (iframes, workers) by checking `code`. */
export const isSteadfetchError = (error: unknown): error is SteadfetchError =>
	error instanceof SteadfetchError
	|| (isObject(error) && typeof (error as { code?: unknown }).code === 'string'
		&& typeof (error as { transient?: unknown }).transient === 'boolean');
