import { failoverAt } from '../bands/bands.js';
import type { PolicyCall, Policy, PolicyContext, PolicyParts, RunOptions } from '../core/policy.js';
import type { Layer } from '../core/types.js';
import { check, hideUserinfo, optionsOf, isObject, offOnly } from '../utils/validate.js';
import { isHTTPError } from 'ky';
import { classify, classifyAnswer, classifyStatus } from '../errors/classify.js';
import { isSteadfetchError } from '../errors/SteadfetchError.js';
import { scopes } from '../utils/scopes.js';
import { heldRequest } from '../utils/runtime.js';
import { callerKeyed } from '../utils/caller-keyed.js';
import type { FailoverEvent } from './events.js';

/** What importing this policy adds to the client's types (`client.on`, a call's options): its events and its per-call option `failover`. */
declare module 'steadfetch/core' {
	interface PolicyHooks {
		/**
		 * Set by the failover slot: the URL an attempt of `call` to `url` (the call's own) really goes to
		 * while its run goes to a mirror, else undefined. The core asks it for a call's later attempts (a
		 * retry, a new run), so a mirror's retry is paid from, counted in and told in the mirror's scope.
		 */
		targetOf?(call: PolicyCall, url: string): string | undefined;
		/** Set by the outbox, asked by failover: whether the entry replay `call` sends was keyed by its caller (`OutboxRecord.keyed`), not by the outbox. */
		replayKeyed?(call: PolicyCall): boolean;
	}

	/** The `failover` slot of `createClient`. */
	interface Slots {
		failover: Policy<'failover'>;
	}

	interface EventMap {
		'failover': FailoverEvent;
	}

	interface CallOptions {
		/**
		 * `false`: this call is never sent to a mirror (with `failover()`).
		 * @default undefined (sent to a mirror when its primary fails)
		 */
		failover?: false;
	}
}

/** Options of origin failover (`failover()` from `steadfetch/failover`). */
export interface FailoverOptions {
	/**
	 * The mirrors of each primary origin, tried in order. A key is an origin
	 * (`'https://api.example.com'`, read as the URL parser reads it: any case, the scheme's default
	 * port, a Unicode host); a mirror is an origin or a base URL (`'https://backup.example.com/api'`),
	 * whose path goes before the request's path. Each mirror has its own breaker scope. Two keys naming
	 * one origin, a mirror that is not a string (a hole in the list), a mirror of the key's own origin (its
	 * host with a trailing dot too: the same server), a mirror with user info, a query, a
	 * fragment or an empty path segment (`'https://backup.example.com//'`: every path would follow `//`), or an
	 * `http:` mirror of an `https:` origin (its credentials sent in the clear) throw a `RangeError` (a key's
	 * password not shown). An empty `?`, `#` or `@`, which the URL parser drops, is no part of a mirror. A mirror is sent the call's headers as
	 * given, as its origin would be (the caller's `Authorization`, `Cookie`, `sensitiveHeaders`; `auth()`'s token
	 * only when the mirror is one of auth's `origins`), unlike a redirect to another origin: list only origins
	 * you trust with them.
	 */
	mirrors: Readonly<Record<string, readonly string[]>>;
	/**
	 * Whether outbox replays may go to a mirror too: those of a write its caller keyed (an `Idempotency-Key` it gave,
	 * as for any call failover takes), never one whose key the outbox made (nor one a `rebase` gave a new key, nor one a
	 * build before this stored, which did not note whose key it was). Off: a queued write is delivered to the origin it
	 * was made for.
	 * @default false
	 */
	replays?: boolean;
}

/** A resolved answer that means the origin failed (`throwHttpErrors: false`): `classifyStatus` says transient. None (`ky.stop` resolves `undefined`) is the caller's stop. */
const failing = (response: Response | undefined): boolean => response !== undefined && classifyStatus(response.status)?.transient === true;

const drop = (response: Pick<Response, 'body'> | undefined): void => {
	void response?.body?.cancel().catch(() => undefined);
};

/** A call's route (`PolicyContext.perCall`): the mirror base its attempts go to now; absent while they go to the primary. */
interface Route {
	base?: string | undefined;
	/** Whether an attempt of the run to `base` went out (`FetchInit.sending`). */
	sent?: boolean;
}

/** The URL an attempt to `url` goes to at the mirror `base`: the base's path before the request's. */
const atMirror = (base: string, url: string): string => {
	const { pathname, search } = new URL(url);
	return base + pathname + search;
};

/** The layer sending a call's attempts to the mirror its route holds, if any. */
const route = (context: PolicyContext, routeOf: (call: PolicyCall) => Route): Layer => (next) => (request, init) => {
	const call = init?.steadfetch;
	const state = call && routeOf(call);
	const base = state?.base;
	if (base === undefined) {
		return next(request, init);
	}

	// Held by the call's signal until it settles (`heldRequest`): the caller's abort reaches a `fetch` that waits on nothing else.
	const [mirror, release] = heldRequest(atMirror(base, request.url), request);
	// auth's layer, above the stale cache (which keys copies by the token), judged the primary's
	// URL: its token goes on to the mirror only when the mirror is one of auth's origins too.
	if (context.hooks.tokenGoesTo?.(call!, mirror.url) === false) {
		mirror.headers.delete('authorization');
	}

	return next(mirror, {
		...init,
		sending: () => {
			state!.sent = true;
			init!.sending?.();
		},
	}).finally(release);
};

const create = (context: PolicyContext, mirrors: ReadonlyMap<string, readonly string[]>, replays: boolean): PolicyParts => {
	/** Each call's route: the mirror base its attempts go to now. */
	const routeOf = context.perCall((): Route => ({}));
	/** Calls a mirror answered, per scope (`stats()`): at most `maxScopes` idle scopes (`Scopes`). */
	const answered = scopes(() => ({ answered: 0 }));
	/** Set by the client's `close()`: no mirror attempt starts after it. */
	let closed = false;
	// A retry of a mirror's run is the mirror's (PolicyHooks.targetOf): its budget, its count, its `retry` event.
	context.hooks.targetOf = (call, url) => {
		const { base } = routeOf(call);
		return base === undefined ? undefined : atMirror(base, url);
	};

	const wrap = async (call: PolicyCall, next: (extra?: RunOptions) => Promise<Response>): Promise<Response> => {
		// A body the primary's run reads once (the caller's Request's, or a stream): a copy for the
		// mirrors, made before it goes, for a call that may go to one with a body (keyed by the caller).
		const { input, options } = call;
		let copy: Request | Response | undefined;
		let first: RunOptions | undefined;
		if (call.method !== 'GET' && call.method !== 'HEAD' && callerKeyed(call, context.options.headers)) {
			const given = options.body;
			// A stream, also one fetch takes as an async iterable or an iterator (Node's, Deno's: read once as it is sent).
			if (given instanceof ReadableStream || Symbol.asyncIterator in Object(given) || typeof Object(given).next === 'function') {
				const [body, rest] = (given instanceof ReadableStream ? given : new Response(given as BodyInit).body!).tee();
				first = { body };
				copy = new Response(rest);
			} else if (input instanceof Request && input.body && options.body == null && options.json === undefined) {
				copy = input.clone();
			}
		}

		let failure: { response?: Response; error?: unknown };
		try {
			const response = await next(first);
			if (!failing(response)) {
				drop(copy);
				return response;
			}

			failure = { response };
		} catch (error) {
			failure = { error };
		}

		const { request } = call;
		const { code, transient } = failure.response ? classifyAnswer(failure.response)! : classify(failure.error);
		const list = request && transient && !call.signal?.aborted
			&& (call.method === 'GET' || call.method === 'HEAD' || (request.headers.has('idempotency-key') && callerKeyed(call, context.options.headers)))
			? mirrors.get(new URL(request.url).origin) : undefined;
		if (!list || !request) {
			drop(copy);
			return settle(failure);
		}

		// The copied body's bytes, sent to each mirror in turn; a body that cannot be read: the primary's outcome stands.
		const body = copy && await copy.arrayBuffer().then((bytes) => ({ body: bytes }), () => undefined);
		if (copy && !body) {
			return settle(failure);
		}

		const writes = call.method !== 'GET' && call.method !== 'HEAD';
		for (const base of list) {
			if (closed) {
				break; // No I/O after the client's close(): the primary's outcome stands.
			}

			if (context.offline(context.scopeOf(base))) {
				continue; // An offline mirror gets one attempt per 10 s (`PolicyContext.offline`), not every failed call's.
			}

			Object.assign(routeOf(call), { base, sent: false });
			try {
				const response = await next(body) as Response | undefined;
				// Not a good answer (a mirror that lacks the resource, or failing too): the next one. But a keyed write's
				// refusal: that mirror decided on it (a 409 of a key still in progress, a 422), no other mirror is sent it.
				if (response && response.status >= 400 && !(writes && decided(response))) {
					drop(response);
					continue;
				}

				routeOf(call).base = undefined;
				drop(failure.response);
				if (!response) {
					return response!; // The caller's stop (`ky.stop` from a hook of the mirror's run): resolved undefined, as ky does; no other mirror.
				}

				const scope = call.scope ?? context.scopeOf(request.url);
				answered.scope(scope).answered++;
				context.emit('failover', { scope, method: call.method, url: request.url, mirror: response.url || base, code });
				return response;
			} catch (error) {
				// The caller's abort; the core's refusal of the run because the call's identity changed, or the client was cleared,
				// since it started (ABORTED, its world no longer current; not a request context's refusal for want of subrequests,
				// after which the primary's answer stands), as a retry refused so ends the call; or a keyed write's refusal, thrown
				// as ky throws it: no other mirror.
				if (call.signal?.aborted || (isSteadfetchError(error) && error.code === 'ABORTED' && !call.world.current()) || (writes && isHTTPError(error) && decided(error.response))) {
					routeOf(call).base = undefined;
					drop(failure.response);
					throw error;
				}

				// No attempt of its run went out (refused by the mirror's open breaker, a hook's error): an offline mirror's
				// slot of 10 s is free again; not once one did (its retry refused by the breaker that attempt opened).
				if (!routeOf(call).sent) {
					context.offline(context.scopeOf(base), true);
				}
			}
		}

		// Every mirror failed too: the primary's outcome stands (the stale cache answers by its reason).
		routeOf(call).base = undefined;
		return settle(failure);
	};

	return {
		levels: { failover: 'warn' },
		layer: route(context, routeOf),
		checkCall: offOnly('failover'),
		wrap,
		// A replay only with `replays`, of a write its caller keyed (API.md: "not one the outbox made").
		appliesTo: (call) => call.options.failover !== false && (!call.replay || (replays && !!context.hooks.replayKeyed?.(call))),
		close() {
			closed = true;
		},
		stats: (scope) => {
			const counts = answered.get(scope);
			return counts && { failover: { ...counts } };
		},
	};
};

/**
 * Whether a mirror's answer to a keyed write is its decision on that write: a 4xx `classify()` calls no transient failure,
 * but a 401 (the caller's credentials are the primary's; auth's token may not go to this mirror).
 */
const decided = (response: Response): boolean => response.status !== 401 && classifyStatus(response.status)?.transient === false;

const settle = (failure: { response?: Response; error?: unknown }): Promise<Response> =>
	failure.response ? Promise.resolve(failure.response) : Promise.reject(failure.error);

const httpUrl = (value: unknown): URL | undefined => {
	try {
		const url = new URL(value as string);
		return typeof value === 'string' && (url.protocol === 'https:' || url.protocol === 'http:') && !url.search && !url.hash && !url.username && !url.password ? url : undefined;
	} catch {
		return undefined;
	}
};

/** A URL's origin without its host's trailing dot (`https://api.example.` is the same server as `https://api.example`). */
const bare = ({ origin }: URL): string => origin.replace(/\.(?=(:\d+)?$)/, '');

/**
 * Origin failover, for the `failover` slot: a GET, HEAD or keyed call (one with an
 * `Idempotency-Key` the caller gave, not one the outbox made for a write it holds) that fails transiently after its retries — network error, timeout, 408, 429,
 * 5xx, or the primary's breaker open — is sent to the primary's mirrors in order; the first good
 * answer wins (`response.url` says which, event `failover`). A mirror's 4xx is no good answer of a
 * read (a mirror that lacks the resource: the next mirror, else the primary's outcome stands — on purpose
 * not `classify()`'s reading, which would end a call whose origin is down with a lagging mirror's 404);
 * to a keyed write it is that mirror's decision (a 409 of its key, a 422), the call's answer, sent to
 * no other mirror — but a 401 (the caller's credentials are the primary's). Each mirror gets the call's own retries
 * (paid from the mirror's retry budget, whose share the first attempts sent to it earn, counted in its
 * `stats()` and told in its scope, as a hedge of it is)
 * and its own breaker scope; the primary is tried first on every call, so it is back as soon as its
 * breaker lets a probe through. The stale cache looks up and stores by the primary URL, and answers
 * only when every mirror failed too. Outbox replays go to their own origin unless `replays: true` (then only those of a write the caller keyed).
 * A keyed call's body goes to a mirror byte for byte, also a `Request` input's or a stream's (a
 * `ReadableStream`, or an async iterable where fetch takes one: a Node stream) (a copy kept in memory while the call runs).
 * A mirror whose scope is `offline` gets one attempt per 10 s (a run refused before any attempt went out, by the
 * mirror's open breaker, takes none), as every scope (API.md "Reachability and recovery").
 * A mirror listed twice is tried once. A hook of a mirror's run that returns `ky.stop` resolves the call
 * `undefined`, as ky does, and no further mirror is tried.
 * With `auth`, a mirror gets its token only when it is one of auth's `origins`, and a mirror's
 * answer, 401 included, never triggers a token refresh.
 * A call with `failover: false` is not failed over, nor one whose primary fails after the client's
 * `close()` (no mirror attempt starts after it). Bad options throw a `RangeError` naming the
 * option and the value.
 *
 * @example
 * const api = createClient({ failover: failover({ mirrors: { 'https://api.example.com': ['https://eu.example.com'] } }) });
 */
export const failover = (options: FailoverOptions): Policy<'failover'> => {
	const { mirrors, replays = false } = optionsOf(options, 'failover');
	check(isObject(mirrors) && !Array.isArray(mirrors) && Object.keys(mirrors).length > 0, 'failover.mirrors', mirrors, 'an object of origins to arrays of mirror URLs');
	check(typeof replays === 'boolean', 'failover.replays', replays, 'a boolean');
	const resolved = new Map<string, string[]>();
	for (const [origin, list] of Object.entries(mirrors)) {
		const primary = httpUrl(origin);
		// The option as an error names it: a key's password is not shown (as no value's is, `describe`).
		const option = `failover.mirrors['${hideUserinfo(origin)}']`;
		// An origin as the URL parser reads it (any case, the scheme's default port, a Unicode host): nothing after it but `/`.
		check(primary?.pathname === '/', option, origin, 'an http(s) origin, such as https://api.example.com');
		check(!resolved.has(primary!.origin), option, origin, 'an origin no other key names');
		check(Array.isArray(list) && list.length > 0, option, list, 'a non-empty array of mirror URLs');
		// A mirror written twice (in any form the URL parser reads as one) is one mirror, tried once.
		// Every entry read, a hole too (`Array.from`); an https primary's mirror is https (no downgrade in the clear); an
		// empty path segment (`https://eu.example//`) would put `//` before every request's path; the primary's own host
		// (with a trailing dot too: the same server, past the primary's breaker) is no mirror of it.
		resolved.set(primary!.origin, [...new Set(Array.from(list, (mirror, index) => {
			const url = httpUrl(mirror);
			check(url !== undefined && bare(url) !== bare(primary!) && (url.protocol === 'https:' || primary!.protocol === 'http:') && !url.pathname.includes('//'), `${option}[${index}]`, mirror, 'a string: an http(s) URL of another origin (https for an https one), without user info, query, fragment or empty path segment (//)');
			return url!.origin + url!.pathname.replace(/\/$/, '');
		}))]);
	}

	return { slot: 'failover', at: failoverAt, create: (context) => create(context, resolved, replays) };
};
