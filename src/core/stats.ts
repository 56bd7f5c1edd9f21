import { scopes, type Scopes } from '../utils/scopes.js';

/** Counters of one scope in `client.stats()`. */
export interface ScopeStats {
	/**
	 * Calls to the scope that reached the per-attempt layers (answered by the network, stale, queued, or failed fast). Not an
	 * outbox replay, here or in the outcomes below: a queued write counts once, when it was made (`queued`). A call `failover()`
	 * sent to a mirror counts in the mirror's scope too (its row has each policy's view of the mirror); its outcome, below, in its own.
	 */
	requests: number;
	/** Calls that resolved, stale answers and `202 Accepted` for queued mutations included. */
	successes: number;
	/** Of the successes: answers served from the stale cache (in a page a steadfetch service worker controls, its stale copies too). */
	stale: number;
	/** Mutations stored in the outbox for replay (`OutboxQueuedError` or a `202`; a steadfetch service worker's `202` too): not failures of delivery. */
	queued: number;
	/** Calls that rejected, by classification code (`TIMEOUT`, `NETWORK`, `HTTP_5XX`, `ABORTED`, ...). */
	failures: Record<string, number>;
	/** Retries sent (not one a layer refused without I/O: an open breaker, the throttle, a bulkhead, a rate limit). */
	retries: number;
	/** Retries the retry budget refused. */
	retriesRefused: number;
	/** Calls answered by the `fallback` option (failures of the origin, counted in `failures` too). */
	fallbacks: number;
}

/**
 * The counters an outcome a policy made in the network's place counts in (`PolicyParts.substituted`), besides
 * `successes` when it resolved: named as the fields of `ScopeStats` they are, never as a policy's words.
 */
const substitutes = { stale: true, queued: true } as const;

/** One of the `substitutes` counters. */
export type Counter = keyof typeof substitutes;

/** Whether a policy's `substituted()` answer names a `substitutes` counter (anything else says the outcome is not its own). */
export const isCounter = (kind: unknown): kind is Counter => typeof kind === 'string' && Object.hasOwn(substitutes, kind);

/** A scope's counters as the client keeps them: `open`, its calls started and not yet settled (not enumerable: not in `stats()`). */
export type Counters = ScopeStats & { open: number };

/**
 * Per-scope counters; a few integers per scope, for at most `maxScopes` idle scopes (`Scopes`): a
 * forgotten scope's counters are gone. Never forgotten: a scope with calls in flight (`open`; not
 * derived from the outcomes, which count a `202` for a queued write twice), or one a policy `holds`
 * (an open breaker, an unhealthy scope, pending outbox entries).
 */
export type Stats = Scopes<Counters>;

export const createStats = (holds: (scope: string) => boolean): Stats =>
	scopes((): Counters => Object.defineProperty({ requests: 0, successes: 0, stale: 0, queued: 0, failures: {}, retries: 0, retriesRefused: 0, fallbacks: 0 }, 'open', { value: 0, writable: true }) as Counters, (counters, scope) => counters.open > 0 || holds(scope));
