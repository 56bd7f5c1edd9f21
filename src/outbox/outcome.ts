import { classify } from '../errors/classify.js';
import { parseRetryAfter } from '../core/runtime.js';

/**
 * What a replay's outcome means for its entry:
 * - `sent`: 2xx/3xx; removed.
 * - `retry`: network error, timeout, 408, 409 (the key may still be in progress), 425, 429, 5xx,
 *   open circuit; stays, with backoff or the server's Retry-After (`waitMs`).
 * - `pause`: 401/403, or an error that says nothing about the request (a `beforeRequest` hook threw,
 *   the client was closed, the replay was aborted); stays, the scope waits for the next trigger.
 * - `rejected`: any other 4xx, or a stored request that is no longer valid; dead letter.
 */
export interface ReplayOutcome {
	kind: 'sent' | 'retry' | 'pause' | 'rejected';
	code: string;
	status?: number;
	message: string;
	/** Server-given wait (Retry-After, or the open breaker's `retryAfterMs`). */
	waitMs?: number;
}

const retryStatuses = new Set([408, 409, 425, 429]);

const codeOf = (status: number): string => (status === 429 ? 'HTTP_429' : status >= 500 ? 'HTTP_5XX' : `HTTP_${status}`);

export const outcomeOfResponse = (response: Response, now: number): ReplayOutcome => {
	const { status } = response;
	if (response.type === 'opaqueredirect' || (status >= 200 && status < 400)) {
		return { kind: 'sent', code: 'OK', status, message: `${status}` };
	}

	const base = { code: codeOf(status), status, message: `${status} ${response.statusText}`.trim() };
	if (status >= 500 || retryStatuses.has(status)) {
		const waitMs = parseRetryAfter(response.headers.get('retry-after'), now);
		return waitMs === undefined ? { kind: 'retry', ...base } : { kind: 'retry', ...base, waitMs };
	}

	return { kind: status === 401 || status === 403 ? 'pause' : 'rejected', ...base };
};

export const outcomeOfError = (error: unknown): ReplayOutcome => {
	const { code, transient, status } = classify(error);
	const message = error instanceof Error ? error.message : String(error);
	const base = status === undefined ? { code, message } : { code, status, message };
	if (transient) {
		const wait = (error as { retryAfterMs?: unknown }).retryAfterMs;
		return typeof wait === 'number' && Number.isFinite(wait) ? { kind: 'retry', ...base, waitMs: Math.max(0, wait) } : { kind: 'retry', ...base };
	}

	return { kind: code === 'INVALID_REQUEST' ? 'rejected' : 'pause', ...base };
};
