import type * as Full from './tabs.js';

// The `workerd`/`deno`/`edge-light` build's `tabs.ts` (see tsup.config.ts): there are no tabs to share
// a refresh with (that build's `utils/channel.ts` and `lock.ts` have no channel and no Web Locks), so
// no link: a refresh runs without a lock, as `tabs.ts` would run it there, and nobody is told of it.
// The refresh is still one at a time per client (per request in a Worker: auth.ts's `#flight`).

export type { TabLink } from './tabs.js';

export const linkTabs: typeof Full.linkTabs = () => undefined;
