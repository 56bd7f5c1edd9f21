import { check, isOwnHeader } from '../utils/validate.js';
import { checkOrigins } from '../utils/origins.js';

/** What the trace slot (`trace()`, `otel()`) adds to a call's options. */
declare module 'steadfetch/core' {
	interface CallOptions {
		/**
		 * `false`: this call is not traced (with `trace()` or `otel()`): no request id or `traceparent`
		 * header, no span, no `attempt:*` event.
		 * @default undefined (traced)
		 */
		trace?: false;
	}
}

/** Options of `trace` (a client option of both entries). */
export interface TraceOptions {
	/**
	 * The header that carries the call's request id, the same on every attempt, retry, hedge and
	 * outbox replay of the call. A header name of its own: not `traceparent` or `tracestate` (this slot sets them),
	 * `Authorization` (auth's token), `Idempotency-Key` (a keyed write's, the same on its replays), nor one a browser's fetch drops (`Cookie`, `Host`, `Origin`, `Sec-…`, `Proxy-…` and
	 * the Fetch standard's other forbidden request headers), nor the client's `deadlineHeader`: a `RangeError` at creation. An id already on the request (the
	 * caller's, one forwarded from an incoming request) is continued when it is 1–255 printable ASCII characters; any
	 * other is replaced with a new one. One listed in the client's `sensitiveHeaders`: the caller's id in it is sent as it is
	 * but never shown — events, log records and spans show an id of the call's own (a UUID) in its place.
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

/** Check `TraceOptions` (a `RangeError` naming the option, `trace.…` or `otel.…`). */
export const resolveTrace = (options: TraceOptions, entry = 'trace'): ResolvedTrace => {
	const { requestIdHeader = 'X-Request-ID' } = options;
	check(isOwnHeader(requestIdHeader), `${entry}.requestIdHeader`, requestIdHeader, 'a header name of its own');
	return { header: requestIdHeader, propagateTo: checkOrigins(`${entry}.propagateTo`, options.propagateTo) };
};

