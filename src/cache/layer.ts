import type { PolicyCall } from '../core/policy.js';
import { isSteadfetchError } from '../errors/SteadfetchError.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';
import { isDelivery, safeMethods } from '../core/world.js';
import { copyOf, letGo, write } from './copy.js';
import { pathOf } from './keys.js';
import { withCut } from './cut.js';
import { arm } from './deadline.js';
import { serve } from './serve.js';
import { supersede } from './superseded.js';
import { behind, discard, outlives, type CacheState } from './state.js';
import { heldRequest } from '../utils/runtime.js';

/**
 * Whether the stale cache applies to a call: a GET or HEAD, unless `staleCache: false` or fetch's
 * `cache` mode is `'no-store'` — the call's own, else the client's, else the one of a `Request` given
 * as input (as ky makes its Request).
 */
export const applies = ({ context }: CacheState, { method, options, input }: PolicyCall): boolean =>
	(method === 'GET' || method === 'HEAD') && options.staleCache !== false && (options.cache ?? context.options.cache ?? (input as Request).cache) !== 'no-store';

/**
 * The attempt of a read its stored copy answered while the scope is offline, once per scope per
 * 10 s (`context.offline`): sent behind the caller (the call's `waitUntil`), bounded by the call's
 * `timeout` (10 s by default), made as the call's Request (its referrer and referrer policy too); its good
 * answer replaces the copy, and any HTTP answer makes the scope reachable again. Never retried, and never
 * sent once the call's identity changed or the client was cleared (`World.check`). Its answer reaches no
 * `afterResponse` hook (the call resolved with the copy): with one (the client's or the call's) it is not
 * stored, as none the hooks could reject ever is (a hook marked `watches` judges nothing).
 */
const refresh = (cache: CacheState, call: PolicyCall, request: Request, init: FetchInit | undefined, next: FetchLike): void => {
	const { timeout = cache.context.options.timeout, hooks } = call.options;
	// A hook that only watches (`watches`: the service worker's `fetchHandler` keeps the last answer) judges nothing.
	const judged = [...hooks?.afterResponse ?? [], ...cache.context.options.hooks?.afterResponse ?? []].some((hook) => !(hook as { watches?: true }).watches);
	outlives(call);
	const signal = AbortSignal.any([request.signal, AbortSignal.timeout(typeof timeout === 'number' && timeout > 0 ? timeout : 10_000)]);
	// Made as its call: fetch resets the referrer and its policy when a Request is re-made with an init (both given again).
	// Held by its signal until it settles (`heldRequest`): its timeout reaches a `fetch` that waits on nothing else.
	behind(cache, call, request.url, async () => {
		const [attempt, release] = heldRequest(request, { signal, referrer: request.referrer, referrerPolicy: request.referrerPolicy });
		return next(attempt, init).finally(release).then(async (response) => {
			const copy = call.method === 'GET' && !judged ? copyOf(cache, call, request, response) : undefined;
			discard(response);
			return copy && write(cache, call, copy);
		}, (error: unknown) => isSteadfetchError(error) && cache.context.offline(call.scope!, true)); // refused before it was sent: the scope's slot is free again
	});
};

/**
 * The stale cache per attempt: a good GET response is copied as it arrives (`copyOf`), to be
 * written once the wrapper saw the call resolve with it; a read's deadline is armed at its first
 * attempt (`arm`); offline, a GET or HEAD is answered from the store without network I/O; a
 * successful write (POST, PUT, PATCH, DELETE, any method that is not safe) drops the URL's copies, even with `staleCache: false`
 * (mutations have no wrapper).
 */
export const layerOf = (cache: CacheState): Layer => (next) => (request, init) => {
	const call = init?.steadfetch;
	// A write (any method that is not safe, as the core tells delivered writes: a PROPPATCH or a PURGE too).
	if (call && !safeMethods.has(call.method)) {
		// Sent by this cache: its delivery (`write:delivered`, told before the answer gets here) is dropped here, by no other.
		const sent = call.method + pathOf(request.url);
		cache.writing.add(sent);
		return next(request, init).finally(() => cache.writing.delete(sent)).then((response) => {
			// Delivered (not a service worker's "queued" 202: its copies answer while it is pending).
			if (isDelivery(call.method, response)) {
				// Read your own writes: the copies it makes unusable are noted at once, dropped behind the caller.
				const dropping = supersede(cache, call.scope!, call.method, request.url);
				behind(cache, call, request.url, async () => dropping);
			}

			return response;
		});
	}

	if (!call || !applies(cache, call)) {
		return next(request, init);
	}

	const read = cache.readOf(call);
	if (read.ms !== false && call.attempts === 1) {
		arm(cache, call, request, read);
	}

	const go = (): Promise<Response> => {
		// Another attempt of the call (a hook asked ky for a retry after a good answer): the last answer's copy is not the call's.
		if (read.copy) {
			letGo(cache, read.copy);
			read.copy = undefined;
		}

		// In Workers without waitUntil, an attempt of a read its copy may answer carries the copy's signal too (none goes out after it).
		const sent = next(withCut(request, read), init);
		// A good GET response is copied as it arrives (before ky or the caller read its body), to be written once the call resolved with it.
		return call.method === 'GET' ? sent.then((response) => {
			read.copy = copyOf(cache, call, request, response, read) ?? read.copy;
			return response;
		}) : sent;
	};
	// While the scope is offline, a stored copy answers at once (unseen by the breaker, never retried);
	// once per scope per 10 s the attempt still goes out, behind the caller. No copy: it goes out.
	const { context } = cache;
	const scope = call.scope!;
	return context.reachability(scope) === 'offline' ? serve(cache, call, request, 'offline').then((stale) => {
		if (!stale) {
			return go();
		}

		if (!context.offline(scope)) {
			refresh(cache, call, request, init, next);
		}

		return context.answer(call, stale);
	}) : go();
};
