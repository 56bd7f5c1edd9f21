import { loggerAt } from '../bands/bands.js';
import type { EventType } from '../core/event-types.js';
import type { Policy, PolicyContext, PolicyParts } from '../core/policy.js';
import { check, describe, hideUserinfo, optionsOf, isObject, isPrintableId, offOnly } from '../utils/validate.js';
import { classify } from '../errors/classify.js';
import { listedSensitive, redact, sensitiveParamSet } from '../utils/sensitive.js';

declare module 'steadfetch/core' {
	/** The `logger` slot of `createClient`. */
	interface Slots {
		logger: Policy<'logger'>;
	}

	interface CallOptions {
		/**
		 * `false`: no record of this call's outcome (with `logger()`); the client's events it causes
		 * (a retry, a breaker opening) are still written.
		 * @default undefined (its outcome is written)
		 */
		logger?: false;
	}
}

/** A console-like sink: each record is one plain-object argument (`console` works). */
export interface Logger {
	info(record: LogRecord): void;
	warn(record: LogRecord): void;
	error(record: LogRecord): void;
}

/** Options of `logger()`. */
export interface LoggerOptions {
	/**
	 * The lowest level written: `'info'` writes everything, `'warn'` only warnings and errors.
	 * @default 'info'
	 */
	level?: LogRecord['level'];
}

/** One structured log record. URLs have their sensitive query values removed; no header is ever logged. */
export interface LogRecord {
	/** `call` for a call's outcome, else the event's type (`retry`, `breaker:open`, `outbox:dead`, ...). */
	event: string;
	level: 'info' | 'warn' | 'error';
	/** `expected`: what a resilient client plans for (transient failures, a policy's own transient error too, 4xx answers, aborts); `unexpected`: the rest. */
	severity: 'expected' | 'unexpected';
	scope: string;
	/** The call's request id (the `trace` slot's header), when there is one: on a call the trace slot never traced (`trace: false`), the caller's own when it is 1–255 printable ASCII characters (never one in a header of `sensitiveHeaders`). */
	requestId?: string;
	method?: string;
	url?: string;
	status?: number;
	/** A `SteadfetchErrorCode`. */
	code?: string;
	attempt?: number;
	durationMs?: number;
}

/** Codes a resilient client plans for. */
const expectedCodes = new Set(['TIMEOUT', 'NETWORK', 'HTTP_429', 'HTTP_5XX', 'HTTP_408', 'HTTP_4XX', 'ABORTED', 'CIRCUIT_OPEN', 'QUEUED', 'OUTBOX_FULL', 'BULKHEAD_FULL', 'RATE_LIMITED', 'THROTTLED', 'AUTH_FAILED', 'CONFLICT']);
const ranks = { info: 0, warn: 1, error: 2 } as const;


/**
 * Structured logging, for the `logger` slot: each call's outcome, retry, breaker change,
 * queued/replayed/dead write, failover, health change and storage error becomes one plain-object
 * record `{ event, level, severity, scope, requestId?, method?, url?, status?, code?, attempt?,
 * durationMs? }` passed to `sink.info`, `sink.warn` or `sink.error`. URLs have their
 * `sensitiveParams` values removed; no header and no error message (ky's name the full URL) is logged. A sink that throws, or
 * returns a promise that rejects (an async sink), never fails a call.
 *
 * @example
 * import { logger } from 'steadfetch/logger';
 * const api = createClient({ logger: logger(console, { level: 'warn' }) });
 */
export const logger = (sink: Logger, options?: LoggerOptions): Policy<'logger'> => {
	check(isObject(sink) && ['info', 'warn', 'error'].every((level) => typeof (sink as unknown as Record<string, unknown>)[level] === 'function'), 'logger', sink, 'an object with info, warn and error functions (console works)');
	const { level: lowest = 'info' } = optionsOf(options, 'logger');
	check(Object.hasOwn(ranks, lowest), 'logger.level', lowest, "'info', 'warn' or 'error'");
	// The store failures this logger wrote a record of in this task (by their error), for every client it logs for.
	const failures = new WeakSet<object>();
	return { slot: 'logger', at: loggerAt, create: (context) => createLogging(context, sink, ranks[lowest], failures) };
};

const createLogging = (context: PolicyContext, sink: Logger, lowest: number, failures: WeakSet<object>): PolicyParts => {
	const params = sensitiveParamSet(context.options);
	// The request-id header trace() and otel() name on the policy they make (`header`): none when it is one of the client's
	// `sensitiveHeaders`, whose value is never shown (the trace slot shows an id of the call's own, `requestIdOf`).
	const { trace } = context.options;
	const named = trace ? (trace as { header?: string }).header : undefined;
	const header = named && !listedSensitive(context.options, named) ? named : undefined;
	const { clock } = context;
	/**
	 * The request id on a call's Request that the trace layer never saw (`trace: false`, refused before it): the caller's
	 * own, or one forwarded from an incoming request, shown only as the layer would continue it (`isPrintableId`).
	 */
	const given = (request: Request | undefined): string | undefined => {
		const id = header && request?.headers.get(header);
		return isPrintableId(id) ? id : undefined;
	};
	/** When each call's first attempt started (`PolicyContext.perCall`). */
	const startOf = context.perCall((): { at?: number } => ({}));

	/**
	 * Write a record, its undefined fields left out and its URL redacted. `planned`: its code is one a
	 * resilient client plans for (`expectedCodes`, or any error `classify()` calls transient: a policy's own too).
	 */
	const write = (level: LogRecord['level'], code: string | undefined, fields: Record<string, unknown>, planned = code === undefined || expectedCodes.has(code)): void => {
		if (ranks[level] < lowest) {
			return;
		}

		const record: Record<string, unknown> = { level, severity: level === 'error' || !planned ? 'unexpected' : 'expected', ...fields, code };
		for (const key in record) {
			if (record[key] === undefined) {
				delete record[key];
			}
		}

		if (typeof record['url'] === 'string') {
			record['url'] = redact(record['url'], params);
		}

		try {
			// An async sink's (a log shipper's) rejection too: never an unhandled rejection, which ends a Node process.
			const written: unknown = sink[level](record as unknown as LogRecord);
			if (typeof (written as PromiseLike<unknown> | undefined)?.then === 'function') {
				Promise.resolve(written).catch(() => undefined);
			}
		} catch {
			// A broken sink is not the call's problem.
		}
	};

	return {
		start() {
			// Every event at the level its policy declares (`PolicyParts.levels`): the logger names none.
			for (const [type, level] of Object.entries(context.levels) as Array<[EventType, LogRecord['level'] | undefined]>) {
				if (level === undefined) {
					continue;
				}

				// A level of no rank would pass the filter ('debug') or be dropped ('WARN'): the policy's fault, refused at createClient.
				if (!Object.hasOwn(ranks, level)) {
					throw new TypeError(`The level of \`${type}\` (its policy's \`levels\`) must be 'info', 'warn' or 'error'; got ${describe(level)}`);
				}

				context.on(type, (event) => {
					const { scope, method, url, code, status, retryCount, error } = event as unknown as Record<string, unknown>;
					// One record per failure: a store failure of the work of a client `extend()` made is told to it and to the
					// client that made the part store (core/part-store.ts `#report`), both at once, each logging with this logger
					// when the child inherits it.
					if (type === 'storage:error' && isObject(error)) {
						if (failures.has(error)) {
							return;
						}

						failures.add(error);
						queueMicrotask(() => failures.delete(error));
					}

					write(level, code as string | undefined, { event: type, scope, method, url, status, attempt: typeof retryCount === 'number' ? retryCount + 1 : undefined });
				});
			}
		},
		// The call's duration is measured from its first attempt (a call refused before any attempt: 0).
		layer: (next) => (request, init) => {
			const call = init?.steadfetch;
			if (call) {
				startOf(call).at ??= clock.now();
			}

			return next(request, init);
		},
		checkCall: offOnly('logger'),
		settled(call, response, error) {
			if (call.options.logger === false) {
				return;
			}

			// No response and no error: a `beforeRetry` hook stopped the call with `ky.stop` (it resolved undefined).
			const classified = response || error === undefined ? undefined : call.signal?.aborted ? { code: 'ABORTED' as const, status: undefined, transient: false } : classify(error);
			const code = classified?.code;
			const begun = startOf(call).at;
			// A transient failure is planned for whoever made its error (a policy's own code, API.md "Your own policies").
			const planned = code === undefined || expectedCodes.has(code) || classified!.transient;
			write(
				code === undefined ? (response?.status ?? 0) < 400 ? 'info' : 'warn' : planned ? 'warn' : 'error',
				code,
				{
					event: 'call', scope: call.scope ?? '*', requestId: context.hooks.requestIdOf?.(call) ?? given(call.request), method: call.method,
					// No request: refused as it was built (fetch refuses a URL with a password: not shown).
					url: call.request?.url ?? hideUserinfo(call.input instanceof Request ? call.input.url : String(call.input)),
					status: response?.status ?? classified?.status, attempt: call.attempts, durationMs: begun === undefined ? 0 : clock.now() - begun,
				},
				planned,
			);
		},
	};
};
