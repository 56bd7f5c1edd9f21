/** Counters of one scope in `client.stats()`. */
export interface ScopeStats {
	/** Calls to the scope that reached the per-attempt layers (answered by the network, stale, queued, or failed fast). */
	requests: number;
	/** Calls that resolved, stale answers and `202 Accepted` for queued mutations included. */
	successes: number;
	/** Of the successes: answers served from the stale cache. */
	stale: number;
	/** Mutations stored in the outbox for replay (`OutboxQueuedError` or a `202`): not failures of delivery. */
	queued: number;
	/** Calls that rejected, by classification code (`TIMEOUT`, `NETWORK`, `HTTP_5XX`, `ABORTED`, ...). */
	failures: Record<string, number>;
	/** Retries sent. */
	retries: number;
	/** Retries the retry budget refused. */
	retriesRefused: number;
	/** Calls answered by the `fallback` option (failures of the origin, counted in `failures` too). */
	fallbacks: number;
}

/** Per-scope counters; a few integers per scope. */
export class Stats {
	readonly #scopes = new Map<string, ScopeStats>();

	scope(scope: string): ScopeStats {
		let counters = this.#scopes.get(scope);
		if (!counters) {
			counters = { requests: 0, successes: 0, stale: 0, queued: 0, failures: {}, retries: 0, retriesRefused: 0, fallbacks: 0 };
			this.#scopes.set(scope, counters);
		}

		return counters;
	}

	entries(): IterableIterator<[string, ScopeStats]> {
		return this.#scopes.entries();
	}
}
