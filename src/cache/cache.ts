import type { CacheParts } from './members.js';
import { unmarked } from '../utils/validate.js';
import { checkCallOption } from './options.js';
import type { PolicyCall, PolicyContext } from '../core/policy.js';
import { classify, classifyAnswer, classifyStatus } from '../errors/classify.js';
import { background, partStore } from '../core/part-store.js';
import { droppedWork } from '../core/part-store-drop.js';
import { worldsOf } from '../core/world.js';
import { closedBy } from '../core/closing.js';
import { sensitiveOf } from '../core/sensitive-of.js';
import { basicAutoStore } from '../stores/auto.js';
import { letGo, write } from './copy.js';
import { isStale } from './is-stale.js';
import { keys, pathOf, urlOf } from './keys.js';
import { supersede, touchedBy } from './superseded.js';
import { applies, layerOf } from './layer.js';
import { clear, members, validatorOf } from './members.js';
import { serve } from './serve.js';
import type { StaleReason } from './stale-response.js';
import { behind, discard, type CacheState, type Read, type ResolvedCacheOptions } from './state.js';
import { View } from './view.js';
import { callUrl } from '../core/scope.js';
import { withSearchParams } from '../utils/search-params.js';

/**
 * The failures a stored copy answers, by `classify()` code, and the `detail` each gives: the
 * origin's or the network's fault (`HTTP_5XX` is every 5xx, 501 included), and the adaptive
 * throttle's refusal (the origin has been rejecting much of what it gets). On purpose not all the
 * transient codes: a 429 or 408 (the origin asks us to slow down, or waited for the request), a
 * full bulkhead or a rate limit (our own refusals) have no `detail` in API.md and are not answered
 * from the cache. `SUBREQUESTS` is no code: a call whose retry or failover attempt its request
 * context refused (`PolicyCall.limited`), whatever its last attempt's failure.
 */
const reasons: Readonly<Record<string, StaleReason>> = { NETWORK: 'network', TIMEOUT: 'timeout', HTTP_5XX: 'http-5xx', CIRCUIT_OPEN: 'circuit-open', THROTTLED: 'throttled', SUBREQUESTS: 'subrequests' };

/** The built-in codes a stored copy never answers (see `reasons`): the rest of `SteadfetchErrorCode`. */
const builtIn = new Set(['HTTP_408', 'HTTP_429', 'HTTP_4XX', 'ABORTED', 'QUEUED', 'OUTBOX_FULL', 'INVALID_REQUEST', 'BULKHEAD_FULL', 'RATE_LIMITED', 'AUTH_FAILED', 'CONFLICT', 'OFFLINE', 'BEHIND', 'CLIENT_CLOSED', 'OUTBOX_DISABLED', 'OUTBOX_NOT_FOUND', 'UNKNOWN']);

/**
 * The `detail` of a failure's stale answer: the table's, or for a transient error of a policy's own
 * code (an app's, declared in `ErrorCodes`) its code in lower case, `_` as `-`.
 */
const reasonOf = (code: string, transient: boolean): StaleReason | undefined =>
	reasons[code] ?? (transient && !builtIn.has(code) && /^[A-Z][A-Z0-9_]*$/.test(code) ? code.toLowerCase().replaceAll('_', '-') as StaleReason : undefined);

/** Response headers never stored: what no longer describes the stored (decoded) body (cookies are `sensitive`, below). */
const dropped = ['content-encoding', 'content-length', 'transfer-encoding', 'age', 'cache-status'];

/**
 * The call's first Request (`PolicyCall.request`), or for a call that failed before any attempt went out (an app
 * policy's wrapper refused it, or answered a 5xx itself) the one it would have sent, as far as the call's options
 * tell it: its URL as the client resolves a call's input (`prefix`, `baseUrl`; an input Request's own URL), with the client's then the call's
 * `searchParams`, the client's then the call's headers (one given `undefined` removed) over an input Request's, the
 * `Accept` of its body shortcut (`.json()`) where none is given,
 * `credentials` and `integrity` (the call's, the client's, an input Request's: a call with one gets no copy). Without what only a hook or a layer adds (auth's token): the key of a copy stored without it, never
 * another credential's. Undefined when no URL results.
 */
const requestOf = ({ context }: CacheState, call: PolicyCall): Request | undefined => {
	const { request, input, options, method } = call;
	if (request) {
		return request;
	}

	const client = context.options;
	const given = input instanceof Request ? input : undefined;
	// The client's value, then the call's; only the call's when ky's `replaceOption()` marks it.
	const both = (name: 'headers' | 'searchParams'): unknown[] => options[name] === unmarked(options[name]) ? [client[name], options[name]] : [unmarked(options[name])];
	try {
		const headers = new Headers(given?.headers);
		for (const each of both('headers')) {
			for (const [name, value] of each instanceof Headers || Array.isArray(each) ? new Headers(each as HeadersInit) : Object.entries(each ?? {})) {
				value === undefined ? headers.delete(name) : headers.set(name, value as string);
			}
		}

		// The body shortcut's `Accept` (`.json()`), as every attempt of the call carries it (one the call gave stays).
		if (call.accept && !headers.get('accept')) {
			headers.set('accept', call.accept);
		}

		// The `searchParams` go on an input Request's URL too, as ky adds them to it.
		const url = both('searchParams').reduce<string>(withSearchParams, given?.url ?? callUrl(input as string | URL, { prefix: options.prefix ?? client.prefix, baseUrl: options.baseUrl ?? client.baseUrl }));
		// Its `integrity` too: a call with one is never answered by a copy (serve.ts), whose bytes were not checked against it.
		const integrity = options.integrity ?? client.integrity ?? given?.integrity;
		return new Request(url, { method, headers, credentials: (options.credentials ?? client.credentials ?? given?.credentials)!, ...integrity && { integrity } });
	} catch {
		return undefined;
	}
};

/**
 * A failed read answered from a usable copy, or the failure as it was. A caller's abort never is.
 * The reason is `offline` for a network failure or timeout only while the scope is `offline`.
 */
const recover = async (cache: CacheState, call: PolicyCall, error: unknown): Promise<Response> => {
	const { code, transient } = classify(error);
	const reason = (code === 'NETWORK' || code === 'TIMEOUT') && call.scope !== undefined && cache.context.reachability(call.scope) === 'offline' ? 'offline' : call.limited ? reasons['SUBREQUESTS'] : reasonOf(code, transient);
	const request = reason && !call.signal?.aborted && requestOf(cache, call);
	const stale = request && await serve(cache, call, request, reason!);
	if (stale) {
		// A copy for a refusal that says it is never retried (an isolated scope's `CircuitOpenError`, `ThrottledError`) says so
		// too (`retriable: false`: `queryOptionsFor` does not retry it, as for a `fallback` answer).
		return Object.assign(stale, (error as { retriable?: unknown } | null)?.retriable === false && { retriable: false });
	}

	throw error;
};

/**
 * With `throwHttpErrors: false` a 5xx resolves instead of throwing: a stored copy answers it too, for the reason its
 * thrown error would give (`reason`: `http-5xx`, or a steadfetch service worker's `network` or `timeout`, `classifyAnswer`).
 */
const answered = async (cache: CacheState, call: PolicyCall, response: Response, reason: StaleReason): Promise<Response> => {
	const request = requestOf(cache, call);
	const stale = request && await serve(cache, call, request, call.limited ? 'subrequests' : reason);
	if (!stale) {
		return response;
	}

	discard(response);
	return stale;
};

/**
 * The call's run ended (from the wrapper): no copy answers it any more; a copy taken of the response
 * it resolved with (`ok`) is written behind the caller, any other is let go.
 */
const decide = (cache: CacheState, call: PolicyCall, read: Read, ok: boolean): void => {
	const { copy } = read;
	read.done = true;
	clearTimeout(read.timer);
	if (copy) {
		// A wrapper above may run the call again (auth after a refresh): its copy is of this run.
		read.copy = undefined;
		if (ok) {
			behind(cache, call, copy.request.url, () => write(cache, call, copy));
		} else {
			letGo(cache, copy);
		}
	}
};

/**
 * Around a read: a good answer's copy is written, a failure answered from a usable copy — and with
 * a deadline (`Read`), a copy may answer first (the layer arms it); the run's outcome is then only
 * written or let go. `run` (never rejecting) is what a Worker's `waitUntil` keeps.
 */
const wrap = (cache: CacheState, call: PolicyCall, next: () => Promise<Response>): Promise<Response> => new Promise((resolve) => {
	const read = cache.readOf(call);
	read.answer = resolve;
	read.run = next().then((response) => {
		decide(cache, call, read, response?.ok === true);
		if (read.early) {
			discard(response);
		} else {
			const failure = response && classifyStatus(response.status)?.code === 'HTTP_5XX' && classifyAnswer(response)!.code;
			resolve(failure ? answered(cache, call, response, reasons[failure]!) : response);
		}
	}, (error: unknown) => {
		decide(cache, call, read, false);
		if (!read.early) {
			resolve(recover(cache, call, error));
		}
	});
});

/**
 * The stale cache (see `CacheOptions` and API.md "Responses served from the stale cache"), made of:
 * the layer (`layer.ts`: per attempt, a good GET response copied as it arrives, `copy.ts`; offline,
 * a read answered from the store without network I/O; a successful mutation drops its URL's copies),
 * the wrapper around a read (here: once the call resolved with a response, its copy is written behind
 * the caller through `background`; a failure `reasons` names is answered from a usable copy,
 * `serve.ts`, else rethrown unchanged), a read's deadline (`deadline.ts`: one still unanswered
 * `networkTimeoutMs` after it started is answered by its copy while its run goes on), and what the
 * app and the outbox see outside a call (`members.ts`). A call's state is one `Read`, made once per
 * call (`PolicyContext.perCall`) for the wrapper and the layer.
 *
 * Storage is `partStore`'s: one record per key (`keys.ts`), no index. The client keeps its view of
 * the stored keys in memory (`View`). Nothing waits on storage on a call's way to a good answer, and
 * no promise is kept across calls.
 */
export const createCache = (context: PolicyContext, options: ResolvedCacheOptions): CacheParts => {
	// A copy it keeps while the store fails is forgotten as a delivered write of its path removes it (superseded.ts).
	const store = partStore(context, 'cache', basicAutoStore, (key) => pathOf(urlOf(key) ?? ''));
	const { headers, params } = sensitiveOf(context);
	// The credential headers (`Set-Cookie` too) and the app's, and Fetch's other forbidden response header, as much
	// a cookie: a server runtime's fetch shows it; and the answers' own credentials (RFC 9110 11.6.3, 11.7.3: the next
	// nonce, the server's proof). Never stored, named by Vary or served from a record that holds it.
	const sensitive = new Set([...headers, 'set-cookie2', 'authentication-info', 'proxy-authentication-info']);
	const cache: CacheState = {
		...options,
		context,
		store,
		key: keys(context, options.shared),
		// One view of the stored copies for the clients `extend()` made of one another (`maxEntries` is each one's).
		view: (context.stores.get('#view') ?? context.stores.set('#view', new View(worldsOf(context.stores))).get('#view')) as View,
		sensitive,
		unkept: new Set([...dropped, ...sensitive]),
		params,
		readOf: context.perCall((call): Read => {
			// The call's own (`staleCache: { networkTimeoutMs }`), else the policy's.
			const own = call.options.staleCache;
			const ms = (own === false ? undefined : own?.networkTimeoutMs) ?? options.networkTimeoutMs;
			return { ms, start: ms === false ? 0 : context.clock.now() };
		}),
		written: new Map(),
		writing: (context.stores.get('#writing') ?? context.stores.set('#writing', new Set()).get('#writing')) as Set<string>,
	};
	context.hooks.validatorOf = (url, identity, request) => validatorOf(cache, url, identity, request);
	// Once the client closed, `cache.delete` and `cache.clear` reject `CLIENT_CLOSED` (members.ts).
	let closed = false;
	// Read your own writes: a copy stored before a write of its path was delivered (by any client of the name, in any tab)
	// never answers, even before it is dropped (a drop takes a listing). After a reload too: a write no stale cache of this
	// name and store here sends (a client's without one, another tab's, a worker's) has its copies dropped by each that hears it.
	const { written, writing } = cache;
	context.on('write:delivered', ({ scope, method, url, time }) => {
		for (const path of touchedBy(method, url)) {
			if (written.size > 999) {
				written.delete(written.keys().next().value!); // The earliest noted: long dropped by then.
			}

			written.set(path, time);
		}

		// Under the delivering call's `waitUntil` when it was made in this realm (in Workers, work without one is dropped: skipped).
		const { waitUntil } = worldsOf(context.stores);
		if (!writing.has(method + pathOf(url)) && !droppedWork(waitUntil)) {
			background(context, 'cache', waitUntil, () => supersede(cache, scope, method, url), url);
		}
	});
	return {
		layer: layerOf(cache),
		wrap: (call, next) => wrap(cache, call, next),
		appliesTo: (call) => applies(cache, call),
		checkCall: checkCallOption,
		// `staleCache: false` per call: never answered stale nor stored, but a successful write still drops its copies.
		ownSwitch: true,
		substituted: (outcome) => outcome instanceof Response && isStale(outcome) ? 'stale' : undefined,
		clear: (by) => clear(cache, by),
		members: { cache: members(cache, () => closed) },
		// A request's client's (withContext): its `close()` ends them too, never the client's.
		membersFor: (_, onClose) => ({ cache: members(cache, closedBy(onClose, () => closed)) }),
		close() {
			closed = true;
		},
	};
};
