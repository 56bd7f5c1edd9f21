import { classify } from '../errors/classify.js';
import { redact } from '../shared/sensitive.js';
import type { EventMap, EventType } from './event-types.js';
import type { CallState, Clock } from './types.js';
import { check } from './validate.js';

/** A console-like logger: each record is one plain-object argument. */
export interface Logger {
	info(record: LogRecord): void;
	warn(record: LogRecord): void;
	error(record: LogRecord): void;
}

/** One structured log record. URLs have their sensitive query values removed; no header is ever logged. */
export interface LogRecord {
	/** `call` for a call's outcome, else the event's type (`retry`, `breaker:open`, `outbox:dead`, ...). */
	event: string;
	level: 'info' | 'warn' | 'error';
	/** `expected`: what a resilient client plans for (transient failures, 4xx answers, aborts); `unexpected`: the rest. */
	severity: 'expected' | 'unexpected';
	scope: string;
	requestId?: string;
	method?: string;
	url?: string;
	status?: number;
	code?: string;
	attempt?: number;
	durationMs?: number;
}

/** Codes a resilient client plans for. */
const expectedCodes = new Set(['TIMEOUT', 'NETWORK', 'HTTP_429', 'HTTP_5XX', 'HTTP_408', 'HTTP_4XX', 'ABORTED', 'CIRCUIT_OPEN', 'QUEUED', 'OUTBOX_FULL', 'BULKHEAD_FULL', 'RATE_LIMITED', 'AUTH_FAILED']);

/** The events logged, by level. */
const levels: Record<LogRecord['level'], readonly EventType[]> = {
	info: ['breaker:half-open', 'breaker:closed', 'outbox:queued', 'outbox:sent', 'scope:healthy', 'auth:refresh'],
	warn: ['retry', 'budget:exhausted', 'breaker:open', 'outbox:retry', 'failover', 'scope:unhealthy'],
	error: ['outbox:dead', 'storage:error'],
};

export const checkLogger = (logger: unknown): void => {
	check(logger === undefined || (typeof logger === 'object' && logger !== null
		&& ['info', 'warn', 'error'].every((level) => typeof (logger as Record<string, unknown>)[level] === 'function')), 'logger', logger, 'an object with info, warn and error functions (console works)');
};

/**
 * Turn the client's events, and each call's outcome, into records for `logger`. A logger that
 * throws is ignored: logging never fails a call.
 */
export const createLogging = (logger: Logger, params: ReadonlySet<string>, clock: Clock, on: <T extends EventType>(type: T, listener: (event: EventMap[T]) => void) => () => void) => {
	/** Write a record, its undefined fields left out and its URL redacted. */
	const write = (level: LogRecord['level'], code: string | undefined, fields: Record<string, unknown>): void => {
		const record: Record<string, unknown> = { level, severity: level === 'error' || (code !== undefined && !expectedCodes.has(code)) ? 'unexpected' : 'expected', ...fields, code };
		for (const key in record) {
			if (record[key] === undefined) {
				delete record[key];
			}
		}

		if (typeof record['url'] === 'string') {
			record['url'] = redact(record['url'], params);
		}

		try {
			logger[level](record as unknown as LogRecord);
		} catch {
			// A broken logger is not the call's problem.
		}
	};

	for (const level of ['info', 'warn', 'error'] as const) {
		for (const type of levels[level]) {
			on(type, (event) => {
				const { scope, method, url, code, status, retryCount } = event as unknown as Record<string, unknown>;
				write(level, code as string | undefined, { event: type, scope, method, url, status, attempt: typeof retryCount === 'number' ? retryCount + 1 : undefined });
			});
		}
	}

	/** One record per call, at its outcome. */
	return (call: CallState, startedAt: number, response: Response | undefined, error: unknown): void => {
		// No response and no error: a `beforeRetry` hook stopped the call with `ky.stop` (it resolved undefined).
		const classified = response || error === undefined ? undefined : classify(error);
		const code = classified?.code;
		write(
			code === undefined ? (response?.status ?? 0) < 400 ? 'info' : 'warn' : expectedCodes.has(code) ? 'warn' : 'error',
			code,
			{
				event: 'call', scope: call.scope ?? '', requestId: call.requestId, method: call.method,
				url: call.request?.url ?? (call.input instanceof Request ? call.input.url : String(call.input)),
				status: response?.status ?? classified?.status, attempt: call.attempts, durationMs: clock.now() - startedAt,
			},
		);
	};
};
