import { dedupeAt } from '../bands/bands.js';
import type { PolicyCall, Policy, PolicyContext, PolicyParts } from '../core/policy.js';
import { requestScoped } from '../utils/runtime.js';
import type { Call } from '../core/call.js';
import type { FetchInit, Layer } from '../core/types.js';
import { attemptScope } from '../core/scope.js';
import { scopes, type Scopes } from '../utils/scopes.js';
import { offOnly } from '../utils/validate.js';
import { Flight } from './flight.js';
import type { CoreClientOptions } from '../core/options.js';

/** What importing this policy adds to the client's types (a call's options): its per-call option `dedupe`. */
declare module 'steadfetch/core' {
	/** The `dedupe` slot of `createClient`. */
	interface Slots {
		dedupe: Policy<'dedupe'>;
	}

	interface CallOptions {
		/**
		 * `false`: this call never shares a request with another (with `dedupe()`).
		 * @default undefined (shares with identical calls)
		 */
		dedupe?: false;
	}
}

const reads = new Set(['GET', 'HEAD']);

/** What a request is, beyond its headers: its method, final URL, and how fetch sends it (each changes what the answer means). */
const fields = ['method', 'url', 'credentials', 'mode', 'redirect', 'cache', 'referrer', 'referrerPolicy', 'integrity', 'keepalive', 'priority'] as const;

/**
 * What makes two in-flight requests the same: the call's identity, its per-call switches (each option
 * given as `false`: the shared request goes through the policies below as the call that made it asked,
 * so `{ bulkhead: false }` never waits behind another's queued request), `fields`, and every request
 * header after the caller's headers and hooks (compared as values in memory; nothing is stored).
 * The trace slot's per-attempt headers are added below this layer, so they never tell calls apart.
 * `clientOff`: the options the call's client gives as `false` (a slot turned off by `extend()`), as the call's own.
 */
const keyOf = (request: Request, call: PolicyCall | undefined, clientOff: string[]): string => {
	const options = call?.options ?? {};
	const off = Object.keys(options).filter((name) => options[name as keyof typeof options] === false).sort();
	let key = JSON.stringify([call?.identity, clientOff, off, ...fields.map((name) => (request as unknown as Record<string, unknown>)[name])]);
	request.headers.forEach((value, name) => {
		key += `\n${name}:${value}`;
	});
	return key;
};

/** The members of `FetchInit` that are the policies' own, no fetch option: a layer above that sets one (`sending`, which it may) sends the request no other way. */
const policyOwn = new Set(['steadfetch', 'steadfetchRun', 'sending', 'hedge', 'callers']);

/** Whether two requests go out the same way (`viaOf`: the same values, in order). */
const sameWay = (one: unknown[], other: unknown[]): boolean => one.length === other.length && one.every((value, index) => value === other[index]);

/** What one family of clients shares (one name and store, `context.stores`: a client and those its `extend()` made, that keep the policy object). */
interface Family {
	everywhere: Map<string, Flight>;
	contexts: WeakMap<object, Map<string, Flight>>;
	joins: Scopes<{ shared: number }>;
	live: Set<Flight>;
}

const create = (context: PolicyContext, families: WeakMap<object, Family>): PolicyParts => {
	const client = context.options as Record<string, unknown>;
	/** The options this client gives as `false`: a call shares only with a call of a client that turns off the same (`keyOf`). */
	const clientOff = Object.keys(client).filter((name) => client[name] === false).sort();
	/** What a request goes out through: the client's `fetch` and the fetch options ky hands it (undici's `dispatcher`): a call joins only a request sent the same way. */
	const viaOf = (init: FetchInit | undefined): unknown[] => [client.fetch, ...Object.entries(init ?? {}).filter(([name]) => !policyOwn.has(name)).flat()];

	/**
	 * Whether a call goes out through a transport of its own: its `fetch`, or a fetch option a Request
	 * does not carry (undici's `dispatcher`: a client certificate, a proxy, a cookie jar) other than the
	 * client's. The shared request would go out through one caller's, so such a call is never shared.
	 */
	const ownTransport = (call: PolicyCall | undefined, init: FetchInit | undefined): boolean => {
		if (call?.options.fetch !== undefined) {
			return true;
		}

		for (const name in init) {
			if (!policyOwn.has(name) && init[name as keyof FetchInit] !== context.options[name as keyof FetchInit & keyof CoreClientOptions]) {
				return true;
			}
		}

		return false;
	};

	/**
	 * The family's (`Family`): in-flight requests by key, of calls made outside Workers (a service worker's `waitUntil` included);
	 * in-flight requests by key, per request (the `ctx` of `client.withContext(ctx)`, however many times it was called for
	 * it): gone with it; calls that joined another's request, per scope (`stats()`): at most `maxScopes` idle scopes
	 * (`Scopes`); every request in flight (of `everywhere` and of each request context), until it ends.
	 */
	const family = families.get(context.stores) ?? { everywhere: new Map(), contexts: new WeakMap(), joins: scopes(() => ({ shared: 0 })), live: new Set() };
	families.set(context.stores, family);
	const { everywhere, contexts, joins, live } = family;
	// A write delivered by any client of the name, here or in another tab: a read in flight since before it takes no more
	// callers (whichever URL it changed: what it touches is the server's to know; a read made after it sends its own).
	context.on('write:delivered', () => {
		for (const flight of live) {
			flight.written = true;
		}
	});

	/** Set by this client's `close()`: a request of another client of the family refused as that one closed is no longer this one's to send again. */
	let closed = false;

	const layer: Layer = (next) => (request, init) => {
		const call = init?.steadfetch;
		// In Workers, a response (a stream) must not cross from one request to another: calls share only
		// within one request's context, and without one they do not share at all. Elsewhere a `waitUntil`
		// (a service worker's event's) names no request context: every call shares.
		const scoped = requestScoped();
		const waitUntil = call?.waitUntil;
		if (!reads.has(request.method) || call?.options.dedupe === false || (scoped && !waitUntil) || ownTransport(call, init)) {
			return next(request, init);
		}

		if (request.signal.aborted) {
			// Rejected at once: it neither starts nor joins a request.
			return Promise.reject(request.signal.reason);
		}

		let flights = everywhere;
		if (scoped) {
			// The request context object's count (`Invocation.used`), one per `ctx`: every `withContext(ctx)` of it (a helper that
			// calls it per call) is one request; a per-call `waitUntil` names no request of its own (then the function itself).
			// Read from the call, not with core/invocation.ts's code: importing it here splits it out of the core's chunk,
			// which cost the preset 10.7k instructions per call on new URLs (bench/instructions.mjs, BENCH_NO_GC=1).
			const within = (call as Call | undefined)?.invocation?.used ?? waitUntil!;
			flights = contexts.get(within) ?? new Map();
			contexts.set(within, flights);
		}

		const key = keyOf(request, call, clientOff);
		const existing = flights.get(key);
		// What each goes out through, compared only when a call would join (nothing made per attempt otherwise).
		if (existing?.joins(call?.world, request.url) && sameWay(existing.via(), viaOf(init))) {
			const own = call as Call | undefined;
			if (own && (own.world.check?.() ?? own.unbound())) {
				// An attempt the transport refuses as it goes out (its call's identity changed or the client was cleared since it
				// started, src/core/world.ts; its stored write removed): it joins nothing — a call made before a logout never gets
				// the answer of a request made after it — and goes down alone, refused there as it would be without dedupe.
				return next(request, init);
			}

			const counts = joins.scope(attemptScope(context.scopeOf, request.url, call));
			counts.shared++;
			// The trace slot's view of it (`PolicyHooks.joined`): the shared request's ids, and `otel()`'s span of the attempt.
			const ended = call && context.hooks.joined?.(call, existing.first, existing.request);
			return existing.join(request.signal, call).then((response: Response) => {
				ended?.(response);
				return response;
			}, (error: unknown) => {
				// The shared request goes as its first caller's attempt: refused by that caller's world (`ABORTED`: a logout or a
				// clear since it started), it is not this call's outcome when this is this call's first attempt and its own world
				// lets it go (a call without identity): then it goes on its own (`Call.unbound`, `World.check`, asked again as it goes out).
				// So when refused as that caller's client closed (`CLIENT_CLOSED`: another client of the family) while this one is open.
				const { code } = (error ?? {}) as { code?: unknown };
				const alone = !request.signal.aborted && (code === 'CLIENT_CLOSED' ? !closed : code === 'ABORTED' && own?.attempts === 1 && !own.world.check?.() && !own.unbound());
				ended?.(undefined, error, alone);
				if (!alone) {
					throw error;
				}

				// Counted as what it did (`stats()`): it sent its own, it shared nothing.
				counts.shared--;
				return layer(next)(request, init);
			});
		}

		const flight = new Flight(flights, live, key, next, request, init);
		flight.via = () => viaOf(init);
		return flight.join(request.signal, call);
	};

	return {
		layer,
		checkCall: offOnly('dedupe'),
		stats: (scope) => {
			const counts = joins.get(scope);
			return counts && { dedupe: { ...counts } };
		},
		close: () => {
			closed = true;
		},
	};
};

/**
 * In-flight dedupe, for the `dedupe` slot: identical GET and HEAD attempts in flight at once share
 * one request: same method, final URL, identity, every request header after the caller's headers
 * and hooks, and every property of how fetch sends it (`credentials`, `mode`, `redirect`, `cache`,
 * `referrer`, `referrerPolicy`, `integrity`, `keepalive`, `priority`), so two users, tenants or
 * credential modes never share a response (nor a call made after a `clear()`, the client's or the
 * stale cache's, or a `cache.delete(url)` of its URL, one made before it, nor a call made before a logout — a `clear()` of
 * the client, of its identity, or an identity change — whose attempt comes after it, one made after: it is refused `ABORTED`
 * as without dedupe; nor a read made after a write was delivered, in any tab, one made
 * before it: you read your own writes; nor
 * calls that turn different policies off: `{ bulkhead: false }`, `{ hedge: false }`…); a keyed call (its own `Idempotency-Key`) shares only
 * with a call of the same key (a request header like any other: one operation), and a call with a
 * transport of its own (its `fetch`, or a fetch option such as undici's `dispatcher` other than the
 * client's) never shares. The trace slot's own headers are added after the comparison. The shared request keeps
 * every property of the first caller's. Each caller gets its own response (its own body), runs its
 * own hooks, and keeps its own abort, also while it reads its body (that read ends with its signal's reason, as
 * fetch's does; the others read on): the shared request is aborted only when every caller has aborted; a call whose signal is already aborted is rejected at once with its reason. Nothing is
 * shared after the response has arrived. Per call, `dedupe: false` opts out. In Cloudflare Workers
 * a response never crosses requests: calls share only within one request, the calls of
 * `client.withContext(ctx)` for its `ctx` (however many times it is called; without it, nothing is
 * shared), and what they share goes with it. A client and the clients its `extend()` makes that keep its
 * `name`, its `store` and this policy object share one table of requests in flight (and its `stats()`), but
 * a call of a client whose own options send it another way (its `fetch` or `dispatcher`) or turn a policy
 * off (`extend({ hedge: false })`) shares only with calls of clients that do the same; a child given a
 * `dedupe()` of its own (or `false`), another `name` or another `store`, and a client `create()` makes, have their own.
 * A client's `close()` ends only its own calls: a call that joined a request another client of the family made, refused
 * as that client closed (`CLIENT_CLOSED`), sends its own.
 *
 * @example
 * const api = createClient({ dedupe: dedupe() });
 */
export const dedupe = (): Policy<'dedupe'> => {
	const families = new WeakMap<object, Family>();
	return { slot: 'dedupe', at: dedupeAt, create: (context) => create(context, families) };
};
