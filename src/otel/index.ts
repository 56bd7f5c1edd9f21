import { traceAt } from '../bands/bands.js';
import { context as otelContext, SpanKind, SpanStatusCode, trace as otelTrace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { hideUserinfo, offOnly, optionsOf } from '../utils/validate.js';
import type { PolicyCall, Policy, PolicyContext } from '../core/policy.js';
import { classify } from '../errors/classify.js';
import { redact, redactText, sensitiveParamSet } from '../utils/sensitive.js';
import { hex, traceparent } from '../trace/ids.js';
import { traceLayer, traced, type AttemptTracer } from '../trace/layer.js';
import { resolveTrace, type ResolvedTrace, type TraceOptions } from '../trace/options.js';
import type { AttemptEvent } from '../trace/events.js';

/** What importing `otel()` adds to the client's types (`client.on`): the trace layer's `attempt:*` events, as `trace()` does. */
declare module 'steadfetch/core' {
	/** The `trace` slot of `createClient`. */
	interface Slots {
		trace: Policy<'trace'>;
	}

	interface EventMap {
		'attempt:start': AttemptEvent<'attempt:start'>;
		'attempt:end': AttemptEvent<'attempt:end'>;
	}
}

/** Options of `otel()` (`steadfetch/otel`), for the `trace` slot. */
export interface OtelOptions extends TraceOptions {
	/** The tracer spans are made with, e.g. `trace.getTracer('my-app')` from `@opentelemetry/api`. */
	tracer: Tracer;
}

/** The OpenTelemetry `error.type` of an outcome: the status code for an HTTP error answer, else the error's code. */
const errorType = (response: Response | undefined, error: unknown): string | undefined =>
	response ? (response.status >= 400 ? String(response.status) : undefined) : (classify(error).status?.toString() ?? classify(error).code);

/**
 * End a span with its outcome. The status message is the error's, with every URL in it redacted as
 * an event's error is (`redactText`: ky's messages name the request's URL, `Request failed with status
 * code 500 …: GET <url>`, and an `InvalidRequestError` the input as given, relative too), and without
 * a header value fetch refused or a URL's password (`hideUserinfo`, as `InvalidRequestError`'s: Node's
 * error of a `beforeRequest` hook's `Authorization` with a line break names the value). Failure path only.
 */
const finish = (span: Span, params: ReadonlySet<string>, response: Response | undefined, error: unknown): void => {
	if (response) {
		span.setAttribute('http.response.status_code', response.status);
	}

	const type = errorType(response, error);
	if (type !== undefined) {
		span.setAttribute('error.type', type);
		span.setStatus({ code: SpanStatusCode.ERROR, ...(error instanceof Error ? { message: redactText(hideUserinfo(error.message), params) } : {}) });
	}

	span.end();
};

/** A call's span, and its sends traced so far (a hedge is one). */
interface CallSpan {
	span?: Span;
	sends: number;
}

const create = (context: PolicyContext, resolved: ResolvedTrace, tracer: Tracer) => {
	/** Each call's span (`PolicyContext.perCall`): set by the wrapper, the parent of its attempts' spans. */
	const spanOf = context.perCall((): CallSpan => ({ sends: 0 }));
	const params = sensitiveParamSet(context.options);

	/** The call span's parent: a `traceparent` the caller put on the call, else the active context. */
	const parentOf = (call: PolicyCall): Context => {
		const active = otelContext.active();
		const headers = new Headers(call.input instanceof Request ? call.input.headers : undefined);
		for (const [name, value] of new Headers(call.options.headers as HeadersInit | undefined)) {
			headers.set(name, value);
		}

		const given = traceparent.exec(headers.get('traceparent') ?? '');
		return given ? otelTrace.setSpanContext(active, { traceId: given[2]!, spanId: given[3]!, traceFlags: Number.parseInt(given[4]!, 16), isRemote: true }) : active;
	};

	const attempts: AttemptTracer = {
		attempt(call, request, attempt, shared) {
			const state: CallSpan = call ? spanOf(call) : { sends: attempt - 1 };
			const parent = state.span;
			// The call's sends before this one: a hedge is the request sent again, as a retry is (OpenTelemetry: "for any reason").
			const resends = state.sends++;
			const { hostname, port, protocol } = new URL(request.url);
			const span = tracer.startSpan(request.method, {
				kind: SpanKind.CLIENT,
				attributes: {
					'http.request.method': request.method,
					'url.full': redact(request.url, params),
					'server.address': hostname,
					'server.port': Number(port || (protocol === 'https:' ? 443 : 80)),
					...(resends ? { 'http.request.resend_count': resends } : {}),
					...(shared ? { 'steadfetch.shared': true } : {}),
				},
			}, parent ? otelTrace.setSpan(otelContext.active(), parent) : otelContext.active());
			const ids = span.spanContext();
			return {
				// A tracer that records nothing (the API without an SDK) has no valid ids: the call's own are sent then.
				ids: otelTrace.isSpanContextValid(ids)
					? { traceId: ids.traceId, spanId: ids.spanId, flags: (ids.traceFlags & 1) === 1 ? '01' : '00' }
					: { traceId: parent?.spanContext().traceId ?? hex(16), spanId: hex(8), flags: '00' },
				ended: (response, error, alone) => {
					// Not one of the call's sends: the call sends its own next (dedupe).
					if (alone) {
						state.sends--;
					}

					finish(span, params, response, error);
				},
			};
		},
	};

	return {
		layer: traceLayer(context, resolved, attempts),
		checkCall: offOnly('trace'),
		async wrap(call: PolicyCall, next: () => Promise<Response>): Promise<Response> {
			const span = traced(() => tracer.startSpan(`steadfetch ${call.method}`, { kind: SpanKind.INTERNAL, attributes: { 'http.request.method': call.method } }, parentOf(call)));
			if (!span) {
				return next();
			}

			spanOf(call).span = span;
			let response: Response | undefined;
			let failure: unknown;
			try {
				response = await next();
				return response;
			} catch (error) {
				failure = error;
				throw error;
			} finally {
				traced(() => {
					if (call.request) {
						span.setAttribute('url.full', redact(call.request.url, params));
					}

					const requestId = context.hooks.requestIdOf?.(call);
					if (requestId) {
						span.setAttribute('steadfetch.request_id', requestId);
					}

					finish(span, params, response, failure);
				});
			}
		},
	};
};

/**
 * OpenTelemetry spans, for the `trace` slot: what `trace()` does (a request id per call, a
 * `traceparent` per attempt, `attempt:*` events), plus a span per call (`steadfetch GET`, internal)
 * with a client span per attempt under it (`GET`), with the HTTP semantic conventions —
 * `http.request.method`, `url.full` (sensitive query values removed), `server.address`,
 * `server.port`, `http.response.status_code`, `http.request.resend_count` (the call's sends before this
 * one: its retries, a failover mirror's attempts and its hedges alike), `error.type`; an error
 * status carries the error's message with every URL in it redacted the same way (and no header value
 * fetch refused, no URL's password) — and the
 * attempt span's ids in the `traceparent` it sends (to the `propagateTo` origins only; every attempt
 * that goes out has its span; one refused without I/O, an open breaker's say, has none). A call that joined another's request (`dedupe()`) has a span for that shared attempt under its own call
 * span, with its own outcome and `steadfetch.shared: true`, and its call span the shared request's `steadfetch.request_id`.
 * The call span's parent is a valid `traceparent` given on the call, else the active
 * context. `@opentelemetry/api` is an optional peer dependency: only this entry imports it. Bad
 * options throw a `RangeError` naming the option (`otel.propagateTo`, ...).
 *
 * @example
 * import { trace } from '@opentelemetry/api';
 * const api = createClient({ trace: otel({ tracer: trace.getTracer('my-app') }) });
 */
export const otel = (options: OtelOptions): Policy<'trace'> => {
	const given = optionsOf(options, 'otel');
	const resolved = resolveTrace(given, 'otel');
	const tracer = given.tracer;
	if (typeof tracer?.startSpan !== 'function') {
		throw new RangeError(`\`otel.tracer\` must be an OpenTelemetry Tracer (with startSpan); got ${tracer === null ? 'null' : typeof tracer}`);
	}

	return { slot: 'trace', at: traceAt, header: resolved.header, create: (context) => create(context, resolved, tracer) } as Policy<'trace'>;
};
