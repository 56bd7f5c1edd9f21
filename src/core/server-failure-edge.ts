import { asNetworkFailure } from './network-failure.js';
import type * as Full from './server-failure.js';

/**
 * The `workerd`/`deno`/`edge-light` build's `server-failure.ts` (see tsup.config.ts): no undici
 * there, whose refusals of a request Node's build reads: a network failure ky's detection misses
 * (workerd's `Network connection lost.`) as the TypeError ky knows, any other error as it is.
 * Not the Node build's check for a request body that fails as it is read: Deno 2 reports that as
 * `TypeError: fetch failed` whose cause is the stream's own error, with the Request's body used and
 * unlocked, and reports a refused connection of a streamed body the same way (its cause an `Error`
 * without a `code`: "error sending request … tcp connect error"), so that check would take a refused
 * connection for the app's error there. Such a body failure stays a network failure in these builds.
 */
export const asAttemptFailure: typeof Full.asAttemptFailure = asNetworkFailure;
