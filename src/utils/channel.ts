import { isObject } from './validate.js';

/** A cross-tab channel (BroadcastChannel), feature-detected. */
export interface Channel {
	/** Send to the other contexts of the origin; a closed channel drops it. */
	post(data: unknown): void;
	close(): void;
}

/**
 * Open the BroadcastChannel `name`, delivering what other contexts post to `receive`; `undefined`
 * where the runtime has none (Cloudflare Workers) or refuses one. An open channel keeps a Node or
 * Deno process alive until it is closed.
 */
export const openChannel = (name: string, receive: (data: unknown) => void): Channel | undefined => {
	try {
		const channel = new BroadcastChannel(name);
		channel.onmessage = (event: MessageEvent) => receive(event.data);
		return {
			post(data) {
				try {
					channel.postMessage(data);
				} catch {
					// A closed channel: nothing to tell.
				}
			},
			close: () => channel.close(),
		};
	} catch {
		// No BroadcastChannel here (a ReferenceError), or none allowed.
		return undefined;
	}
};

/**
 * Whether another tab's message is a newer build's word, ignored quietly (no `storage:error`): an object (an array too)
 * that `reads` says is of no version and kind this code reads. Anything else it cannot read is malformed (reported).
 */
export const isNewer = (data: unknown, reads: (message: Record<string, unknown>) => unknown): boolean => isObject(data) && !reads(data as Record<string, unknown>);
