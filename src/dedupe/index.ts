import type { PolicyCall, Policy, PolicyContext, PolicyParts } from '../core/policy.js';
import { requestScoped } from '../core/runtime.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';
import { scopes } from '../shared/scopes.js';

interface Flight {
	readonly controller: AbortController;
	/** Callers still waiting for the shared response (their own signals not aborted). */
	waiting: number;
	readonly promise: Promise<Response>;
	/** Callers given the response so far; the last one gets the original, the others a copy. */
	handed: number;
}

const reads = new Set(['GET', 'HEAD']);

/** What a request is, beyond its headers: its method, final URL, and how fetch sends it (each changes what the answer means). */
const fields = ['method', 'url', 'credentials', 'mode', 'redirect', 'cache', 'referrer', 'referrerPolicy', 'integrity', 'keepalive', 'priority'] as const;

/**
 * What makes two in-flight requests the same: the call's identity, `fields`, and every request
 * header after the caller's headers and hooks (compared as values in memory; nothing is stored).
 * The trace slot's per-attempt headers are added below this layer, so they never tell calls apart.
 */
const keyOf = (request: Request, call: PolicyCall | undefined): string => {
	let key = JSON.stringify([call?.identity, ...fields.map((name) => (request as unknown as Record<string, unknown>)[name])]);
	request.headers.forEach((value, name) => {
		key += `\n${name}:${value}`;
	});
	return key;
};

const create = (context: PolicyContext): PolicyParts => {
	/**
	 * Whether a call goes out through a transport of its own: its `fetch`, or a fetch option a Request
	 * does not carry (undici's `dispatcher`: a client certificate, a proxy, a cookie jar) other than the
	 * client's. The shared request would go out through one caller's, so such a call is never shared.
	 */
	const ownTransport = (call: PolicyCall | undefined, init: FetchInit | undefined): boolean => {
		if (call?.options['fetch'] !== undefined) {
			return true;
		}

		for (const name in init) {
			if (name !== 'steadfetch' && init[name as keyof FetchInit] !== context.options[name]) {
				return true;
			}
		}

		return false;
	};

	/** In-flight requests by key, of calls made without a request context. */
	const everywhere = new Map<string, Flight>();
	/** In-flight requests by key, per request context (the `waitUntil` of one `client.withContext(ctx)`): gone with it. */
	const contexts = new WeakMap<object, Map<string, Flight>>();
	/** Calls that joined another's request, per scope (`stats()`): at most `maxScopes` idle scopes (`Scopes`). */
	const shared = scopes(() => ({ shared: 0 }));

	const join = (flight: Flight, { signal }: Request): Promise<Response> => {
		flight.waiting++;
		// One caller's abort is its own: the shared request is aborted only when every caller has.
		return new Promise<Response>((resolve, reject) => {
			const onAbort = (): void => {
				if (--flight.waiting === 0) {
					flight.controller.abort(signal.reason);
				}

				reject(signal.reason);
			};

			signal.addEventListener('abort', onAbort, { once: true });
			flight.promise.then((response) => {
				signal.removeEventListener('abort', onAbort);
				if (signal.aborted) {
					return;
				}

				// Each caller reads its own body: the last one handed the response gets the original.
				resolve(++flight.handed === flight.waiting ? response : response.clone());
			}, (error: unknown) => {
				signal.removeEventListener('abort', onAbort);
				reject(error);
			});
		});
	};

	const start = (flights: Map<string, Flight>, key: string, next: FetchLike, request: Request, init: FetchInit | undefined): Flight => {
		const controller = new AbortController();
		const flight: Flight = {
			controller,
			waiting: 0,
			handed: 0,
			// The shared request has a signal of its own; fetch would reset the referrer and its policy
			// when a Request is re-made with an init, so both are given again.
			promise: next(new Request(request, { signal: controller.signal, referrer: request.referrer, referrerPolicy: request.referrerPolicy }), init).finally(() => {
				// Nothing is shared once the response has arrived: this is not a cache.
				if (flights.get(key) === flight) {
					flights.delete(key);
				}
			}),
		};
		flight.promise.catch(() => undefined);
		flights.set(key, flight);
		return flight;
	};

	const layer: Layer = (next) => (request, init) => {
		const call = init?.steadfetch;
		const waitUntil = call?.waitUntil;
		// In Workers, a response (a stream) must not cross from one request to another: calls share only
		// within one request's context, and without one they do not share at all.
		if (!reads.has(request.method) || call?.options['dedupe'] === false || (!waitUntil && requestScoped()) || ownTransport(call, init)) {
			return next(request, init);
		}

		if (request.signal.aborted) {
			// Rejected at once: it neither starts nor joins a request.
			return Promise.reject(request.signal.reason);
		}

		let flights = everywhere;
		if (waitUntil) {
			flights = contexts.get(waitUntil) ?? new Map();
			contexts.set(waitUntil, flights);
		}

		const key = keyOf(request, call);
		const existing = flights.get(key);
		if (existing && existing.waiting > 0) {
			shared.scope(call?.scope ?? context.scopeOf(request.url)).shared++;
			return join(existing, request);
		}

		return join(start(flights, key, next, request, init), request);
	};

	return {
		layer,
		stats: (scope) => {
			const counts = shared.get(scope);
			return counts && { dedupe: { ...counts } };
		},
	};
};

/**
 * In-flight dedupe, for the `dedupe` slot: identical GET and HEAD attempts in flight at once share
 * one request: same method, final URL, identity, every request header after the caller's headers
 * and hooks, and every property of how fetch sends it (`credentials`, `mode`, `redirect`, `cache`,
 * `referrer`, `referrerPolicy`, `integrity`, `keepalive`, `priority`), so two users, tenants or
 * credential modes never share a response, and a keyed call (its own `Idempotency-Key`) never
 * shares, nor a call with a transport of its own (its `fetch`, or a fetch option such as undici's
 * `dispatcher` other than the client's). The trace slot's own headers are added after the comparison. The shared request keeps
 * every property of the first caller's. Each caller gets its own response (its own body), runs its
 * own hooks, and keeps its own abort: the shared request is aborted only when every caller has
 * aborted; a call whose signal is already aborted is rejected at once with its reason. Nothing is
 * shared after the response has arrived. Per call, `dedupe: false` opts out. In Cloudflare Workers
 * a response never crosses requests: calls share only within one client made by
 * `client.withContext(ctx)` (without it, nothing is shared), and what they share goes with it.
 *
 * @example
 * const api = createClient({ dedupe: dedupe() });
 */
export const dedupe = (): Policy<'dedupe'> => ({ slot: 'dedupe', create });
