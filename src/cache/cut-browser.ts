import type * as Full from './cut.js';

// The `browser` build's `cut.ts` (see tsup.config.ts): a browser serves no incoming request, so no
// I/O ends with one: a read's run always goes on after its copy answered. As the full module's types.

/** Never a cut in a browser. */
export const cutFor: typeof Full.cutFor = () => undefined;

/** The attempt's Request as it is. */
export const withCut: typeof Full.withCut = (request) => request;

/** Nothing to cut. */
export const cutShort: typeof Full.cutShort = () => undefined;
