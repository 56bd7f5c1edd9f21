import type { PolicyCall } from '../core/policy.js';
import { hand } from '../core/part-store.js';
import { cutFor, cutShort } from './cut.js';
import { serve } from './serve.js';
import { behind, outlives, type CacheState, type Read } from './state.js';

/** The deadline passed: a usable copy answers the call, while its run goes on (in Workers without `waitUntil`, it is cut). */
const fire = async (cache: CacheState, call: PolicyCall, read: Read): Promise<void> => {
	read.timer = undefined;
	const stale = !read.done && !call.signal?.aborted && await serve(cache, call, read.request!, 'slow', read);
	if (stale) {
		// Its run goes on for the copy: no attempt of it after a logout, its first still waiting for a slot included.
		outlives(call);
		cutShort(read);
		hand(cache.context, 'cache', call.waitUntil, read.run!, read.request!.url);
		read.answer!(stale);
	}
};

/**
 * A read's deadline (`networkTimeoutMs`), at its first attempt: armed when a copy may answer it — its
 * key is in the view, or the store was not listed yet (then listed, behind the call, once) — never
 * for a key the client knows is not stored. Nothing is read from the store until the deadline passes
 * (`fire`); in Workers without `waitUntil` the run's attempts are aborted when the copy answers.
 */
export const arm = (cache: CacheState, call: PolicyCall, request: Request, read: Read): void => {
	const { view } = cache;
	const found = cache.key.of(request, call.identity);
	read.request = request;
	read.key = found;
	if (found === undefined || (typeof found === 'string' && view.lacks(found))) {
		return;
	}

	// Listed behind the call, unless its run may not outlive it (a cut: cut.ts).
	read.cut = cutFor(call);
	if (view.unlisted && !read.cut) {
		behind(cache, call, request.url, async () => view.evict(cache.store, cache.maxEntries));
	}

	read.timer = setTimeout(fire, Math.max(0, (read.ms as number) - (cache.context.clock.now() - read.start)), cache, call, read);
};
