import type * as Full from './server-failure.js';

/**
 * The `browser` build's `server-failure.ts` (see tsup.config.ts): a browser's `fetch` rejects a
 * network failure with a TypeError ky recognizes (Chrome's `Failed to fetch`, Firefox's, Safari's),
 * never with a server runtime's `ECONNREFUSED` or workerd's `Network connection lost.`: an
 * attempt's error is left as it is.
 */
export const asAttemptFailure: typeof Full.asAttemptFailure = (error) => error;

/** A browser's `fetch` sends a sync-iterable body as text: refused before any I/O (`Full.iterableBodies`). */
export const iterableBodies: typeof Full.iterableBodies = false;

/** And an async-iterable body ('[object AsyncGenerator]', Chromium 156): refused before any I/O too (`Full.asyncIterableBodies`). */
export const asyncIterableBodies: typeof Full.asyncIterableBodies = false;

/** A browser's Request refuses a wrong `referrer` or `window` itself (`Full.lenientRequests`). */
export const lenientRequests: typeof Full.lenientRequests = false;

/** A body is sent as it is: a browser's `fetch` rejects when its body fails as it is read. */
export const watchedBody: typeof Full.watchedBody = (body) => body;

/** Never a failed body here (see `watchedBody`). */
export const failedBody: typeof Full.failedBody = () => undefined;

/** A browser's Request takes every `redirect` mode: options as they are (`Full.sentRedirect`). */
export const sentRedirect: typeof Full.sentRedirect = () => {};

/** Never a redirect refused here (see `sentRedirect`). */
export const refusedRedirect: typeof Full.refusedRedirect = () => undefined;
