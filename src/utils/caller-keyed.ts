/**
 * Whether the caller keyed a call (failover, hedge): its `idempotencyKey` (also the one the core made for a
 * POST/PATCH the caller asked ky to retry), or an `Idempotency-Key` it gave in the call's headers, its
 * Request or the client's headers (`defaults`), read as ky merges them: the call's over the client's over the
 * Request's, one given as `undefined` (ky's way to drop a header, read by `Headers` as 'undefined') none, also
 * where another gives one. The key the outbox makes for a write it holds is on the request too, but is not the
 * caller's: it does not say the write may be sent twice at once or elsewhere.
 */
export const callerKeyed = ({ idempotencyKey, options, input }: { readonly idempotencyKey: string | undefined; readonly options: { readonly headers?: unknown }; readonly input: unknown }, defaults: unknown): boolean => {
	if (idempotencyKey !== undefined) {
		return true;
	}

	for (const headers of [options.headers, defaults, input instanceof Request && input.headers]) {
		let key: string | null = null;
		try {
			key = headers ? new Headers(headers as HeadersInit).get('idempotency-key') : null;
		} catch {} // Headers fetch refuses were refused before any I/O: not these.
		if (key !== null) {
			return key !== 'undefined';
		}
	}

	return false;
};
