import type * as Full from './redirects.js';

/**
 * The `browser` build's `redirects.ts` (see tsup.config.ts): no call of a browser client carries the
 * deadline header (no request contexts), so the transport never follows redirects itself: an attempt
 * goes as it is, for the browser to follow (never sent twice).
 */
export const sendWithDeadline: typeof Full.sendWithDeadline = (fetch, request, init) => fetch(request, init);
