import type * as Full from './part-store-drop.js';

// The `browser` build's `part-store-drop.ts` (see tsup.config.ts): a browser serves no incoming
// request, so no I/O ends with one: a call's background work always runs. As the full module's type.

/** Never dropped in a browser. */
export const droppedWork: typeof Full.droppedWork = () => undefined;
