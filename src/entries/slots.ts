import { isPolicy } from '../core/policy.js';
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
