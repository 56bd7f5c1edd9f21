import type { Call } from './policy.js';

/**
 * Whether a call is an outbox replay: the outbox sends a stored mutation through the client with
 * `outbox: false` and the entry's `idempotencyKey`.
 */
export const isReplay = (options: Readonly<Record<string, unknown>>): boolean =>
	options['outbox'] === false && options['idempotencyKey'] !== undefined;

/** The `Idempotency-Key` the caller put on the request itself (per-call headers or a Request input), if any. */
export const callerKey = (call: Call): string | undefined => {
	const headers = call.options['headers'];
	let value: string | null | undefined;
	if (headers instanceof Headers || Array.isArray(headers)) {
		value = new Headers(headers as HeadersInit).get('idempotency-key');
	} else if (typeof headers === 'object' && headers !== null) {
		const entry = Object.entries(headers).find(([name]) => name.toLowerCase() === 'idempotency-key');
		value = typeof entry?.[1] === 'string' ? entry[1] : undefined;
	}

	value ??= call.input instanceof Request ? call.input.headers.get('idempotency-key') : undefined;
	return value ?? undefined;
};
