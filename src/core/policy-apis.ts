import type { BreakerSnapshot } from '../breaker/snapshot.js';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
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
	client.waitForHealthy = async (urlOrScope, options = {}) => {
		const { timeoutMs = 30_000 } = options;
		if (!(typeof timeoutMs === 'number' && timeoutMs >= 0 && Number.isFinite(timeoutMs))) {
			throw new InvalidRequestError(`\`timeoutMs\` must be a non-negative finite number of ms; got ${String(timeoutMs)}`);
		}

		const scope = scopeFor(urlOrScope);
		if (!breaker || breaker.snapshot(scope).state === 'closed') {
			return;
		}

		await new Promise<void>((resolve, reject) => {
			let poll: ReturnType<typeof setTimeout> | undefined;
			const done = (): void => {
				clearTimeout(timer);
				clearTimeout(poll);
				stop();
			};

			const stop = client.on('breaker:closed', (event) => {
				if (event.scope === scope) {
					done();
					resolve();
				}
			});
			const timer = setTimeout(() => {
				done();
				reject(new SteadfetchError(`${scope} was not healthy within ${timeoutMs} ms`, 'TIMEOUT', true));
			}, timeoutMs);
			// With `breaker.probe`, nobody's call need come: send the probe each time the breaker lets one
			// through (asked again at most every second, as the injected clock may move on its own).
			const tick = (): void => {
				poll = setTimeout(tick, Math.min(1000, Math.max(10, breaker.probeNow!(scope))));
			};

			if (breaker.probeNow) {
				tick();
			}
		});
	};

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
