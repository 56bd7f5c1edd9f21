import type { PolicyCall, PolicyContext } from '../core/policy.js';
import { SteadfetchError } from '../errors/SteadfetchError.js';

type Deferral = { error?: SteadfetchError };

/** Each client's per-call state of a deferral (`PolicyContext.perCall`), made once per client. */
const made = new WeakMap<PolicyContext, (call: PolicyCall) => Deferral>();
const deferralOf = (context: PolicyContext): ((call: PolicyCall) => Deferral) => {
	let deferral = made.get(context);
	if (!deferral) {
		deferral = context.perCall((): Deferral => ({}));
		made.set(context, deferral);
	}

	return deferral;
};

/**
 * Defer an eligible attempt before any I/O, for its call to be stored instead (`OFFLINE`, `BEHIND`):
 * the core's protocol for a layer that ends an attempt without I/O (`PolicyContext.answer`) — the
 * call's run rejects with the returned promise's error, never retried — and the call remembers it was
 * deferred (its per-call state), so the wrapper knows the error again.
 */
export const defer = (context: PolicyContext, call: PolicyCall, reason: 'OFFLINE' | 'BEHIND'): Promise<never> => {
	const error = new SteadfetchError(reason, reason, false);
	deferralOf(context)(call).error = error;
	return context.answer(call, error);
};

/** Whether a call failed because the layer deferred its attempt (nothing went out). */
export const isDeferred = (context: PolicyContext, call: PolicyCall, error: unknown): error is SteadfetchError =>
	error !== undefined && deferralOf(context)(call).error === error;
