/** `steadfetch/trace`: request ids and W3C trace context, for the `trace` slot. */
export { trace, type TraceOptions } from '../trace/index.js';
export type { AttemptEvent } from '../trace/events.js';
