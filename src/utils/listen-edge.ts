import type * as Full from './listen.js';

/**
 * The edge build's `listen.ts` (see tsup.config.ts): a server runtime has no page to hide or show and
 * no `online` event, so nothing is listened to (what the full build does where the target has no
 * `addEventListener`).
 */
export const listen: typeof Full.listen = () => () => undefined;

/** Nothing to listen to in the edge build: no listener, nothing to remove. */
export const listenBack: typeof Full.listenBack = () => [];
