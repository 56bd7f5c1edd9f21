import type { PolicyCall, PolicyContext } from '../core/policy.js';
import { SteadfetchError } from '../errors/SteadfetchError.js';

type Held = { error?: SteadfetchError };

/** Each client's per-call state of the hold (`PolicyContext.perCall`), made once per client. */
const made = new WeakMap<PolicyContext, (call: PolicyCall) => Held>();
const heldOf = (context: PolicyContext): ((call: PolicyCall) => Held) => {
	let held = made.get(context);
	if (!held) {
		held = context.perCall((): Held => ({}));
		made.set(context, held);
	}

	return held;
};

/**
 * Hold an eligible attempt before any I/O, for its call to be stored instead (`OFFLINE`, `BEHIND`):
 * the core's protocol for a layer that ends an attempt without I/O (`PolicyContext.answer`) — the
 * call's run rejects with the returned promise's error, never retried — and the call remembers it was
 * held (its per-call state), so the wrapper knows the error again.
 */
export const hold = (context: PolicyContext, call: PolicyCall, reason: 'OFFLINE' | 'BEHIND'): Promise<never> => {
	const error = new SteadfetchError(reason, reason, false);
	heldOf(context)(call).error = error;
	return context.answer(call, error);
};

/** Whether a call failed because the layer held its attempt (nothing went out). */
export const isHold = (context: PolicyContext, call: PolicyCall, error: unknown): error is SteadfetchError =>
	error !== undefined && heldOf(context)(call).error === error;
