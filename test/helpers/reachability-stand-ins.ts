/**
 * Stand-ins around `followReachability` (steadfetch/tanstack-query): a client whose reachability the test sets, and a
 * TanStack-like `onlineManager` of the test's own that records what it is told.
 */

import type { Client } from '../../src/entries/index.js';

/** How a client's scope is reachable (`reachability()`'s answers). */
type Reachability = ReturnType<Client['reachability']>;

/**
 * A stand-in client whose scope's reachability the test sets (`reach`), telling its listeners as the client does;
 * `listening()`: how many listen. Give it to `followReachability` `as never`.
 */
export const standInClient = (initial: Reachability) => {
	let state = initial;
	const listeners = new Set<() => void>();
	return {
		reachability: () => state,
		on: (_type: 'reachability', listener: () => void) => {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		reach: (next: Reachability): void => {
			state = next;
			for (const listener of listeners) {
				listener();
			}
		},
		listening: () => listeners.size,
	};
};

/** A TanStack-like `onlineManager` of its own (not the module's one): what its follower tells it, in order (`told`); `end()` runs the follower's cleanup. */
export const recordingManager = () => {
	const told: boolean[] = [];
	let cleanup: (() => void) | undefined;
	return {
		told,
		setEventListener(setup: (setOnline: (online: boolean) => void) => (() => void) | undefined) {
			cleanup?.();
			cleanup = setup((online) => told.push(online));
		},
		end: () => cleanup?.(),
	};
};
