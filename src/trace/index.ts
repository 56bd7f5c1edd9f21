import { traceAt } from '../bands/bands.js';
import { offOnly, optionsOf } from '../utils/validate.js';
import type { Policy, PolicyParts } from '../core/policy.js';
import { traceLayer } from './layer.js';
import { resolveTrace, type TraceOptions } from './options.js';
import type { AttemptEvent } from './events.js';

/** What importing this policy adds to the client's types (`client.on`): its events. */
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

export type { TraceOptions } from './options.js';

/**
 * Request ids and W3C trace context, for the `trace` slot (`trace: trace()` or `trace({ requestIdHeader,
 * propagateTo })`, in either entry): one request id per call (a UUID, or the one already on the
 * request; a call that joined another's request, `dedupe()`, is told that request's), sent on every attempt, retry, hedge and outbox replay; a `traceparent` per attempt — one
 * trace id per call (continued from a valid `traceparent` already on the request, and by the call's
 * replays, with its `tracestate` within W3C's bounds: at most 32 members and 512 characters, members over 128 characters
 * and then from the end left out; an invalid one starts a new trace, without its `tracestate`), a new span id per attempt. The headers go only to
 * the `propagateTo` origins (by default the client's own: its `prefix`/`baseUrl` and the page's).
 * Emits `attempt:start` and `attempt:end` (`requestId`, `attempt`, `durationMs`, `status` or
 * `code`, the URL with its sensitive query values removed) for every attempt that goes out, propagated or not,
 * as it goes out (after a bulkhead's or rate limiter's wait): none for one refused without I/O (an open
 * breaker, the throttle, a bulkhead or rate limit, a hedge not sent); a hedge that lost ends with `ABORTED`; ky's timeout is `TIMEOUT`.
 * The events are of the requests that go out: a call that joined another's request (`dedupe()`) is
 * told none of its own (that request's are told once, for the call that sent it); with `otel()` it
 * gets a span of its own marked `steadfetch.shared`.
 * Bad options throw a `RangeError` naming the option.
 */
export const trace = (options?: TraceOptions): Policy<'trace'> => {
	const resolved = resolveTrace(optionsOf(options, 'trace'));
	return { slot: 'trace', at: traceAt, header: resolved.header, create: (context): PolicyParts => ({ layer: traceLayer(context, resolved), checkCall: offOnly('trace') }) } as Policy<'trace'>;
};
