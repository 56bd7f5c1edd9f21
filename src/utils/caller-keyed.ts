/**
 * Whether the caller keyed a call (failover, hedge): its `idempotencyKey` (also the one the core made for a
 * POST/PATCH the caller asked ky to retry), or an `Idempotency-Key` it gave in the call's headers, its
 * Request or the client's headers (`defaults`). The key the outbox makes for a write it holds is on the
 * request too, but is not the caller's: it does not say the write may be sent twice at once or elsewhere.
 */
export const callerKeyed = ({ idempotencyKey, options, input }: { readonly idempotencyKey: string | undefined; readonly options: { readonly headers?: unknown }; readonly input: unknown }, defaults: unknown): boolean =>
	idempotencyKey !== undefined || [options.headers, defaults, input instanceof Request && input.headers].some((headers) => {
		try {
			return !!headers && new Headers(headers as HeadersInit).has('idempotency-key');
		} catch {
			return false; // Headers fetch refuses were refused before any I/O: not these.
		}
	});
