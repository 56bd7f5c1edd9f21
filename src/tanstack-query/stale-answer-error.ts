import type { StaleReason } from '../cache/stale-response.js';

/**
 * steadfetch answered from its stale cache (or with the client's `fallback`) because the origin did not. `queryOptionsFor`'s
 * `queryFn` throws it, so TanStack keeps its error and retry state and `dataUpdatedAt` stays the
 * time of the last fresh answer; `shown(result)` gives the app the copy to display. `mutationOptionsFor`'s
 * `mutationFn` rejects with it (`reason: 'fallback'`) for a write the `fallback` answered: never delivered.
 */
export class StaleAnswerError<T = unknown> extends Error {
	override name = 'StaleAnswerError' as const;
	/** The stored answer steadfetch served (parsed as JSON). */
	declare readonly staleData: T;
	/** When the copy was stored (epoch ms, from `Date.now()` and the `Age` header: whole seconds); 0 for a `fallback` answer (no copy: a placeholder). */
	declare readonly storedAt: number;
	/** Why the origin did not answer: the copy's `detail` (`network`, `timeout`, `http-5xx`, `circuit-open`, `offline`, `slow`, `throttled`…), or `fallback` for the client's `fallback` answer. */
	declare readonly reason: StaleReason;
	/** With the breaker open: ms until it lets a request through. */
	declare readonly retryAfterMs: number | undefined;
	/** The URL the copy answered for (absolute), its sensitive query values removed: its scope is where `refetchWhenBack` waits for an answer. */
	declare readonly url: string | undefined;
	/** The current identity's writes to the copy's URL still pending in the outbox (`Cache-Status … pending-writes=N`); 0 when none. */
	declare readonly pendingWrites: number;

	constructor(staleData: T, storedAt: number, reason: StaleReason, retryAfterMs: number | undefined, url?: string, pendingWrites = 0) {
		super(`served stale: ${reason}`);
		Object.assign(this, { staleData, storedAt, reason, retryAfterMs, url, pendingWrites });
	}
}
