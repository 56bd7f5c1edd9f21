/**
 * This tab's view of the simulated network: while the playground is "offline", `navigator.onLine`
 * says `false` and the browser's `offline` event fires (then `online` when it comes back), as when
 * a real device loses its connection. The library listens to exactly these. The API handlers fail
 * every request with a network error meanwhile (see handlers.ts).
 */
const real = Object.getOwnPropertyDescriptor(Navigator.prototype, 'onLine');
let simulatedOffline = false;

Object.defineProperty(navigator, 'onLine', {
	configurable: true,
	get: () => !simulatedOffline && (real?.get?.call(navigator) as boolean ?? true),
});

/** Apply the shared "online" setting to this tab; fires `offline` / `online` when it changes. */
export const applyNetwork = (online: boolean): void => {
	if (simulatedOffline === !online) {
		return;
	}

	simulatedOffline = !online;
	dispatchEvent(new Event(online ? 'online' : 'offline'));
};
