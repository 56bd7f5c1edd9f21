import type { BreakerSnapshot } from '../breaker/snapshot.js';
import { SteadfetchError } from '../errors/SteadfetchError.js';
import type { Outbox } from '../outbox/types.js';
import type { CacheHandle, Client } from './client-types.js';
import type { PolicyParts } from './policy.js';
import { scopeFor } from './scope.js';
import { waitTimeoutOf } from './validate-options.js';

/** What the breaker policy adds to its parts: its view of a scope, and its members for the client. */
export interface BreakerParts extends PolicyParts {
	snapshot(scope: string): BreakerSnapshot;
	/** Open a scope by hand until `reset` (a kill switch): shared across tabs and persisted. */
	isolate(scope: string): void;
	/** Close a scope by hand. */
	reset(scope: string): void;
	/**
	 * With `breaker.probe`: send the probe now if the breaker lets one through. Returns the ms after
	 * which asking again may help (0 when closed).
	 */
	probeNow?(scope: string): number;
}

/** What the stale cache policy adds to its parts, for `client.cache`. */
export interface CacheParts extends PolicyParts {
	readonly handle: CacheHandle;
}

/** What the outbox policy adds to its parts, for `client.outbox`. */
export interface OutboxParts extends PolicyParts {
	readonly outbox: Outbox;
}

/**
 * The members of the public client that show a policy — `breaker(url)`, `waitForHealthy`, `cache`,
 * `outbox` — as the core's stand-ins (a closed breaker, an empty cache, no outbox), each replaced by
 * the member the slot's policy gives (`PolicyParts.members`).
 */
export const clientMembers = (client: Client, active: readonly PolicyParts[], scopeOf: (url: string) => string): void => {
	const members: Record<string, unknown> = {
		breaker: Object.assign((urlOrOrigin: string | URL) => ({ scope: scopeFor(urlOrOrigin, scopeOf), state: 'closed' as const, consecutiveFailures: 0 }), {
			isolate() {
				throw new SteadfetchError('The breaker is off: give the client a breaker to isolate a scope', 'UNKNOWN', false);
			},
			reset() {},
		}),
		// Without a breaker every scope is healthy: only the options are checked.
		waitForHealthy: async (_urlOrScope: string | URL, options?: { timeoutMs?: number }) => {
			waitTimeoutOf(options);
		},
		cache: { delete: async () => undefined, clear: async () => undefined, list: async () => [] },
	};
	for (const part of active) {
		Object.assign(members, part.members);
	}

	// `waitForHealthy` is a method as before (assignable, for spies); the handles are fixed properties.
	const { waitForHealthy, ...handles } = members;
	client.waitForHealthy = waitForHealthy as Client['waitForHealthy'];
	for (const [name, value] of Object.entries(handles)) {
		Object.defineProperty(client, name, { value });
	}

	if (!('outbox' in members)) {
		Object.defineProperty(client, 'outbox', {
			get() {
				throw new SteadfetchError('The outbox is disabled: give the client an outbox (`outbox: true`, or `outbox()` from steadfetch/outbox)', 'OUTBOX_DISABLED', false);
			},
		});
	}
};
