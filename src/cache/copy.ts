import type { PolicyCall } from '../core/policy.js';
import type { World } from '../core/world.js';
import { handOver } from '../core/part-store.js';
import { readCapped } from '../utils/read-capped.js';
import { headerShown, splitSensitive, withoutUserinfo } from '../utils/sensitive.js';
import { copyable, copyPlan, supersedes, varyNames } from './copy-plan.js';
import { pathOf, urlOf } from './keys.js';
import { bounded, type CacheRecord } from './record.js';
import { behind, discard, type CacheState, type Copy, type Read } from './state.js';

/** What the plan is told of a key's last copy when the client may not know of one that is stored (`at`: 0, found in the store). */
const unknownCopy = { at: 0 };

/**
 * A copy of a good GET response as it arrives (a clone, before ky or the caller read its body), or
 * undefined when none is to be kept: what `copyPlan` decides, carried out. With `read`, the key its
 * deadline made for the same Request.
 */
export const copyOf = (cache: CacheState, call: PolicyCall, request: Request, response: Response, read?: Read): Copy | undefined => {
	const { view } = cache;
	// The key is made only for a status the plan may copy or drop the last copy for (a 304 too: it may allow no copy; it may cost digests); none for a request with
	// credentials in a shared cache (keys.ts).
	const found = !copyable(response.status) && !supersedes(response.status) && response.status !== 304 ? undefined : read?.request === request && typeof read.key === 'string' ? read.key : cache.key.of(request, call.identity);
	const now = cache.context.clock.now();
	const last = typeof found === 'string' ? view.last(found) : undefined;
	// A key with no copy known (a never-seen URL: the plan reads each header it may) has its answer's headers read in one pass,
	// for the plan and the record; a known key's plan most often stops at its first reads (`recent`), and the record's come after.
	const seen = last === undefined ? headersOf(cache, response) : undefined;
	const vary = seen ? seen.all.get('vary') ?? null : response.headers.get('vary');
	const unshown = vary?.split(',').some((name) => name.trim().toLowerCase() === 'referer' && varied(cache, request, 'referer') === undefined);
	// Its key's last copy as the plan sees it: one the view does not show may be stored all the same while the store was
	// never listed (one stored before a reload, or by another client of the name), or while its key is being digested,
	// or since it was listed (`lacking`: another client of the name and store, another tab, may have stored one).
	const lacking = last === undefined && typeof found === 'string' && view.lacks(found);
	const lastCopy = last ?? (found === undefined ? undefined : unknownCopy);
	const plan = copyPlan({ headers: request.headers, credentials: found === undefined, unshown }, { status: response.status, headers: seen?.all ?? response.headers, vary }, lastCopy, now, cache);
	if (plan.store === false) {
		// A key the view lacks: no copy stored before now answers (`View.overtake`), deleted once from the store.
		if (plan.drop && (!lacking || plan.why === 'forbidden' || view.overtake(found, now))) {
			// It forbids keeping a copy: the one it would replace goes.
			behind(cache, call, request.url, async () => {
				const stored = await found;
				// A copy the view does not show (the plan's `expired`, `size`): the store is listed once, as at a client's first write
				// (`evict`), not per such answer (a server's `max-age=0, must-revalidate` on every one), and the view tells.
				if (last === undefined && plan.why !== 'forbidden') {
					if (view.unlisted) {
						await view.evict(cache.store, cache.maxEntries);
					}

					if (view.lacks(stored!)) {
						// Another client's copy, noted first now (`lacking`, or a key whose digest was under way at the answer: an identity's
						// first call): its one key is deleted, no listing (a copy of it under way here is not written).
						if (lacking || (typeof found !== 'string' && view.overtake(stored!, now))) {
							view.mark((other) => other === stored);
							return cache.store.delete(stored!);
						}

						return;
					}
				}

				return view.drop(cache.store, (other) => other === stored);
			});
		}

		return undefined;
	}

	// Fetch's `cache: 'no-store'` on the Request (a `beforeRequest` hook's: the options' and an input's skip the cache before
	// any copy), as the request's own `Cache-Control: no-store` (the plan's step 6): read only for an answer to copy. Nor an
	// answer a steadfetch service worker in front of this client made in the origin's place (`Cache-Status: steadfetch; …`):
	// its stale copy (no answer of now: kept, its age and `maxStaleMs` would count from now) or its `fallback` (the app's
	// stand-in, no copy of the URL's); the last copy stays.
	if (request.cache === 'no-store' || response.headers.get('cache-status')?.startsWith('steadfetch;')) {
		return undefined;
	}

	if (typeof found === 'string') {
		view.touch(found, now);
	}

	const headers = (seen ?? headersOf(cache, response)).kept;
	return { request, response, clone: response.clone(), found: found!, timing: plan.timing, copied: plan.copied, now, before: last?.at, start: view.epoch, headers, vary: vary ?? '' };
};

/**
 * A response's headers in one pass: each as fetch shows it (`all`: what the plan reads, a `Headers.get` each
 * otherwise), and those a record keeps (`kept`): not the `unkept` ones, and the URLs any header names (a `Link`, a
 * `Location`, a `Content-Location`, where reports go, a `SourceMap`, an app's own `X-Next-Page`) without userinfo
 * and without sensitive query values, as the record's own URL (`headerShown`).
 */
const headersOf = ({ unkept, params }: CacheState, response: Response): { all: Map<string, string>; kept: Array<[string, string]> } => {
	const all = new Map<string, string>();
	const kept: Array<[string, string]> = [];
	response.headers.forEach((value, name) => {
		all.set(name, value);
		if (!unkept.has(name)) {
			kept.push([name, headerShown(value, params)]);
		}
	});
	return { all, kept };
};

/**
 * A request's value of a header a Vary names, as a record keeps it and a serve compares it: a URL in it (a
 * `Referer` a server runtime's caller sets) without its userinfo and sensitive query values (API.md "Sensitive data").
 * In a browser (a page, a worker), which sends `Referer` from the Request's `referrer` where its headers show
 * none, `Referer` is that `referrer` (none with `no-referrer`); undefined for the page's own (`about:client`,
 * the page's URL as the browser's policy cuts it), as `Vary: *`: no copy is kept or served for it. Any other
 * header the runtime adds itself (`User-Agent`, `Accept-Language`, a page's `Origin` and cookies) is the same
 * for every call of the client, and is compared as the request shows it, as the Cache API matches it.
 */
export const varied = ({ params }: CacheState, request: Request, name: string): string | null | undefined => {
	let value = request.headers.get(name);
	if (value === null && name === 'referer' && ('document' in globalThis || 'importScripts' in globalThis)) {
		const { referrer, referrerPolicy } = request;
		if (referrer === 'about:client') {
			return undefined;
		}

		value = (referrerPolicy !== 'no-referrer' && referrer) || null;
	}

	return value && splitSensitive(withoutUserinfo(value), params).redacted;
};

/**
 * The world a redirected copy's write is bound to (`GET /me` answered from `/users/42`): `world`, where a removal of the
 * path it was answered from (`final`: a write of it delivered, in any tab) counts as one of its own path. The part store
 * asks it of a put the store lands after such a removal (deleted again) and of a write it keeps (forgotten), as it asks
 * a copy's own path. Its start is `world`'s (`holdWorld`). Made only for a redirected copy.
 */
const answeredFrom = (world: World, final: string): World & { start: number | undefined } => ({
	identity: world.identity,
	start: (world as { start?: number }).start,
	current: (part, id) => world.current(part, id) && world.current(part, final),
});

/** A copy that is not the call's answer (its call failed, or ky made another attempt after it): never written. */
export const letGo = ({ view }: CacheState, copy: Copy): void => {
	view.forget(copy.found as string, copy.now, copy.before);
	discard(copy.clone);
};

/**
 * Write a copy behind the caller (the call resolved with its response) — one whose body is over `maxBodyBytes` or whose
 * head is over what a record holds is not, and drops the older copy under its key instead — unless a drop of its key came
 * since it was taken (an invalidation, a `no-store` answer of the same URL, `cache.delete`), or — since the call started (`PolicyCall.world`) — its identity changed, a
 * clear of the cache (all, or of its identity) was made, or a write to its path (or a child's, see
 * `supersede`; or to the path a redirect answered it from, `final`) was delivered in any tab — by any client of the name, one without a stale cache too, since its attempt
 * was sent (`PolicyCall.attemptStartedAt`): a late answer after a logout, or older than your own write, is never stored.
 * `cache:stored` is told once the store took it, unless such a clear or removal began meanwhile (which removed it).
 */
export const write = async (cache: CacheState, call: PolicyCall, { request, response, clone, found, timing, copied, now, before, start, headers, vary }: Copy): Promise<void> => {
	const { context, store, view, sensitive, maxBodyBytes, written } = cache;
	// Read no further than maxBodyBytes (a decoded body may be longer than its Content-Length, a stream endless), nor
	// longer than the call's `timeout` (ky's 10 000 ms when not given): one that stalls is not kept. With `timeout: false`
	// no time bound, as ky reads the caller's body then (ky's suite: "timeout false does not apply a … body timeout").
	// Nor one that fails mid-way (a connection reset: a network failure, no storage fault).
	const { timeout = context.options.timeout } = call.options;
	let bytes: ArrayBuffer | null | undefined;
	try {
		bytes = await readCapped(clone, maxBodyBytes, timeout === false ? undefined : typeof timeout === 'number' && timeout > 0 ? timeout : 10_000);
	} catch {
		// Not a `.catch()` on the read: that one more promise per copy measured +10k steady instructions per call on new URLs.
	}
	const stored = typeof found === 'string' ? found : await found;
	const url = urlOf(stored)!;
	const path = pathOf(url);
	const { status } = response;
	// The path a redirect finally answered it from, when not its own (`GET /me` from `/users/42`): a write of it removes the copy too.
	const to = response.redirected && response.url ? pathOf(withoutUserinfo(response.url)) : path;
	const final = to === path ? undefined : to;
	const record: CacheRecord = {
		// Its status text as a header's (a server's may name a URL: `headerShown`), shown so by the copy served.
		v: 2, url, ...final !== undefined && { final }, storedAt: now, ...timing, status, statusText: headerShown(response.statusText, cache.params),
		headers,
		// The request's values of the headers Vary names (none without Vary: most answers).
		vary: vary === '' ? [] : varyNames(vary, sensitive).map((name) => [name, varied(cache, request, name) ?? null]),
		body: bytes!,
	};
	// Nor one whose head is over what a record may hold (`bounded`: a serve would refuse it), nor the answer of an attempt
	// sent before a write of its path was delivered by a client of the name without a stale cache (here or in another
	// tab): told (`written`), the write noted no removal.
	const kept = bytes !== null && bounded(record);
	// The same for the path a redirect answered it from.
	const current = (at: string): boolean => call.world.current('cache', at) && (written.get(at) ?? 0) <= call.attemptStartedAt;
	if (bytes && kept && !view.dropped(stored, start) && current(path) && (final === undefined || current(final))) {
		// The clears and removals from now on: what a write the store lands after one of them is deleted again for (the part store);
		// of a redirected copy, removals of the path it was answered from too.
		const since = context.world(call.identity);
		const landing = final === undefined ? since : answeredFrom(since, final);
		const written = handOver(store, stored, record, landing); // Made here for the store, never touched again.
		// In the view from the write's start, as in the store's listing (the part store lists its writes under way): an
		// eviction meanwhile finds the view and the listing alike, with nothing to reconcile. Known before `cache:stored`
		// is told: a listener that drops it drops it from the view too.
		view.stored(stored, now, { copied, world: landing, path }, final);
		await written;
		// Not told when a clear or a removal of its path (`cache.delete`, a delivered write; or of `final`) began while the store took it: it removed the copy.
		if (landing.current('cache', path)) {
			context.emit('cache:stored', { scope: call.scope!, method: 'GET', url: record.url, bytes: bytes.byteLength });
		}
		if (view.due(cache.maxEntries)) {
			await view.evict(cache.store, cache.maxEntries);
		}
	} else if (!kept && (view.last(stored)?.at ?? now) === now) {
		// An answer the caller has that no record may hold (its body over `maxBodyBytes`, its head over the bounds): the
		// older copy goes, unless a newer one was stored since — serving it on a later failure would take the caller's data
		// back in time (RFC 9111 §4: the most recent response decides).
		await view.drop(cache.store, (other) => other === stored);
	} else {
		view.forget(stored, now, before);
	}
};
