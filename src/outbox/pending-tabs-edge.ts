import type * as Full from './pending-tabs.js';

// The `workerd`/`deno`/`edge-light` build's `pending-tabs.ts` (see tsup.config.ts): there are no tabs
// to tell of pending writes or hear from (that build's `utils/channel.ts` and `tabs.ts` have none), so
// no channel opens: what `pending-tabs.ts` would give there, without its receiver of another tab's notes.

export const linkPendingTabs: typeof Full.linkPendingTabs = () => undefined;
