import type { BreakerSnapshot } from '../breaker/snapshot.js';
import { SteadfetchError } from '../errors/SteadfetchError.js';
import type { Outbox } from '../outbox/types.js';
import type { CacheHandle, Client } from './client-types.js';
import type { PolicyParts, SlotName } from './policy.js';

/** What the breaker policy adds to its parts, for `client.breaker(url)`. */
export interface BreakerParts extends PolicyParts {
	snapshot(scope: string): BreakerSnapshot;
	/** Open a scope by hand until `reset` (a kill switch): shared across tabs and persisted. */
	isolate(scope: string): void;
	/** Close a scope by hand. */
	reset(scope: string): void;
}

/** What the stale cache policy adds to its parts, for `client.cache`. */
export interface CacheParts extends PolicyParts {
	readonly handle: CacheHandle;
}

/** What the outbox policy adds to its parts, for `client.outbox`. */
export interface OutboxParts extends PolicyParts {
	readonly outbox: Outbox;
}

const noCache: CacheHandle = {
	delete: async () => undefined,
	clear: async () => undefined,
	list: async () => [],
};

/** The members of the public client that show a policy: `breaker(url)`, `cache`, `outbox`. */
export const policyApis = (client: Client, parts: Partial<Record<SlotName, PolicyParts>>, scopeOf: (url: string) => string): void => {
	const breaker = parts.breaker as BreakerParts | undefined;
	const outbox = parts.outbox as OutboxParts | undefined;
	const scopeFor = (urlOrOrigin: string | URL): string => typeof urlOrOrigin === 'string' && !urlOrOrigin.includes('://') ? urlOrOrigin : scopeOf(String(urlOrOrigin));
	const handle = Object.assign((urlOrOrigin: string | URL) => {
		const scope = scopeFor(urlOrOrigin);
		return breaker?.snapshot(scope) ?? { scope, state: 'closed' as const, consecutiveFailures: 0 };
	}, {
		isolate(urlOrScope: string | URL) {
			if (!breaker) {
				throw new SteadfetchError('The breaker is off: give the client a breaker to isolate a scope', 'UNKNOWN', false);
			}

			breaker.isolate(scopeFor(urlOrScope));
		},
		reset(urlOrScope: string | URL) {
			breaker?.reset(scopeFor(urlOrScope));
		},
	});
	Object.defineProperty(client, 'breaker', { value: handle });

	Object.defineProperty(client, 'cache', { value: (parts.cache as CacheParts | undefined)?.handle ?? noCache });
	Object.defineProperty(client, 'outbox', {
		get() {
			if (!outbox) {
				throw new SteadfetchError('The outbox is disabled: give the client an outbox (`outbox: true`, or `outbox()` from steadfetch/outbox)', 'OUTBOX_DISABLED', false);
			}

			return outbox.outbox;
		},
	});
};
