/**
 * Whether an answer that says something of its quota or asks for a pause is its origin's word (its headers what the
 * server says now), for the parts that read them (the rate limiter, hedge's pause): not a steadfetch service worker's
 * stand-in, neither its answer for a refusal of its own client's (`Steadfetch-Error` naming another code than a failure
 * of the origin's, as `originFailed` reads it: a `503` with `CIRCUIT_OPEN` and the `Retry-After` of its breaker) nor its
 * stale copy or fallback (`Cache-Status: steadfetch; …`: the headers stored with it). Its own module, read only after
 * the answer said something (no header more on a plain answer): importing `originFailed` here moved that module out of
 * the core's chunk, the core 68 B larger.
 */
export const fromOrigin = ({ headers }: Response): boolean =>
	!/^steadfetch;/.test(headers.get('cache-status') ?? '') && /^(?:TIMEOUT|NETWORK|HTTP_(?:408|429|4XX|5XX))?$/.test(headers.get('steadfetch-error') ?? '');
