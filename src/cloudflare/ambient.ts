import type { WaitUntil } from '../core/options.js';

/**
 * The running request's `waitUntil` where the runtime offers it without a `ctx`: in the build for
 * `workerd`, `cloudflare:workers`'s own, imported statically (ambient-edge.ts, swapped in by
 * tsup.config.ts), so it holds work from the first request on; only `steadfetch/cloudflare`'s workerd
 * entry imports it (Deno and edge-light get entries/cloudflare-portable.ts, without it). None in this
 * build (Node, browsers, CJS): there is no Worker to hold.
 */
export const ambientWaitUntil: WaitUntil | undefined = undefined;
