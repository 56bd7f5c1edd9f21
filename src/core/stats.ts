/** Counters of one scope in `client.stats()`. */
export interface ScopeStats {
	/** Calls that made a first attempt. */
	requests: number;
	/** Calls that resolved (a stale or queued answer counts as resolved). */
	successes: number;
	/** Calls that rejected, by classification code (`TIMEOUT`, `NETWORK`, `HTTP_5XX`, `ABORTED`, ...). */
	failures: Record<string, number>;
	/** Retries sent. */
	retries: number;
	/** Retries the retry budget refused. */
	retriesRefused: number;
}

/** Per-scope counters; a few integers per scope. */
export class Stats {
	readonly #scopes = new Map<string, ScopeStats>();

	scope(scope: string): ScopeStats {
		let counters = this.#scopes.get(scope);
		if (!counters) {
			counters = { requests: 0, successes: 0, failures: {}, retries: 0, retriesRefused: 0 };
			this.#scopes.set(scope, counters);
		}

		return counters;
	}

	entries(): IterableIterator<[string, ScopeStats]> {
		return this.#scopes.entries();
	}
}
