import type * as Full from './worker-copy.js';

/** The edge build's `worker-copy.ts` (see tsup.config.ts): no service worker answers in front of a Worker, Deno or an edge function, so no header is read per answer there. */
export const workerCopy: typeof Full.workerCopy = () => undefined;

/** The edge build's `standIn`: no service worker's answer to count. */
export const standIn: typeof Full.standIn = () => undefined;
