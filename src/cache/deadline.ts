import type { PolicyCall } from '../core/policy.js';
import { hand } from '../core/part-store.js';
import { directives, seconds } from './cache-control.js';
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
 * Whether a request asks for the origin's answer, not a stored one (RFC 9111 §5.2.1): fetch's `cache: 'no-cache'` or
 * `'reload'`, a `Cache-Control: no-cache`, `no-store` or `max-age=0`, or `Pragma: no-cache` where it has no
 * `Cache-Control` (§5.4). Its copy never answers it while the origin may still: only a failure (§4.2.4, disconnected).
 */
const asksFresh = ({ cache, headers }: Request): boolean => {
	if (cache === 'no-cache' || cache === 'reload') {
		return true;
	}

	const header = headers.get('cache-control');
	if (header === null) {
		return /(?:^|,)\s*no-cache\s*(?:,|$)/i.test(headers.get('pragma') ?? '');
	}

	const own = directives(header);
	return own.has('no-cache') || own.has('no-store') || seconds(own.get('max-age')) === 0;
};

/**
 * A read's deadline (`networkTimeoutMs`), at its first attempt: armed when a copy may answer it — its
 * key is in the view, or the store was not listed yet (then listed, behind the call, once) — never
 * for a key the client knows is not stored, nor for a request that asks for the origin's answer (`asksFresh`). Nothing is read from the store until the deadline passes
 * (`fire`); in Workers without `waitUntil` the run's attempts are aborted when the copy answers.
 */
export const arm = (cache: CacheState, call: PolicyCall, request: Request, read: Read): void => {
	const { view } = cache;
	const found = cache.key.of(request, call.identity);
	read.request = request;
	read.key = found;
	if (found === undefined || (typeof found === 'string' && view.lacks(found)) || asksFresh(request)) {
		return;
	}

	// Listed behind the call, unless its run may not outlive it (a cut: cut.ts).
	read.cut = cutFor(call);
	if (view.unlisted && !read.cut) {
		behind(cache, call, request.url, async () => view.evict(cache.store, cache.maxEntries));
	}

	read.timer = setTimeout(fire, Math.max(0, (read.ms as number) - (cache.context.clock.now() - read.start)), cache, call, read);
};
