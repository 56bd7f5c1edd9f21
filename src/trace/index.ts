import type { Call, Policy, PolicyContext, PolicyParts } from '../core/policy.js';
import type { Layer } from '../core/types.js';
import { check } from '../core/validate.js';

/** Options of `trace` (a client option of both entries). */
export interface TraceOptions {
	/**
	 * The header that carries the call's request id, the same on every attempt, retry, hedge and
	 * outbox replay of the call.
	 * @default 'X-Request-ID'
	 */
	requestIdHeader?: string;
}

interface CallTrace {
	readonly requestId: string;
	readonly traceId: string;
	readonly flags: string;
}

const hex = (bytes: number): string => [...crypto.getRandomValues(new Uint8Array(bytes))].map((byte) => byte.toString(16).padStart(2, '0')).join('');
const parent = /^00-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;

const create = (context: PolicyContext, header: string): PolicyParts => {
	const calls = new WeakMap<Call, CallTrace>();
	const { clock } = context;

	/** The call's ids, fixed at its first attempt: a request id and a trace already on the request are continued. */
	const traceOf = (call: Call | undefined, request: Request): CallTrace => {
		let trace = call && calls.get(call);
		if (!trace) {
			const given = parent.exec(request.headers.get('traceparent') ?? '');
			trace = {
				requestId: request.headers.get(header) ?? crypto.randomUUID(),
				traceId: given?.[1] ?? hex(16),
				flags: given?.[3] ?? '01',
			};
			if (call) {
				calls.set(call, trace);
				call.requestId = trace.requestId;
			}
		}

		return trace;
	};

	const layer: Layer = (next) => async (request, init) => {
		const call = init?.steadfetch;
		const { requestId, traceId, flags } = traceOf(call, request);
		request.headers.set(header, requestId);
		request.headers.set('traceparent', `00-${traceId}-${hex(8)}-${flags}`);
		const scope = call?.scope ?? context.scopeOf(request.url);
		const attempt = call?.attempts ?? 1;
		const replay = call?.options['outbox'] === false && call.idempotencyKey !== undefined;
		const base = { scope, method: request.method, url: request.url, requestId, attempt, hedge: false, replay };
		context.emit('attempt:start', base);
		const started = clock.now();
		try {
			const response = await next(request, init);
			context.emit('attempt:end', { ...base, durationMs: clock.now() - started, status: response.status });
			return response;
		} catch (error) {
			context.emit('attempt:end', { ...base, durationMs: clock.now() - started, code: (error as { code?: string }).code ?? (error as Error)?.name ?? 'UNKNOWN' });
			throw error;
		}
	};

	return { layer };
};

const headerName = /^[!#$%&'*+.^_`|~\w-]+$/;

/**
 * Request ids and W3C trace context, for the `trace` slot (`trace: true` or `{ requestIdHeader }` in
 * either entry): one request id per call (a UUID, or the one already on the request), sent on every
 * attempt, retry, hedge and outbox replay; a `traceparent` per attempt — one trace id per call
 * (continued from a `traceparent` already on the request, and by the call's replays), a new span id
 * per attempt. Emits `attempt:start` and `attempt:end` (`requestId`, `attempt`, `durationMs`,
 * `status` or `code`).
 */
export const trace = (options: TraceOptions = {}): Policy<'trace'> => {
	const { requestIdHeader = 'X-Request-ID' } = options;
	check(typeof requestIdHeader === 'string' && headerName.test(requestIdHeader), 'trace.requestIdHeader', requestIdHeader, 'a header name');
	return { slot: 'trace', create: (context) => create(context, requestIdHeader) };
};
