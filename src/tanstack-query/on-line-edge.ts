import type * as Full from './on-line.js';

/**
 * The edge build's `on-line.ts` (see tsup.config.ts): no runtime of the edge build has `navigator.onLine`
 * or `online` events, so TanStack is online at once and nothing is listened to (as TanStack's own
 * listener does where there is no window).
 */
export const onLineListener: typeof Full.onLineListener = (setOnline) => {
	setOnline(true);
	return () => undefined;
};
