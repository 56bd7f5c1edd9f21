import { outboxSyncTag } from './background-sync.js';

// The edge build (workerd, Deno, edge functions: no service worker, no Background Sync) swaps this
// module for register-sync-edge.ts, which asks for nothing.

interface SyncRegistrationLike {
	sync?: { register(tag: string): Promise<void> };
}

/**
 * Ask for a Background Sync after queuing, where there is one (Chromium with a service worker):
 * inside a service worker through its own registration, in a page only when a service worker
 * controls it. Best effort: the other triggers do not depend on it. Never throws: a context that
 * refuses service workers (an opaque origin, a sandboxed iframe without `allow-same-origin`: reading
 * `navigator.serviceWorker` throws a `SecurityError` there) has none to ask.
 */
export const registerSync = (name: string): void => {
	const register = async (registration?: SyncRegistrationLike): Promise<void> => registration?.sync?.register(`${outboxSyncTag}:${name}`);
	try {
		const own = (globalThis as { registration?: SyncRegistrationLike }).registration;
		const container = (globalThis as { navigator?: { serviceWorker?: ServiceWorkerContainer } }).navigator?.serviceWorker;
		(own ? register(own) : container?.controller ? container.ready.then(async (registration) => register(registration as SyncRegistrationLike)) : undefined)?.catch(() => undefined);
	} catch {
		// Refused (see above): the other triggers deliver the write.
	}
};
