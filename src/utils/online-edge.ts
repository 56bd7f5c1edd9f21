import type * as Full from './online.js';

// The edge build's `online.ts` (see tsup.config.ts): workerd, Deno and edge functions have no
// `navigator.onLine` and no `online`/`offline` events, so what `online.ts` does there is done without
// reading or listening: never offline, nothing to follow.

/** Never offline: no runtime of the edge build has `navigator.onLine` (`online.ts` answers false there). */
export const isOffline: typeof Full.isOffline = () => false;

/** No `online`/`offline` events to follow: no listener, nothing to remove. */
export const followOnline: typeof Full.followOnline = () => [];
