import type * as Full from './tabs.js';

/** The edge build's `tabs.ts` (see tsup.config.ts): a server runtime has no tabs to share with. */
export const hasTabs: typeof Full.hasTabs = () => false;
