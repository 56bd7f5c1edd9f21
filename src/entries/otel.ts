/** `steadfetch/otel`: OpenTelemetry spans per call and per attempt, for the `trace` slot. */
export { otel, type OtelOptions } from '../otel/index.js';
export type { AttemptEvent } from '../trace/events.js';
