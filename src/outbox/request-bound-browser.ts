import type * as Full from './request-bound.js';

// The `browser` build's `request-bound.ts` (see tsup.config.ts): a browser serves no incoming
// request, so no I/O ends with one: work starts without a `waitUntil`, a drain under way is this
// page's or worker's own (awaited, aborted by a clear) and never dies with a request. As the full
// module's types.

/** Nothing dies with a request in a browser. */
export const diesWithRequest: typeof Full.diesWithRequest = () => false;

/** The drain under way is always this context's own. */
export const drainOfAnotherRequest: typeof Full.drainOfAnotherRequest = () => false;

/** No heartbeat: no request ends a drain. */
export const heartbeat: typeof Full.heartbeat = () => undefined;

/** No drain dies with a request: none is taken over. */
export const tookOver: typeof Full.tookOver = () => false;
