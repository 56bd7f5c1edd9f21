/**
 * Where each built-in policy runs: its bands (`Policy.at`), in one table. Lower sits outside; wrap
 * bands (a policy's wrapper around the whole call) and layer bands (its per-attempt layer) are two
 * separate orders. Together they reproduce the library's two orders; an app's part without a band
 * sits at 1 000, inside every built-in. Why each sits where it does:
 *
 * - `auth` outside everything: a 401 after every other policy has had its say triggers one refresh.
 *   Its layer stays above `staleCache`: the cache keys its copies by the request's credentials, so
 *   it must see the token (also offline, when it answers before any layer below runs).
 * - `trace`: one request id and trace for the whole call (`otel()`'s call span); its layer runs
 *   inside `hedge` (each hedge is an attempt with its own `traceparent` and `attempt:*` events).
 * - `outbox` sees the final outcome of a mutation, after the stale cache and the retries.
 * - `staleCache` answers a failed read with a stale copy, looked up and stored by the URL asked for.
 * - `failover` sends a failed read to a mirror, inside the cache: the cache answers stale only when
 *   every mirror failed too, and stores a mirror's answer under the primary URL.
 * - `dedupe` shares one in-flight read between identical callers (its key holds `Authorization`).
 * - `hedge` sends a second attempt when the first is slow; above `adaptiveThrottle`, `bulkhead` and
 *   `rateLimit`, so a hedge is judged, takes a slot and a token like any attempt.
 * - `adaptiveThrottle` refuses an attempt locally while the scope rejects much of what it gets:
 *   before it waits for a slot or takes a token.
 * - `bulkhead`, `rateLimit` hold an attempt before it takes a connection.
 * - `breaker` next to the transport: it counts only attempts that really go out.
 * - `logger` and `health` only watch outcomes: the logger's layer outermost (it notes when a call's
 *   first attempt starts), health's innermost (it times attempts that reached the transport).
 *
 * The core's own per-attempt accounting sits outside every layer, the transport inside.
 */
export interface Bands {
	/** The band of the policy's wrapper around the whole call (`PolicyParts.wrap`). */
	readonly wrap?: number;
	/** The band of the policy's per-attempt layer (`PolicyParts.layer`). */
	readonly layer?: number;
}

export const authAt: Bands = { wrap: 100, layer: 150 };
export const traceAt: Bands = { wrap: 150, layer: 475 };
export const outboxAt: Bands = { wrap: 200, layer: 200 };
export const staleCacheAt: Bands = { wrap: 300, layer: 300 };
export const failoverAt: Bands = { wrap: 350, layer: 350 };
export const dedupeAt: Bands = { wrap: 400, layer: 400 };
export const hedgeAt: Bands = { wrap: 450, layer: 450 };
export const adaptiveThrottleAt: Bands = { wrap: 500, layer: 500 };
export const bulkheadAt: Bands = { wrap: 550, layer: 550 };
export const rateLimitAt: Bands = { wrap: 600, layer: 600 };
export const breakerAt: Bands = { wrap: 700, layer: 700 };
export const loggerAt: Bands = { wrap: 800, layer: 100 };
export const healthAt: Bands = { wrap: 850, layer: 850 };
