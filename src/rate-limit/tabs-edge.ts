import type * as Full from './tabs.js';

// The `workerd`/`deno`/`edge-light` build's `tabs.ts` (see tsup.config.ts): there are no tabs to tell
// that a server's quota is spent, nor to hear it from (that build's `utils/channel.ts` and `tabs.ts`
// have none, `share: true` included), so no channel opens: what `tabs.ts` would give there, without
// its receiver of another tab's word. A server's word still blocks the scope in this client.

export const linkTabs: typeof Full.linkTabs = () => undefined;
