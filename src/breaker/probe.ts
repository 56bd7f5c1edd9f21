import type { FetchLike } from '../core/types.js';

/** What `breaker.probe` may be: a URL relative to the scope, or a function making the probe's Request. */
export type ProbeOption = string | ((scope: string) => Request);

/**
 * The half-open probe's own Request (`breaker.probe`), bounded by `timeoutMs`; `undefined` when
 * it cannot be made (a relative URL for a scope that is not a URL, a function that throws).
 */
export const probeRequest = (probe: ProbeOption, scope: string, timeoutMs: number): Request | undefined => {
	try {
		const request = typeof probe === 'string' ? new Request(new URL(probe, scope.endsWith('/') ? scope : `${scope}/`)) : probe(scope);
		return request instanceof Request ? new Request(request, { signal: AbortSignal.any([request.signal, AbortSignal.timeout(timeoutMs)]) }) : undefined;
	} catch {
		return undefined;
	}
};

/** The transport for a probe: any answer but 2xx/3xx is a failed probe. The body is not read. */
export const probeTransport = (next: FetchLike): FetchLike => async (request, init) => {
	const response = await next(request, init);
	void response.body?.cancel().catch(() => undefined);
	if (response.status >= 400) {
		throw new Error(`The probe ${request.url} was answered ${response.status}`);
	}

	return response;
};
