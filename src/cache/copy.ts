import type { PolicyCall } from '../core/policy.js';
import { readCapped } from '../utils/read-capped.js';
import { timing } from './cache-control.js';
import { urlOf } from './keys.js';
import { pathOf } from './superseded.js';
import type { CacheRecord } from './record.js';
import { behind, type CacheState, type Copy, type Read } from './state.js';
import { signature } from './view.js';

/**
 * A copy of a good GET response as it arrives (a clone, before ky or the caller read its body), or
 * undefined when none is to be kept. With `read`, the key its deadline made for the same Request.
 */
export const copyOf = (cache: CacheState, call: PolicyCall, request: Request, response: Response, read?: Read): Copy | undefined => {
	const { view } = cache;
	const { status, headers } = response;
	const found = status !== 200 && status !== 203 ? undefined : read?.request === request && typeof read.key === 'string' ? read.key : cache.key.of(request, call.identity);
	const now = cache.context.clock.now();
	if (found === undefined || (typeof found === 'string' && view.recent(found, response, now))) {
		return undefined;
	}

	// One pass over the response's headers (a read costs as much as a pass over a few): what timing, the record and the view read.
	const seen = new Map<string, string>();
	headers.forEach((value, name) => {
		seen.set(name, value);
	});
	const plan = timing(request.headers, seen, cache.shared, cache.maxStaleMs, now);
	if (plan === false) {
		// It forbids keeping a copy: the one it would replace goes.
		behind(cache, call, request.url, async () => {
			const stored = await found;
			return view.drop((other) => other === stored);
		});
	}

	if (!plan || Number(seen.get('content-length')) > cache.maxBodyBytes) {
		return undefined;
	}

	if (typeof found === 'string') {
		view.touch(found, now);
	}

	return { request, response, clone: response.clone(), found, plan, now, start: view.epoch, seen };
};

/**
 * Write a copy behind the caller (the call resolved with its response), unless an invalidation came
 * since it was taken, or — since the call started (`PolicyCall.world`) — its identity changed, a
 * clear of the cache (all, or of its identity) was made, or a write to its path (or a child's, see
 * `supersede`) was delivered in any tab: a late answer after a logout, or older than your own write, is never stored.
 */
export const write = async ({ context, store, view, sensitive, notStored, maxBodyBytes }: CacheState, call: PolicyCall, { request, response, clone, found, plan, now, start, seen }: Copy): Promise<void> => {
	// Read no further than maxBodyBytes (a decoded body may be longer than its Content-Length, a stream endless).
	const bytes = await readCapped(clone, maxBodyBytes);
	const stored = typeof found === 'string' ? found : await found;
	if (bytes && view.epoch === start && call.world.current('cache', pathOf(urlOf(stored)!))) {
		const { status, statusText } = response;
		const record: CacheRecord = {
			v: 2, url: urlOf(stored)!, storedAt: now, ...plan, status, statusText,
			headers: [...seen].filter(([name]) => !notStored.has(name)),
			vary: (seen.get('vary') ?? '').split(',').map((name) => name.trim().toLowerCase()).filter((name) => name && !sensitive.has(name)).map((name) => [name, request.headers.get(name)]),
			body: bytes,
		};
		await store.set(stored, record);
		// Known before `cache:stored` is told: a listener that drops it drops it from the view too.
		view.stored(stored, signature(status, seen.get('etag') ?? seen.get('last-modified')), now, plan.until);
		context.emit('cache:stored', { scope: call.scope!, method: 'GET', url: record.url, bytes: bytes.byteLength });
		if (view.full) {
			await view.evict();
		}
	} else {
		view.forget(stored, now);
	}
};
