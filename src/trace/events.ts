import type { BaseEvent } from '../core/event-types.js';
import type { SteadfetchErrorCode } from '../errors/SteadfetchError.js';

/** An attempt of a call starts or ends (with `trace()` or `otel()`): the request id, attempt number, and the outcome. */
export interface AttemptEvent<T extends 'attempt:start' | 'attempt:end'> extends BaseEvent<T> {
	method: string;
	url: string;
	/** The call's request id (never the caller's own in a header of `sensitiveHeaders`: an id of the call's own in its place). */
	requestId: string;
	/** 1 for the first attempt of the call. */
	attempt: number;
	/** Whether the attempt is a hedge (a second attempt sent while the first is slow; it carries the call's request id). */
	hedge: boolean;
	/** Whether the call is an outbox replay. */
	replay: boolean;
	/** For `attempt:end`: how long the attempt took, in ms (injected clock). */
	durationMs?: number;
	/** For `attempt:end`: the response status. */
	status?: number;
	/** For `attempt:end` without a response: `classify()`'s code of its error (`NETWORK` for a dropped connection); `ABORTED` when the caller's own signal ended it, whatever its reason (`AbortSignal.timeout()` included). */
	code?: SteadfetchErrorCode;
}
