import type * as Full from './tabs.js';
import { closeCircuits } from './circuits.js';

// The `workerd`/`deno`/`edge-light` build's `tabs.ts` (see tsup.config.ts): there are no tabs to share
// a breaker with, and no `online` or visibility events to recover on (that build's `utils/channel.ts`,
// `lock.ts` and `listen.ts` have none), so `start()` opens nothing: what `tabs.ts` would do there,
// without its channel's receiver. `close()` ends what a client does in every build (`closeCircuits`).

export const start: typeof Full.start = () => undefined;

export const close: typeof Full.close = closeCircuits;
