import type { Policy } from '../core/policy.js';
import type { BreakerParts } from '../core/client-types.js';
import { createBreaker } from './breaker.js';
import { resolve, type BreakerOptions } from './options.js';

/**
 * The per-scope circuit breaker, for the `breaker` slot of `createClient` (see `BreakerOptions`).
 * Bad options throw a `RangeError` naming the option and the value, here.
 *
 * @example
 * import { createClient } from 'steadfetch/core';
 * import { breaker } from 'steadfetch/breaker';
 * const api = createClient({ breaker: breaker({ consecutiveFailures: 3 }) });
 */
export const breaker = (options: BreakerOptions = {}): Policy<'breaker', BreakerParts> => {
	resolve(options);
	return { slot: 'breaker', create: (context) => createBreaker(context, options) };
};
