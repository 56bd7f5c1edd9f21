// TanStack's own kind of `onlineManager` listener, given back by `followReachability`'s unsubscribe. The
// edge build (workerd, Deno, edge functions: no `navigator.onLine`, no `online` events) swaps this module
// for on-line-edge.ts.

const events = ['online', 'offline'];

/**
 * A listener like TanStack's own: the window's `online` and `offline` events, read as
 * `navigator.onLine`, and set at once (TanStack is online again when `navigator.onLine` says so, not
 * at the next `online` event).
 */
export const onLineListener = (setOnline: (online: boolean) => void): (() => void) => {
	const target = globalThis as Partial<EventTarget>;
	const tell = (): void => setOnline((globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine !== false);
	tell();
	for (const type of events) {
		target.addEventListener?.(type, tell);
	}

	return () => {
		for (const type of events) {
			target.removeEventListener?.(type, tell);
		}
	};
};
