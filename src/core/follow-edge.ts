import type * as Full from './follow.js';

/*
 * The `workerd`/`deno`/`edge-light` build's `follow.ts` (see tsup.config.ts): a retry goes as ky made it. Its clone of the
 * attempt before follows that attempt's signal while anything holds the clone's signal, as whatever waits on it does.
 */

/** A retry is left as ky made it. */
export const follow: typeof Full.follow = () => false;

/** Every request is sent with its `init` as it is. */
export const sentWith: typeof Full.sentWith = (_request, init) => init;
