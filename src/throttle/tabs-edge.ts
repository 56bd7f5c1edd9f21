import type * as Full from './tabs.js';

// The `workerd`/`deno`/`edge-light` build's `tabs.ts` (see tsup.config.ts): there are no tabs to tell
// or hear counts from (that build's `utils/channel.ts` and `tabs.ts` have none), so no link opens: what
// `tabs.ts` would give there, without its channel's receiver. A scope's `tabs` stays undefined.

export type { TabCounts, TabLink } from './tabs.js';

export const linkTabs: typeof Full.linkTabs = () => undefined;
