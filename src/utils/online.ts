import { listen } from './listen.js';

// `navigator.onLine` and its `online`/`offline` events, where a runtime has them (browsers). The edge
// build (workerd, Deno, edge functions: none has `navigator.onLine`) swaps this module for online-edge.ts.

/**
 * Whether the runtime says it is offline (`navigator.onLine === false`, browsers). `onLine === true`
 * alone proves nothing, and runtimes without `navigator.onLine` (or whose `navigator.onLine` throws
 * when read) are never "offline" here.
 */
export const isOffline = (): boolean => {
	try {
		return typeof navigator !== 'undefined' && (navigator as { onLine?: boolean }).onLine === false;
	} catch {
		// A getter that throws: only a hint, so none (read on every attempt: no exception where there is no `navigator`).
		return false;
	}
};

/**
 * Call `changed` on the runtime's `online` and `offline` events (`navigator.onLine` may have changed;
 * where the global has `addEventListener`): returns what removes each listener.
 */
export const followOnline = (changed: () => void): Array<() => void> => [listen(globalThis, 'online', changed), listen(globalThis, 'offline', changed)];
