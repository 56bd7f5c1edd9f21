import type * as Full from './register-sync.js';

/** The edge build's `register-sync.ts` (see tsup.config.ts): no runtime of the edge build has Background Sync. */
export const registerSync: typeof Full.registerSync = () => undefined;
