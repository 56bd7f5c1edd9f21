import type * as Full from './world-tabs.js';

// The `workerd`/`deno`/`edge-light` build's `world-tabs.ts` (see tsup.config.ts): no tabs, so the world
// has no channel to them, and no code that reads what one would carry. Each name has the full module's type.

export type { Hearing } from './world-tabs.js';

export const linkTabs: typeof Full.linkTabs = () => undefined;
