import type { OutboxMembers } from './types.js';

/** Background Sync tags the outbox registers start with this, followed by `:<client name>`. */
export const outboxSyncTag = 'steadfetch-outbox';

/** The `sync` event of a service worker (Background Sync), as far as the handler needs it. */
export interface SyncEventLike {
	readonly tag: string;
	readonly lastChance?: boolean;
	waitUntil(promise: Promise<unknown>): void;
}

/**
 * A service worker's `sync` event handler that drains the client's outbox (Background Sync, where
 * the browser has it). Events with another tag are left alone, another client's too (the tag a
 * client's queued write asks for is `steadfetch-outbox:<its name>`). When entries are still waiting after
 * the drain, the returned promise rejects so the browser schedules the sync again (unless it is the
 * browser's last chance). A client without an outbox is a `TypeError` at once.
 *
 * @example
 * // sw.js
 * import { createClient, outbox, outboxSyncHandler } from 'steadfetch';
 * const api = createClient({ baseUrl: 'https://api.example.com/', outbox: outbox() });
 * self.addEventListener('sync', outboxSyncHandler(api));
 */
export const outboxSyncHandler = (client: OutboxMembers): ((event: SyncEventLike) => void) => {
	let flush: unknown;
	try {
		flush = client?.outbox?.flush;
	} catch {
		// The preset's client without an outbox: its `outbox` throws OUTBOX_DISABLED when read.
	}

	if (typeof flush !== 'function') {
		throw new TypeError('`outboxSyncHandler(client)` needs a client made with `outbox: outbox()`');
	}

	// The tag this client's queued writes ask for (register-sync.ts), with its name (core/world.ts `clientName`).
	const tag = `${outboxSyncTag}:${(client as object as Record<symbol, string | undefined>)[Symbol.for('steadfetch.name')]}`;
	return (event) => {
		if (event.tag === tag) {
			event.waitUntil(client.outbox.flush().then((result) => {
				// Still waiting: failed now, or not tried (a server's Retry-After not yet passed, behind one that failed).
				if (result.remaining > 0 && event.lastChance !== true) {
					throw new Error(`${result.remaining} outbox entries could not be delivered yet`);
				}

				return result;
			}));
		}
	};
};
