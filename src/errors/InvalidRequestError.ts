import { SteadfetchError } from './SteadfetchError.js';

/**
 * Bad input found before any I/O: an invalid URL, a stream body on an outbox-eligible call,
 * an option out of range.
 */
export class InvalidRequestError extends SteadfetchError {
	override name = 'InvalidRequestError' as const;

	constructor(message: string, options?: { cause?: unknown }) {
		super(message, 'INVALID_REQUEST', false, options);
	}
}
