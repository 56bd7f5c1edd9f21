/** The W3C trace context of one attempt: what its `traceparent` says. */
export interface AttemptIds {
	readonly traceId: string;
	readonly spanId: string;
	/** Two hex digits: `01` sampled, `00` not. */
	readonly flags: string;
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

