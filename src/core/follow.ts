import type { FetchInit } from './types.js';

/**
 * A retry made to follow ky's abort: its `signal` (what every layer, and a `fetch` that takes the Request alone, read)
 * follows, besides its own, `made`'s: the latest Request of the run that ky made itself, which the call holds. `false`
 * when `made` has aborted: then ky made this retry anew too (after an attempt's `timeout`, with a new controller), and
 * it is the one to follow from now on. The runtime's `fetch` reads the Request's own signal, not the property: the
 * transport sends such a retry with its `signal` given again (`sentWith`).
 *
 * ky sends a retry as a clone of the attempt before, and Node's `fetch` (undici) holds a clone's controller weakly
 * (nodejs/undici#4068, open): after a GC, ky's `timeout`, its `totalTimeout` and the caller's abort never reached the retry. The caller's abort did
 * not end a call whose retry was in flight, a retry whose `fetch` ignored its signal held its bulkhead slot for good,
 * and a request it shared (dedupe) went on. The Request stays ky's own (ky's `parseJson` and hooks are given the one
 * `fetch` was). Node's build only: a browser's, Deno's and workerd's clone follows its source while anything holds the
 * clone's signal, as whatever waits on it does (`follow-browser.ts`, `follow-edge.ts`).
 */
export const follow = (retry: Request, made: Request): boolean => {
	if (made.signal.aborted || !AbortSignal.any) {
		return false;
	}

	Object.defineProperty(retry, 'signal', { value: AbortSignal.any([retry.signal, made.signal]), configurable: true });
	return true;
};

/**
 * What the transport sends `request` with: a retry `follow` made to follow ky's abort with its `signal` given again (a
 * Request a layer made in its place has a signal of its own, as `fetch` reads it), any other with `init` as it is.
 */
export const sentWith = (request: Request, init: FetchInit | undefined): FetchInit | undefined =>
	Object.hasOwn(request, 'signal') ? { ...init, signal: request.signal } : init;
