import type { CoreClientOptions } from './options.js';
import { isPolicy, slotOrder, type PolicyContext, type PolicyParts, type SlotName } from './policy.js';
import { check } from '../utils/validate.js';

/** The entries whose name is not their slot's. */
const entries: Partial<Record<SlotName, string>> = { staleCache: 'cache', adaptiveThrottle: 'throttle', rateLimit: 'rate-limit' };

/**
 * Each filled slot's policy, created once with the client's context, in slot order. A value that is
 * not a policy (or `false`), or a policy of another slot, throws a `RangeError` naming the slot (and
 * the entry its factory is exported from).
 */
export const createParts = (options: CoreClientOptions, context: PolicyContext): Map<SlotName, PolicyParts> => {
	const parts = new Map<SlotName, PolicyParts>();
	for (const slot of slotOrder) {
		const value = (options as Record<string, unknown>)[slot];
		if (isPolicy(value)) {
			if (value.slot !== slot) {
				throw new RangeError(`\`${slot}\` must be a policy for the ${slot} slot; got one for \`${value.slot}\``);
			}

			parts.set(slot, value.create(context));
		} else {
			check(value === undefined || value === false, slot, value, `a policy (from \`steadfetch/${entries[slot] ?? slot}\`) or false`);
		}
	}

	return parts;
};
