import type * as Full from './channel.js';

// The `workerd`/`deno`/`edge-light` build's `channel.ts` (see tsup.config.ts): no BroadcastChannel
// code; every channel is one the runtime does not have (`undefined`), as in Cloudflare Workers.

export type { Channel } from './channel.js';

/** No cross-tab channel in the edge build: `undefined`, what the full build gives without BroadcastChannel. */
export const openChannel: typeof Full.openChannel = () => undefined;
