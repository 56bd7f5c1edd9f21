/**
 * `steadfetch/core`: `createClient` with ky, the retry budget, our retry defaults, events, stats,
 * errors, `classify` and stores. Every policy is off until its slot is filled with the policy from
 * its own entry (`breaker()` from `steadfetch/breaker`, ...): what is not imported is not bundled.
 */
import { assemble } from '../core/create-client.js';
import type { Client } from '../core/client-types.js';
import type { CoreClientOptions } from '../core/options.js';
import { checkOptionsObject } from '../core/validate-options.js';
import { withTrace } from '../trace/resolve.js';

export * from './common.js';
export type { CoreClientOptions } from '../core/options.js';
export { trace, type TraceOptions } from '../trace/index.js';

/** `trace: true` or trace options build the trace policy; everything else is taken as it is. */
const resolve = (options: CoreClientOptions): CoreClientOptions => withTrace(options);

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
export function createClient(options?: CoreClientOptions): Client<CoreClientOptions> {
	checkOptionsObject(options);
	return assemble(options ?? {}, resolve);
}
