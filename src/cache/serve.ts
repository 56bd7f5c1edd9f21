import type { PolicyCall } from '../core/policy.js';
import { storageError } from '../core/part-store.js';
import { directives, seconds } from './cache-control.js';
import { foreign, isRecord, type CacheRecord } from './record.js';
import { behind, type CacheState, type Read } from './state.js';
import { outdated, pathOf, urlOf } from './keys.js';
import { varied } from './copy.js';
import { ageOf, staleResponse, type StaleReason } from './stale-response.js';

/**
 * The last moment a record's copy may answer (epoch ms): its `until`, and never later than its own headers allow (a
 * record `write` did not give may hold any `until`): with a valid `stale-if-error`, which overrides `maxStaleMs` both
 * ways, freshness + N s; else `maxStaleMs` from when it was stored, whatever it was stored under (an older build's,
 * another tab's); with `must-revalidate`, `proxy-revalidate` or, in a shared cache, `s-maxage`, only while fresh.
 */
const limitOf = (record: CacheRecord, { maxStaleMs, shared }: CacheState): number => {
	const own = directives(record.headers.find(([name]) => name === 'cache-control')?.[1]);
	const fresh = record.born + record.lifetime * 1000;
	const staleIfError = seconds(own.get('stale-if-error'));
	return Math.min(record.until, staleIfError === undefined ? record.storedAt + maxStaleMs : fresh + staleIfError * 1000,
		own.has('must-revalidate') || own.has('proxy-revalidate') || (shared && own.has('s-maxage')) ? fresh : Infinity);
};

/**
 * How far ahead of the clock a copy's `storedAt` may be and still count as stored now: the clocks of
 * two tabs or isolates (workerd's advances only with I/O). Further ahead, the clock was set back since
 * it was stored: its age is unknown, so it is not served (else it would be, `maxStaleMs` past the
 * time it claims).
 */
const skewMs = 60_000;

/**
 * The usable stored copy for a request, marked stale for `reason` (and with the pending writes of
 * the call's identity to its URL, which the outbox counts: `pending-writes=N`), or undefined; with `read`, only
 * while that call has no answer yet (a deadline's); only while the call's world is current (no identity
 * change and no clear of the cache since it started: a read made before a logout gets no copy after it), and not
 * one whose removal (`cache.delete`, a delivered write's drop) was noted, or a write of its path delivered by any
 * client of the name (read your own writes), while it was read.
 * None for a request with `integrity` (a copy's bytes were never checked against it: it fails as without a cache).
 * A copy past its limit, or unreadable (not one `write` gives: `foreign`, a header the cache never stores among them), goes.
 * Never rejects: a failure (its key's digest: no `crypto.subtle` on a page over plain http) is a `storage:error`.
 */
export const serve = async (cache: CacheState, call: PolicyCall, request: Request, reason: StaleReason, read?: Read): Promise<Response | undefined> => {
	// A call with `integrity` is answered only by bytes fetch checked against it: never a copy (Node's and browsers' Request keep it).
	if (request.integrity) {
		return undefined;
	}

	const { context, view, store } = cache;
	// Removals noted from now on (`cache.delete`, a delivered write's drop): a copy read before one is not served after it.
	const reading = context.world(call.identity);
	try {
		const stored = await cache.key.of(request, call.identity);
		const record = stored && await store.get<unknown>(stored);
		const now = context.clock.now();
		// Its URL the one its key names, as `write` stores it (not another's, nor one holding a sensitive value `response.url` and `cache:stale` would show).
		const readable = isRecord(record) && record.url === urlOf(stored!) && !foreign(record, cache.sensitive, cache.params);
		// Stored before a write of its path was delivered (read your own writes): dropped here if no drop removed it yet.
		if (!readable || now > limitOf(record, cache) || now < record.storedAt - skewMs || outdated(cache, record)) {
			if (record !== undefined) {
				if (!readable) {
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
		// answers it; nor one whose removal was noted, or a write of its path delivered (`outdated`), while it was read.
		if (read?.done || !call.world.current('cache') || !reading.current('cache', pathOf(record.url)) || outdated(cache, record) || record.vary.some(([name, value]) => varied(cache, request, name) !== value)) {
			return undefined;
		}

		view.touch(stored!);
		context.emit('cache:stale', { scope: call.scope!, method: request.method, url: record.url, reason, age: ageOf(record, now) });
		// The app shows a stale copy: the scope's next good answer is told (`scope:back`, what `refetchWhenBack` waits for).
		context.late?.(call.scope!);
		return staleResponse(record, request.method, reason, now, pendingWrites);
	} catch (error) {
		storageError(context, 'cache', 'get', error);
		return undefined;
	}
};
