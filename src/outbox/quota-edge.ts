import type * as Full from './quota.js';

/**
 * The edge build's `quota.ts` (see tsup.config.ts): no runtime of the edge build (workerd, Deno,
 * edge functions) has `navigator.storage.estimate()` nor the browser's storage quota it guards, so no
 * write is ever over it, as `quota.ts` answers where the estimate is missing.
 */
export const overQuota: typeof Full.overQuota = async () => false;
