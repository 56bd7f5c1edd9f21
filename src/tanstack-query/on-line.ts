import { followOnline, isOffline } from '../utils/online.js';

// TanStack's own kind of `onlineManager` listener, given back by `followReachability`'s unsubscribe,
// over the core's `navigator.onLine` reading (utils/online.ts). The edge build (workerd, Deno, edge
// functions: no `navigator.onLine`, no `online` events) swaps this module for on-line-edge.ts, which
// imports nothing: utils/online.ts then stays the core's alone there, not a chunk of its own.

/**
 * A listener like TanStack's own: the window's `online` and `offline` events, read as
 * `navigator.onLine`, and set at once (TanStack is online again when `navigator.onLine` says so, not
 * at the next `online` event).
 */
export const onLineListener = (setOnline: (online: boolean) => void): (() => void) => {
	const tell = (): void => setOnline(!isOffline());
	tell();
	const stops = followOnline(tell);
	return () => {
		for (const stop of stops) {
			stop();
		}
	};
};
