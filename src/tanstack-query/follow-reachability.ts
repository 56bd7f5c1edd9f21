import type { ClientOf as Client } from '../core/client-types.js';

/** What `followReachability` uses of TanStack's `onlineManager` (any adapter's). */
export interface ReachabilityOnlineManager {
	setEventListener(setup: (setOnline: (online: boolean) => void) => (() => void) | undefined): void;
}

const events = ['online', 'offline'];

/**
 * Make TanStack's `onlineManager` follow a scope's reachability (`api.reachability(urlOrScope)`, from
 * what the client's own attempts see) instead of `navigator.onLine`: online unless the scope is
 * `unreachable` or `offline`, so TanStack pauses its queries and mutations only when that origin
 * cannot be reached, never behind a `navigator.onLine` that is wrong. Returns the unsubscribe
 * function, which gives TanStack back a listener like its own (the window's `online` and `offline`
 * events, read as `navigator.onLine`) and sets it to `navigator.onLine` at once.
 *
 * @example useEffect(() => followReachability(api, onlineManager, 'https://api.example.com'), []);
 */
export const followReachability = (api: Pick<Client, 'on' | 'reachability'>, onlineManager: ReachabilityOnlineManager, urlOrScope: string | URL): (() => void) => {
	onlineManager.setEventListener((setOnline) => {
		const tell = (): void => setOnline(!['unreachable', 'offline'].includes(api.reachability(urlOrScope)));
		tell();
		return api.on('reachability', tell);
	});
	return () => onlineManager.setEventListener((setOnline) => {
		const target = globalThis as Partial<EventTarget>;
		const tell = (): void => setOnline((globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine !== false);
		tell(); // At once: TanStack is online again when `navigator.onLine` says so, not at the next `online` event.
		for (const type of events) {
			target.addEventListener?.(type, tell);
		}

		return () => {
			for (const type of events) {
				target.removeEventListener?.(type, tell);
			}
		};
	});
};
