import { SteadfetchError } from '../errors/SteadfetchError.js';
import type { Outbox } from '../outbox/types.js';
import type { BreakerHandle, CacheHandle, Client } from './client-types.js';
import type { PolicyParts } from './policy.js';
import { scopeFor } from './scope.js';
import { waitTimeoutOf } from './validate-options.js';

/** The breaker's parts: its members for the client, `breaker(url)` (with `isolate`, `reset`) and `waitForHealthy`. */
export interface BreakerParts extends PolicyParts {
	readonly members: { readonly breaker: BreakerHandle; readonly waitForHealthy: Client['waitForHealthy'] };
}

/** The stale cache's parts: its member for the client, `client.cache`. */
export interface CacheParts extends PolicyParts {
	readonly members: { readonly cache: CacheHandle };
}

/** The outbox's parts: its member for the client, `client.outbox`. */
export interface OutboxParts extends PolicyParts {
	readonly members: { readonly outbox: Outbox };
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
