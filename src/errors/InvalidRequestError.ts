import { hideUserinfo } from '../utils/validate.js';
import { SteadfetchError } from './SteadfetchError.js';

/**
 * Bad input found before any I/O: an invalid URL, a URL the outbox could never replay, a
 * placeholder of `outbox.ref()` on a call the outbox cannot queue, an option out of range. Its
 * message never shows the password of a URL's userinfo (`hideUserinfo`: fetch refuses such a URL,
 * and this error says so with the URL as given), nor a sensitive query value when a client made it
 * from a URL the caller gave (a call's, a member's, a `prefix`: src/core/scope.ts `invalidUrl`), nor
 * does its cause: none is kept when the message named one (the platform's error, and its own causes,
 * would show it).
 */
export class InvalidRequestError extends SteadfetchError {
	override name = 'InvalidRequestError' as const;

	constructor(message: string, options?: { cause?: unknown }) {
		const shown = hideUserinfo(message);
		super(shown, 'INVALID_REQUEST', false, shown === message ? options : undefined);
	}
}
