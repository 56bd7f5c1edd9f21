import type { OutboxMembers } from './types.js';

/** Background Sync tags the outbox registers start with this, followed by `:<client name>`. */
export const outboxSyncTag = 'steadfetch-outbox';

interface SyncRegistrationLike {
	sync?: { register(tag: string): Promise<void> };
}

/** The `sync` event of a service worker (Background Sync), as far as the handler needs it. */
export interface SyncEventLike {
	readonly tag: string;
	readonly lastChance?: boolean;
	waitUntil(promise: Promise<unknown>): void;
}

/**
 * Ask for a Background Sync after queuing, where there is one (Chromium with a service worker):
 * inside a service worker through its own registration, in a page only when a service worker
 * controls it. Best effort: the other triggers do not depend on it.
 */
export const registerSync = (name: string): void => {
	const register = async (registration?: SyncRegistrationLike): Promise<void> => registration?.sync?.register(`${outboxSyncTag}:${name}`);
	const own = (globalThis as { registration?: SyncRegistrationLike }).registration;
	const container = (globalThis as { navigator?: { serviceWorker?: ServiceWorkerContainer } }).navigator?.serviceWorker;
	(own ? register(own) : container?.controller ? container.ready.then(async (registration) => register(registration as SyncRegistrationLike)) : undefined)?.catch(() => undefined);
};

/**
 * A service worker's `sync` event handler that drains the client's outbox (Background Sync, where
 * the browser has it). Events with another tag are left alone. When entries are still waiting after
 * the drain, the returned promise rejects so the browser schedules the sync again (unless it is the
 * browser's last chance).
 *
 * @example
 * // sw.js
 * import { createClient, outbox, outboxSyncHandler } from 'steadfetch';
 * const api = createClient({ baseUrl: 'https://api.example.com/', outbox: outbox() });
 * self.addEventListener('sync', outboxSyncHandler(api));
 */
export const outboxSyncHandler = (client: OutboxMembers) => (event: SyncEventLike): void => {
	if (!event.tag.startsWith(outboxSyncTag)) {
		return;
	}

	event.waitUntil(client.outbox.flush().then((result) => {
		if (result.failed > 0 && event.lastChance !== true) {
			throw new Error(`${result.failed} outbox entries could not be delivered yet`);
		}

		return result;
	}));
};
