/**
 * Listen to `type` on `target` where it has `addEventListener` and `removeEventListener` (a page's
 * `window` and `document`, a worker's global; Node and workerd may have neither, a polyfilled global
 * only the first): returns what removes the listener, bound now (the target may lose its methods
 * later: a test's fake window).
 */
export const listen = (target: unknown, type: string, listener: (event: Event) => void): (() => void) => {
	const events = target as Partial<EventTarget> | undefined;
	if (typeof events?.addEventListener !== 'function' || typeof events.removeEventListener !== 'function') {
		return () => undefined;
	}

	const remove = events.removeEventListener.bind(events);
	events.addEventListener(type, listener);
	return () => remove(type, listener);
};

/**
 * Listen for a way back: `online` (the runtime says the network came back) and the page visible again
 * (`visibilitychange` to `visible`); returns what removes each listener.
 */
export const listenBack = (online: () => void, visible: () => void): Array<() => void> => {
	const document_ = (globalThis as { document?: Document }).document;
	return [
		listen(globalThis, 'online', online),
		listen(document_, 'visibilitychange', () => document_!.visibilityState === 'visible' && visible()),
	];
};
