import { SteadfetchError } from './SteadfetchError.js';

/**
 * Bad input found before any I/O: an invalid URL, a URL the outbox could never replay, a
 * placeholder of `outbox.ref()` on a call the outbox cannot queue, an option out of range.
 */
export class InvalidRequestError extends SteadfetchError {
	override name = 'InvalidRequestError' as const;

	constructor(message: string, options?: { cause?: unknown }) {
		super(message, 'INVALID_REQUEST', false, options);
	}
}
