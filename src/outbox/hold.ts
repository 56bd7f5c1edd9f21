import { SteadfetchError } from '../errors/SteadfetchError.js';

/**
 * How the outbox's layer holds an eligible attempt before any I/O, for its call to be stored instead
 * (`OFFLINE`, `BEHIND`): today, an error the layer throws and the call side knows again. The core's
 * protocol for a layer's hold replaces these two functions, nothing else.
 */
const holds = new WeakSet<object>();

/** The error to throw from the layer to hold this attempt. */
export const hold = (reason: 'OFFLINE' | 'BEHIND'): SteadfetchError => {
	const error = new SteadfetchError(reason, reason, false);
	holds.add(error);
	return error;
};

/** Whether a call failed because the layer held its attempt (nothing went out). */
export const isHold = (error: unknown): error is SteadfetchError => holds.has(error as object);
