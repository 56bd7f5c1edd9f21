import type { PolicyCall, Policy, PolicyContext, PolicyParts } from '../core/policy.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';
import { check } from '../core/validate.js';
import { classify } from '../errors/classify.js';
import { checkOrigins, originPrefixes } from '../shared/origins.js';

/** Options of `trace` (a client option of both entries). */
export interface TraceOptions {
	/**
	 * The header that carries the call's request id, the same on every attempt, retry, hedge and
	 * outbox replay of the call.
	 * @default 'X-Request-ID'
	 */
	requestIdHeader?: string;
	/**
	 * The origins whose requests get the trace headers (the request id header and `traceparent`),
	 * e.g. `['https://api.example.com']`, or `'*'` for every origin. A request to any other origin
	 * gets none of them (a CORS-simple cross-origin request stays simple, a third party learns no
	 * id), and a `traceparent` or request id the caller put on it is left as it is. Such a request is
	 * still traced locally: it has a request id, `attempt:*` events and spans.
	 * @default the origin of the client's `prefix`/`baseUrl` when one is set, plus `location.origin` where there is one (none in Node, Deno without `--location`, or workerd)
	 */
	propagateTo?: readonly string[] | '*';
}

/** `TraceOptions` checked: the request id header, and the origins (undefined: the default, known per client). */
export interface ResolvedTrace {
	readonly header: string;
	readonly propagateTo: readonly string[] | '*' | undefined;
}

/** The W3C trace context of one attempt: what its `traceparent` says. */
export interface AttemptIds {
	readonly traceId: string;
	readonly spanId: string;
	/** Two hex digits: `01` sampled, `00` not. */
	readonly flags: string;
}

/** What a tracer adds to the trace slot (`otel()`): a span per attempt, whose ids the `traceparent` carries. */
export interface AttemptTracer {
	/** Start the attempt's span; `ended` is called with its outcome. */
	attempt(call: PolicyCall | undefined, request: Request, attempt: number): { ids: AttemptIds; ended(response?: Response, error?: unknown): void };
}

interface CallTrace {
	readonly requestId: string;
	readonly traceId: string;
	readonly flags: string;
	/** Whether the trace is the caller's (a valid `traceparent` on the request), else a new one. */
	readonly continued: boolean;
}

/** Two hex digits per byte value, and a buffer for random bytes: made on first use, then reused. */
let digits: string[] | undefined;
let random: Uint8Array<ArrayBuffer> | undefined;

/** `bytes` (at most 16) random bytes as lower-case hex (a span id is 8, a trace id 16). */
export const hex = (bytes: number): string => {
	digits ??= Array.from({ length: 256 }, (_, value) => value.toString(16).padStart(2, '0'));
	random ??= new Uint8Array(16);
	crypto.getRandomValues(random);
	let out = '';
	for (let index = 0; index < bytes; index++) {
		out += digits[random[index]!];
	}

	return out;
};
/**
 * A valid `traceparent` (W3C Trace Context): version (not `ff`), trace id, parent span id (neither
 * all zeros), flags, in lower-case hex; version 00 has exactly these four fields, a later version
 * may have more after a `-`. An invalid one is not continued: the call starts a new trace, and a
 * `tracestate` that came with it is dropped.
 */
export const traceparent = /^(?!ff|00-.{52}-)([\da-f]{2})-(?!0{32})([\da-f]{32})-(?!0{16})([\da-f]{16})-([\da-f]{2})(?:-|$)/;

/**
 * The trace slot's per-attempt layer: the call's request id on every attempt, a `traceparent` per
 * attempt (from `tracer` when given, else a new span id in the call's trace), `attempt:start` and
 * `attempt:end` events.
 */
export const traceLayer = (context: PolicyContext, { header, propagateTo }: ResolvedTrace, tracer?: AttemptTracer): Layer => {
	const calls = new WeakMap<PolicyCall, CallTrace>();
	const { clock } = context;
	/** The URL prefixes of `propagateTo` (see `originPrefixes`): a request that starts with one gets the headers. */
	const propagates = originPrefixes(propagateTo, context.options);

	/** The call's ids, fixed at its first attempt: a request id and a trace already on the request are continued. */
	const traceOf = (call: PolicyCall | undefined, request: Request): CallTrace => {
		let trace = call && calls.get(call);
		if (!trace) {
			const given = traceparent.exec(request.headers.get('traceparent') ?? '');
			trace = {
				requestId: request.headers.get(header) ?? crypto.randomUUID(),
				traceId: given?.[2] ?? hex(16),
				flags: given?.[4] ?? '01',
				continued: !!given,
			};
			if (call) {
				calls.set(call, trace);
			}
		}

		return trace;
	};

	/** The attempt's span (from the tracer), and its headers where they may go: as the attempt goes out. */
	const begin = (call: PolicyCall | undefined, request: Request, trace: CallTrace, attempt: number): ReturnType<AttemptTracer['attempt']> | undefined => {
		const span = tracer && traced(() => tracer.attempt(call, request, attempt));
		if (propagates.some((prefix) => request.url.startsWith(prefix))) {
			const ids = span?.ids;
			if (!trace.continued) {
				// A new trace: a `tracestate` that came with an invalid `traceparent` is not its state (W3C).
				request.headers.delete('tracestate');
			}

			request.headers.set(header, trace.requestId);
			request.headers.set('traceparent', ids ? `00-${ids.traceId}-${ids.spanId}-${ids.flags}` : `00-${trace.traceId}-${hex(8)}-${trace.flags}`);
		}

		return span;
	};

	/**
	 * The attempt's `attempt:start`/`attempt:end` events and its span, around `next`. A hedge is traced
	 * as it goes out (`FetchInit.hedge`, asked by the transport once every layer let it through): one
	 * that is not sent has no span, no `traceparent` and no events.
	 */
	const watch = async (next: FetchLike, request: Request, init: FetchInit | undefined, call: PolicyCall | undefined, trace: CallTrace, attempt: number): Promise<Response> => {
		const scope = call?.scope ?? context.scopeOf(request.url);
		const hedge = init?.hedge;
		const base = { scope, method: request.method, url: request.url, requestId: trace.requestId, attempt, hedge: hedge !== undefined, replay: call?.replay === true };
		let span: ReturnType<AttemptTracer['attempt']> | undefined;
		let started: number | undefined;
		const open = (): void => {
			span = begin(call, request, trace, attempt);
			context.emit('attempt:start', base);
			started = clock.now();
		};

		if (!hedge) {
			open();
		}

		try {
			const response = await next(request, hedge ? {
				...init,
				hedge: () => {
					const refused = hedge();
					if (!refused) {
						open();
					}

					return refused;
				},
			} : init);
			traced(() => span?.ended(response));
			if (started !== undefined) {
				context.emit('attempt:end', { ...base, durationMs: clock.now() - started, status: response.status });
			}

			return response;
		} catch (error) {
			traced(() => span?.ended(undefined, error));
			if (started !== undefined) {
				context.emit('attempt:end', { ...base, durationMs: clock.now() - started, code: classify(error).code });
			}

			throw error;
		}
	};

	return (next) => (request, init) => {
		const call = init?.steadfetch;
		const trace = traceOf(call, request);
		const attempt = call?.attempts ?? 1;
		// Without a tracer or a listener there is nothing to do at the attempt's end: no promise of ours.
		if (!tracer && !context.listening('attempt:start') && !context.listening('attempt:end')) {
			begin(call, request, trace, attempt);
			return next(request, init);
		}

		return watch(next, request, init, call, trace, attempt);
	};
};

/** A tracer that throws never fails a call: its span is dropped. */
export const traced = <T>(run: () => T): T | undefined => {
	try {
		return run();
	} catch {
		return undefined;
	}
};

const headerName = /^[!#$%&'*+.^_`|~\w-]+$/;

/** Check `TraceOptions` (a `RangeError` naming the option, `trace.…` or `otel.…`). */
export const resolveTrace = (options: TraceOptions, entry = 'trace'): ResolvedTrace => {
	const { requestIdHeader = 'X-Request-ID' } = options;
	check(typeof requestIdHeader === 'string' && headerName.test(requestIdHeader), `${entry}.requestIdHeader`, requestIdHeader, 'a header name');
	return { header: requestIdHeader, propagateTo: checkOrigins(`${entry}.propagateTo`, options.propagateTo) };
};

/**
 * Request ids and W3C trace context, for the `trace` slot (`trace: true` or `{ requestIdHeader,
 * propagateTo }` in either entry): one request id per call (a UUID, or the one already on the
 * request), sent on every attempt, retry, hedge and outbox replay; a `traceparent` per attempt — one
 * trace id per call (continued from a valid `traceparent` already on the request, and by the call's
 * replays; an invalid one starts a new trace, without its `tracestate`), a new span id per attempt. The headers go only to
 * the `propagateTo` origins (by default the client's own: its `prefix`/`baseUrl` and the page's).
 * Emits `attempt:start` and `attempt:end` (`requestId`, `attempt`, `durationMs`, `status` or
 * `code`, the URL with its sensitive query values removed) for every attempt, propagated or not:
 * a hedge only when it is sent, and one that lost ends with `ABORTED`; ky's timeout is `TIMEOUT`.
 * Bad options throw a `RangeError` naming the option.
 */
export const trace = (options: TraceOptions = {}): Policy<'trace'> => {
	const resolved = resolveTrace(options);
	return { slot: 'trace', header: resolved.header, create: (context): PolicyParts => ({ layer: traceLayer(context, resolved) }) } as Policy<'trace'>;
};
