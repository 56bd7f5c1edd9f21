import type { PolicyCall } from '../core/policy.js';
import { storageError } from '../core/part-store.js';
import { freshFor, readable, usable } from './record.js';
import { behind, type CacheState, type Read } from './state.js';
import { outdated, pathOf } from './keys.js';
import { varied } from './copy.js';
import { ageOf, staleResponse, type StaleReason } from './stale-response.js';

/**
 * The usable stored copy for a request, marked stale for `reason` (and with the pending writes of
 * the call's identity to its URL, which the outbox counts: `pending-writes=N`), or undefined; with `read`, only
 * while that call has no answer yet (a deadline's); only while the call's world is current (no identity
 * change and no clear of the cache since it started: a read made before a logout gets no copy after it), and not
 * one whose removal (`cache.delete`, a delivered write's drop) was noted, or a write of its path delivered by any
 * client of the name (read your own writes), while it was read.
 * None for a request with `integrity` (a copy's bytes were never checked against it: it fails as without a cache), nor
 * for a Range request (a copy holds the whole body, not the part it asks for), nor for one with fetch's `cache: 'no-store'` (a `beforeRequest` hook's Request: the options' and an input's never get here).
 * A copy past its limit, or unreadable (not one `write` gives: `foreign`, a header the cache never stores among them), goes.
 * Never rejects: a failure (its key's digest: no `crypto.subtle` on a page over plain http) is a `storage:error`.
 */
export const serve = async (cache: CacheState, call: PolicyCall, request: Request, reason: StaleReason, read?: Read): Promise<Response | undefined> => {
	// A call with `integrity` is answered only by bytes fetch checked against it: never a copy (Node's and browsers' Request keep it);
	// a Range request only by the part it asks for: never a copy's whole body.
	if (request.integrity || request.cache === 'no-store' || request.headers.has('range')) {
		return undefined;
	}

	const { context, view, store } = cache;
	// Removals noted from now on (`cache.delete`, a delivered write's drop): a copy read before one is not served after it.
	const reading = context.world(call.identity);
	try {
		const stored = await cache.key.of(request, call.identity);
		const record = stored && await store.get<unknown>(stored);
		const now = context.clock.now();
		if (!usable(cache, stored!, record, now)) {
			if (record !== undefined) {
				if (!readable(cache, stored!, record)) {
					storageError(context, 'cache', 'decode', new TypeError('Unreadable cache record'), stored);
				}

				view.forget(stored!);
				behind(cache, call, request.url, async () => store.delete(stored!));
			}

			return undefined;
		}

		// The writes pending to its URL (read your own writes), counted before the checks below: none waits after them.
		const pendingWrites = await context.hooks.pendingWrites?.(request.url, call.identity);
		// Work bound to who started it: once its identity changed, or a clear was noted (also while the store read), no copy
		// answers it; nor one whose removal was noted, or a write of its path delivered (`outdated`), while it was read; nor a
		// call its caller aborted meanwhile (its answer is the abort: no `cache:stale` told).
		// The path a redirect answered it from counts as its own (`final`): the view knows it from now on, for a delivered write's drop.
		const { final } = record;
		view.answeredFrom(stored!, final);
		if (read?.done || call.signal?.aborted || !call.world.current('cache') || !reading.current('cache', pathOf(record.url)) || (final !== undefined && !reading.current('cache', final)) || outdated(cache, record) || record.vary.some(([name, value]) => varied(cache, request, name) !== value)) {
			return undefined;
		}

		// Its `ttl` from the freshness its own headers give (`freshFor`), not a `lifetime` the record claims past them.
		const stale = staleResponse({ ...record, lifetime: freshFor(record, cache.shared) }, request.method, reason, now, pendingWrites);
		// The copy is the deadline's answer from here on, as `cache:stale` tells: a run that ends before `fire` goes on is let go.
		if (read) {
			read.early = read.done = true;
		}

		view.touch(stored!);
		// The call's scope; a call that failed before its first attempt has none yet: its URL's.
		const scope = call.scope ?? context.scopeOf(request.url);
		context.emit('cache:stale', { scope, method: request.method, url: record.url, reason, age: ageOf(record, now) });
		// The app shows a stale copy: the scope's next good answer is told (`scope:back`, what `refetchWhenBack` waits for).
		context.late?.(scope);
		return stale;
	} catch (error) {
		storageError(context, 'cache', 'get', error);
		return undefined;
	}
};
