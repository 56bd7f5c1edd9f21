import type { PolicyCall, Policy, PolicyContext, PolicyParts } from '../core/policy.js';
import { requestScoped } from '../core/runtime.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';

interface Flight {
	readonly controller: AbortController;
	/** Callers still waiting for the shared response (their own signals not aborted). */
	waiting: number;
	readonly promise: Promise<Response>;
	/** Callers given the response so far; the last one gets the original, the others a copy. */
	handed: number;
	joined: number;
}

const reads = new Set(['GET', 'HEAD']);

/**
 * What makes two in-flight requests the same: method, final URL, how fetch sends them (credentials,
 * mode, redirect, cache, referrer), the call's identity, and every request header after the
 * caller's headers and hooks (compared as values in memory; nothing is stored). The trace slot's
 * per-attempt headers are added below this layer, so they never tell calls apart.
 */
const keyOf = (request: Request, call: PolicyCall | undefined): string => {
	let key = `${request.method} ${request.url} ${request.credentials} ${request.mode} ${request.redirect} ${request.cache} ${request.referrer}\n${call?.identity ?? ''}`;
	request.headers.forEach((value, name) => {
		key += `\n${name}:${value}`;
	});
	return key;
};

const create = (context: PolicyContext): PolicyParts => {
	const flights = new Map<string, Flight>();
	const shared = new Map<string, number>();

	const join = (flight: Flight, request: Request): Promise<Response> => {
		flight.waiting++;
		flight.joined++;
		const { signal } = request;
		if (signal.aborted) {
			flight.waiting--;
			return Promise.reject(signal.reason);
		}

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

	const start = (key: string, next: FetchLike, request: Request, init: FetchInit | undefined): Flight => {
		const controller = new AbortController();
		const flight: Flight = {
			controller,
			waiting: 0,
			handed: 0,
			joined: 0,
			promise: next(new Request(request, { signal: controller.signal }), init).finally(() => {
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

	/** An id per request context (the `waitUntil` a call carries: one per `client.withContext(ctx)`). */
	const contexts = new WeakMap<object, number>();
	let made = 0;
	const layer: Layer = (next) => (request, init) => {
		const call = init?.steadfetch;
		const waitUntil = call?.waitUntil;
		// In Workers, a response (a stream) must not cross from one request to another: calls share only
		// within one request's context, and without one they do not share at all.
		if (!reads.has(request.method) || call?.options['dedupe'] === false || (!waitUntil && requestScoped())) {
			return next(request, init);
		}

		let id = waitUntil ? contexts.get(waitUntil) : 0;
		if (id === undefined) {
			id = ++made;
			contexts.set(waitUntil!, id);
		}

		const key = `${id} ${keyOf(request, call)}`;
		const existing = flights.get(key);
		if (existing && existing.waiting > 0) {
			const scope = call?.scope ?? context.scopeOf(request.url);
			shared.set(scope, (shared.get(scope) ?? 0) + 1);
			return join(existing, request);
		}

		return join(start(key, next, request, init), request);
	};

	return {
		layer,
		stats: (scope) => shared.has(scope) ? { dedupe: { shared: shared.get(scope) } } : undefined,
	};
};

/**
 * In-flight dedupe, for the `dedupe` slot: identical GET and HEAD attempts in flight at once share
 * one request: same method, final URL, `credentials` mode (and `mode`, `redirect`, `cache`,
 * `referrer`), identity, and every request header after the caller's headers and hooks, so two
 * users, tenants or credential modes never share a response, and a keyed call (its own
 * `Idempotency-Key`) never shares. The trace slot's own headers are added after the comparison. Each
 * caller gets its own response (its own body), runs its own hooks, and keeps its own abort: the
 * shared request is aborted only when every caller has aborted. Nothing is shared after the
 * response has arrived. Per call, `dedupe: false` opts out. In Cloudflare Workers a response never
 * crosses requests: calls share only within one request made through `client.withContext(ctx)`
 * (without it, nothing is shared).
 *
 * @example
 * const api = createClient({ dedupe: dedupe() });
 */
export const dedupe = (): Policy<'dedupe'> => ({ slot: 'dedupe', create });
