/**
 * `steadfetch/core`: `createClient` with ky, our retry defaults, the retry budget, events, `stats()`
 * counters, errors, `classify`, `fallback`, `identity` and stores. Every policy is off until its slot
 * is filled with the policy from its own entry (`breaker()` from `steadfetch/breaker`, ...): what is
 * not imported is not bundled.
 */
import { assemble } from '../core/create-client.js';
import type { ClientOf, CoreMembers } from '../core/client-types.js';
import type { CoreClientOptions } from '../core/options.js';
import { checkOptionsObject } from '../core/validate-options.js';
import { builtInSlots, checkBuiltInSlots, checkEmptySlot } from './slots.js';

export * from './common.js';
export type { CoreClientOptions } from '../core/options.js';

/** A client of `steadfetch/core` made with options `O`: a ky instance plus the members of the policies `O` fills. */
export type Client<O extends CoreClientOptions = CoreClientOptions> = ClientOf<CoreClientOptions, CoreMembers<O>>;

/**
 * Create a client: a ky instance plus steadfetch's members. Only the policies given in their
 * slots run. Throws a `TypeError` for anything but an options object (or nothing), a `RangeError`
 * naming the option for a value out of range.
 *
 * @example
 * import { createClient } from 'steadfetch/core';
 * import { breaker } from 'steadfetch/breaker';
 * const api = createClient({ prefix: 'https://api.example.com/v1/', breaker: breaker() });
 */
const entry = {
	resolve: (given: CoreClientOptions) => {
		checkBuiltInSlots(given);
		return given;
	},
	slots: builtInSlots,
	checkEmpty: checkEmptySlot,
};

export function createClient<const O extends CoreClientOptions = CoreClientOptions>(options?: O): Client<O> {
	checkOptionsObject(options);
	// Through `unknown`: the members of `O`'s slots are a type TypeScript resolves only for a given `O`.
	return assemble(options ?? {}, entry) as unknown as Client<O>;
}
