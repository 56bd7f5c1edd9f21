import type { PolicyCall, PolicyContext } from '../core/policy.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';
import { attemptScope } from '../core/scope.js';
import { classify } from '../errors/classify.js';
import { originPrefixes } from '../utils/origins.js';
import { hex, traceparent, type AttemptIds } from './ids.js';
import type { ResolvedTrace } from './options.js';
import { randomUuid } from '../utils/runtime.js';
import { check, isPrintableId } from '../utils/validate.js';
import { listedSensitive } from '../utils/sensitive.js';

declare module 'steadfetch/core' {
	interface PolicyHooks {
		/**
		 * Set by the trace slot (`trace()`, `otel()`): the request id of a call that reached its layer. The
		 * call's own Request may not carry it (a hedge, a shared request or a mirror is a copy made below),
		 * so the logger and `otel()`'s call span ask here.
		 */
		requestIdOf?(call: PolicyCall): string | undefined;
		/**
		 * Set by the trace slot, asked by dedupe: `call` joined the `request` `first` sent. Its span for the shared attempt starts
		 * (`otel()`); the function returned ends it with the call's own outcome, and tells the call that request's ids, unless
		 * the call goes on `alone` (refused for the first caller only, it sends its own).
		 */
		joined?(call: PolicyCall, first: PolicyCall | undefined, request: Request): ((response?: Response, error?: unknown, alone?: boolean) => void) | undefined;
		/**
		 * Set by the trace slot, asked by the core for each redirect hop of `call`'s `attempt` it follows itself (with
		 * `deadlineHeader`): the headers the slot put on the attempt are on `hop` only when its URL is for `propagateTo`.
		 */
		redirected?(call: PolicyCall | undefined, hop: Request, attempt: Request): void;
		/**
		 * Set by the trace slot, asked by the core for each attempt of `call`: whether it carries the slot's headers while some
		 * origin may not get them (`propagateTo` is not `'*'`): its redirects are followed by the core (then `redirected`),
		 * not by the runtime's fetch, which takes every header to any `Location`.
		 */
		follows?(call: PolicyCall | undefined, attempt: Request): boolean;
	}
}

/** What a tracer adds to the trace slot (`otel()`): a span per attempt, whose ids the `traceparent` carries. */
export interface AttemptTracer {
	/**
	 * Start the attempt's span (called once per send: a hedge is one; `shared`, a request dedupe shared); `ended` is called with
	 * its outcome (`alone`: a shared one refused for its first caller only, which sent nothing for this call).
	 */
	attempt(call: PolicyCall | undefined, request: Request, attempt: number, shared?: boolean): { ids: AttemptIds; ended(response?: Response, error?: unknown, alone?: boolean): void };
}

/** The span of one attempt, as the tracer started it. */
type Span = ReturnType<AttemptTracer['attempt']>;

interface CallTrace {
	/** The request id events, log records and spans show: the one sent, unless that is the caller's in a sensitive header (`#secret`). */
	readonly requestId: string;
	/** The request id the header carries. */
	readonly sent: string;
	readonly traceId: string;
	readonly flags: string;
	/** Whether the trace is the caller's (a valid `traceparent` on the request), else a new one. */
	readonly continued: boolean;
}

/**
 * A continued trace's `tracestate` (from outside: an incoming request's) as it is passed on, within W3C Trace Context's
 * bounds: as it came when it has at most 32 list members and 512 characters; else its members over 128 characters
 * are left out (when it is longer), then members from its end, until at most 32 and 512 characters are left ('' when
 * none fits). Only one over those bounds is split.
 */
const boundedState = (state: string | null): string => {
	if (!state || (state.length <= 512 && state.split(',').length <= 32)) {
		return state ?? '';
	}

	let kept = '';
	let count = 0;
	for (const member of state.split(',')) {
		const item = member.trim();
		if (item && (state.length <= 512 || item.length <= 128)) {
			const next = kept ? `${kept},${item}` : item;
			if (next.length > 512 || ++count > 32) {
				break;
			}

			kept = next;
		}
	}

	return kept;
};

/** A tracer that throws never fails a call: its span is dropped. */
export const traced = <T>(run: () => T): T | undefined => {
	try {
		return run();
	} catch {
		return undefined;
	}
};

/**
 * The trace slot's per-attempt layer (`traceLayer`): the call's request id on every attempt, a
 * `traceparent` per attempt (from `tracer` when given, else a new span id in the call's trace),
 * `attempt:start` and `attempt:end` events.
 */
class Tracing {
	/** Each call's ids (`PolicyContext.perCall`), fixed at its first attempt. */
	readonly #callOf: (call: PolicyCall) => { trace?: CallTrace };
	readonly #context: PolicyContext;
	readonly #header: string;
	/** Whether the header is one of the client's `sensitiveHeaders`: an id the caller put in it is sent, never shown. */
	readonly #secret: boolean;
	/** The URL prefixes of `propagateTo` (see `originPrefixes`): a request that starts with one gets the headers. */
	readonly #propagates: readonly string[];
	readonly #tracer: AttemptTracer | undefined;

	constructor(context: PolicyContext, { header, propagateTo }: ResolvedTrace, tracer: AttemptTracer | undefined) {
		this.#callOf = context.perCall(() => ({}));
		this.#context = context;
		this.#header = header;
		this.#secret = listedSensitive(context.options, header);
		// Each attempt to the client's origins has the deadline header set to the time left: never over the request id.
		const { deadlineHeader } = context.options;
		check(deadlineHeader?.toLowerCase() !== header.toLowerCase(), 'deadlineHeader', deadlineHeader, 'a header name of its own, not the trace slot\'s requestIdHeader');
		this.#propagates = originPrefixes(propagateTo, context.options);
		this.#tracer = tracer;
		context.hooks.requestIdOf = (call) => this.#callOf(call).trace?.requestId;
		context.hooks.follows = (call, attempt) => call?.options.trace !== false && this.#propagates[0] !== '' && this.#sends(attempt.url);
		context.hooks.redirected = (call, hop, attempt) => {
			if (call?.options.trace !== false && this.#sends(attempt.url)) {
				const goes = this.#sends(hop.url);
				for (const name of [header, 'traceparent', 'tracestate']) {
					const value = attempt.headers.get(name);
					goes && value !== null ? hop.headers.set(name, value) : hop.headers.delete(name);
				}
			}
		};
		context.hooks.joined = (call, first, request) => {
			if (call.options.trace === false) {
				return undefined;
			}

			// The shared attempt as this call's (`shared`): its span, under this call's. No event: it is one request, told once.
			const span = tracer && traced(() => tracer.attempt(call, request, call.attempts, true));
			return (response, error, alone) => {
				// The ids the server saw, the call's from then on (its retry sends them again), unless an attempt of its own had set them.
				const shared = first && this.#callOf(first).trace;
				if (shared && !alone) {
					this.#callOf(call).trace ??= shared;
					// Its own Request carries them too, as the first caller's does (`#begin`): what ky's hooks and HTTPError show. Those
					// of the shared request, or (a layer below sent a copy of it: a hedge's) of the first caller's own.
					this.#carry(call.request, request);
					this.#carry(call.request, first.request);
				}

				traced(() => span?.ended(response, error, alone));
			};
		};
	}

	/** Whether a request to `url` gets the headers (`propagateTo`). */
	#sends(url: string): boolean {
		return this.#propagates.some((prefix) => url.startsWith(prefix));
	}

	/**
	 * `own` (a call's Request) carries the ids `from` went out with, unless it is `from`, has an id of its own, or is for an
	 * origin not in `propagateTo` (`from` a mirror's that is: the outbox's replay of `own` would send them there).
	 */
	#carry(own: Request | undefined, from: Request | undefined): void {
		// Most attempts are the call's own Request: no header read for them (each `Headers.get` costs about 1.5k instructions in Node).
		const id = own && from && own !== from && this.#sends(own.url) ? from.headers.get(this.#header) : null;
		if (id && !own!.headers.has(this.#header)) {
			own!.headers.set(this.#header, id);
			own!.headers.set('traceparent', from!.headers.get('traceparent')!);
		}
	}

	/** The call's ids, fixed at its first attempt: a request id and a trace already on the request are continued. */
	#traceOf(call: PolicyCall | undefined, request: Request): CallTrace {
		const held = call && this.#callOf(call);
		let trace = held?.trace;
		if (!trace) {
			const given = traceparent.exec(request.headers.get('traceparent') ?? '');
			// The header on the request (a replay's stored one, where it is sent), else a replay's stored id (any origin): from
			// outside (an incoming request's, storage), taken only as an idempotencyKey would be (1–255 printable ASCII).
			const id = request.headers.get(this.#header) ?? (call && this.#context.hooks.replayRequestIdOf?.(call));
			const sent = isPrintableId(id) ? id : randomUuid();
			trace = {
				// The caller's value of a sensitive header goes out as it is, but what is shown is an id of the call's own.
				requestId: this.#secret && sent === id ? randomUuid() : sent,
				sent,
				traceId: given?.[2] ?? hex(16),
				// Only the sampled flag (bit 0): the others are reserved, sent as zero (W3C), as otel() sends them.
				flags: given ? `0${Number.parseInt(given[4]!, 16) & 1}` : '01',
				continued: !!given,
			};
			if (held) {
				held.trace = trace;
			}
		}

		return trace;
	}

	/** The attempt's span (from the tracer), and its headers where they may go: as the attempt goes out. */
	#begin(call: PolicyCall | undefined, request: Request, trace: CallTrace, attempt: number): Span | undefined {
		const tracer = this.#tracer;
		const span = tracer && traced(() => tracer.attempt(call, request, attempt));
		if (this.#sends(request.url)) {
			const ids = span?.ids;
			const state = trace.continued ? boundedState(request.headers.get('tracestate')) : '';
			if (state) {
				request.headers.set('tracestate', state);
			} else {
				// A new trace: a `tracestate` that came with an invalid `traceparent` is not its state (W3C).
				request.headers.delete('tracestate');
			}

			const parent = ids ? `00-${ids.traceId}-${ids.spanId}-${ids.flags}` : `00-${trace.traceId}-${hex(8)}-${trace.flags}`;
			request.headers.set(this.#header, trace.sent);
			request.headers.set('traceparent', parent);
			// A copy of the call's Request a layer above sends (a hedge's): the call's own carries the first one's ids too, for
			// what keeps it (the outbox stores it: a replay continues the request id and the trace).
			this.#carry(call?.request, request);
		}

		return span;
	}

	/**
	 * The attempt's `attempt:start`/`attempt:end` events and its span, around `next`. An attempt is traced
	 * as it goes out (`FetchInit.sending`, called by the transport once every layer let it through; a
	 * hedge once its `FetchInit.hedge` let it): one refused without I/O (an open breaker, the throttle, a
	 * bulkhead or rate limit, a spent request context, a hedge not sent) has no span, no `traceparent` and no events.
	 */
	async #watch(next: FetchLike, request: Request, init: FetchInit | undefined, call: PolicyCall | undefined, trace: CallTrace, attempt: number): Promise<Response> {
		const context = this.#context;
		const { clock } = context;
		const scope = attemptScope(context.scopeOf, request.url, call);
		const hedge = init?.hedge;
		const base = { scope, method: request.method, url: request.url, requestId: trace.requestId, attempt, hedge: hedge !== undefined, replay: call?.replay === true };
		let span: Span | undefined;
		let started: number | undefined;
		const open = (): void => {
			span = this.#begin(call, request, trace, attempt);
			context.emit('attempt:start', base);
			started = clock.now();
		};

		const sending = init?.sending;
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
			} : {
				...init,
				sending: () => {
					open();
					sending?.();
				},
			});
			traced(() => span?.ended(response));
			if (started !== undefined) {
				context.emit('attempt:end', { ...base, durationMs: clock.now() - started, status: response.status });
			}

			return response;
		} catch (error) {
			traced(() => span?.ended(undefined, error));
			if (started !== undefined) {
				// Ended by the caller's own signal, whatever its reason (`AbortSignal.timeout()`'s TimeoutError): `ABORTED`, as every part counts it;
				// not a request dedupe shares, whose first caller aborted while others wait on (its own signal is not aborted).
				context.emit('attempt:end', { ...base, durationMs: clock.now() - started, code: call?.signal?.aborted && request.signal.aborted ? 'ABORTED' : classify(error).code });
			}

			throw error;
		}
	}

	readonly layer: Layer = (next) => (request, init) => {
		const call = init?.steadfetch;
		const trace = this.#traceOf(call, request);
		const attempt = call?.attempts ?? 1;
		const context = this.#context;
		// Without a tracer or a listener there is nothing to do at the attempt's end: no promise of ours.
		if (!this.#tracer && !context.listening('attempt:start') && !context.listening('attempt:end')) {
			this.#begin(call, request, trace, attempt);
			return next(request, init);
		}

		return this.#watch(next, request, init, call, trace, attempt);
	};
}

/** The trace slot's per-attempt layer (see `Tracing`), with `otel()`'s spans when `tracer` is given. */
export const traceLayer = (context: PolicyContext, resolved: ResolvedTrace, tracer?: AttemptTracer): Layer => new Tracing(context, resolved, tracer).layer;
