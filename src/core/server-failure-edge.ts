import { asNetworkFailure } from './network-failure.js';
import type * as Full from './server-failure.js';

/**
 * The `workerd`/`deno`/`edge-light` build's `server-failure.ts` (see tsup.config.ts): no undici
 * there, whose refusals of a request Node's build reads: a network failure ky's detection misses
 * (workerd's `Network connection lost.`) as the TypeError ky knows, any other error as it is.
 */
export const asAttemptFailure: typeof Full.asAttemptFailure = asNetworkFailure;
