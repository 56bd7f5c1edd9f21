import { isPolicy } from '../core/policy.js';
import { checkCallOption } from '../cache/options.js';
import { check } from '../utils/validate.js';

/** The built-in slots, each with the entry its factory is exported from. */
const builtIns: Readonly<Record<string, string>> = {
	auth: 'auth', trace: 'trace', outbox: 'outbox', staleCache: 'cache', failover: 'failover', dedupe: 'dedupe', hedge: 'hedge',
	adaptiveThrottle: 'throttle', bulkhead: 'bulkhead', rateLimit: 'rate-limit', breaker: 'breaker', logger: 'logger', health: 'health',
};

/** The built-in slots' keys: ours, never ky's, also when empty or `false` (client and per call). */
export const builtInSlots: readonly string[] = Object.keys(builtIns);

/**
 * A built-in slot holds its policy, `false` or nothing: anything else is a `RangeError` naming the
 * slot, the entry its factory is exported from and how to fill it (its factory uncalled, or its plain
 * options, are the usual slips; a policy of another slot is the core's `TypeError`).
 */
export const checkBuiltInSlots = (options: object): void => {
	for (const slot of builtInSlots) {
		const value = (options as Record<string, unknown>)[slot];
		check(value === undefined || value === false || isPolicy(value), slot, value, `a policy (from \`steadfetch/${builtIns[slot]}\`) or false, as \`${slot}: ${slot}(…)\``);
	}
};

/**
 * A call's value for a built-in slot the client leaves empty, checked as its policy checks it (`PolicyParts.checkCall`):
 * `false` or left out, also `{ networkTimeoutMs }` for `staleCache` and `true` for `outbox`; then ignored, the policy
 * being off. A call's options mean the same whatever the client fills: a value no client takes (`breaker: 'off'`,
 * `outbox: 5`) is a RangeError naming the slot (the call rejects with `InvalidRequestError` before any I/O).
 */
export const checkEmptySlot = (slot: string, value: unknown): void =>
	slot === 'staleCache' ? checkCallOption(value) : check(slot === 'outbox' && value === true, slot, value, slot === 'outbox' ? 'true or false (per call), or left out' : 'false, or left out');
