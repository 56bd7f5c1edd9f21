import type { ClientOf as Client } from '../core/client-types.js';
import { onLineListener } from './on-line.js';
import { takes } from './takes.js';

/** What `followReachability` uses of TanStack's `onlineManager` (any adapter's). */
export interface ReachabilityOnlineManager {
	setEventListener(setup: (setOnline: (online: boolean) => void) => (() => void) | undefined): void;
}

/**
 * Make TanStack's `onlineManager` follow a scope's reachability (`api.reachability(urlOrScope)`, from
 * what the client's own attempts see) instead of `navigator.onLine`: online unless the scope is
 * `unreachable` or `offline`, so TanStack pauses its queries and mutations only when that origin
 * cannot be reached, never behind a `navigator.onLine` that is wrong. Returns the unsubscribe
 * function, which gives TanStack back a listener like its own (the window's `online` and `offline`
 * events, read as `navigator.onLine`) and sets it to `navigator.onLine` at once (in the `workerd`,
 * `deno` and `edge-light` builds, which have neither: online, nothing listened to). A client without
 * `reachability` or an `onlineManager` without `setEventListener` is a `TypeError` at once.
 *
 * @example useEffect(() => followReachability(api, onlineManager, 'https://api.example.com'), []);
 */
export const followReachability = (api: Pick<Client, 'on' | 'reachability'>, onlineManager: ReachabilityOnlineManager, urlOrScope: string | URL): (() => void) => {
	takes('followReachability', api, 'reachability');
	takes('followReachability', onlineManager, 'setEventListener');
	onlineManager.setEventListener((setOnline) => {
		const tell = (): void => setOnline(!['unreachable', 'offline'].includes(api.reachability(urlOrScope)));
		tell();
		return api.on('reachability', tell);
	});
	return () => onlineManager.setEventListener(onLineListener);
};
