import type * as Full from './world-named.js';

/**
 * The `browser` build's `world-named.ts` (see tsup.config.ts): a page or a worker always has tabs,
 * so the clients of a name made apart hear each other over the world's channel, as tabs do: each
 * gets its own `Worlds`, and nothing is kept by name here (their clears and removals reach each other at once:
 * src/core/world-tabs.ts).
 */
export const ofName: typeof Full.ofName = (_name, make) => make();
