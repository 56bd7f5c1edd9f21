import type { FetchInit, FetchLike } from '../core/types.js';
import type { PolicyCall } from '../core/policy.js';
import type { World } from '../core/world.js';
import { heldRequest } from '../utils/runtime.js';

/**
 * A caller's response whose body read ends as the caller's signal aborts, with its reason (as fetch's does: the
 * shared request's signal is the flight's, which no one caller's abort reaches). Its body alone is cancelled: the
 * others' copies read on (the request's body is let go once every copy is). The response as fetched otherwise.
 */
const own = (response: Response, signal: AbortSignal): Response => {
	if (!response.body) {
		return response;
	}

	const { url, redirected, type } = response;
	return Object.defineProperties(new Response(response.body.pipeThrough(new TransformStream(), { signal }), response), {
		url: { value: url },
		redirected: { value: redirected },
		type: { value: type },
	});
};

/**
 * One request in flight shared by identical callers: it has a signal of its own, aborted only when
 * every caller has aborted; each caller gets its own response (the last one handed it the original,
 * the others a copy). It leaves `flights` once the response has arrived: this is not a cache.
 */
export class Flight {
	readonly #controller = new AbortController();
	/** Callers still waiting for the shared response (their own signals not aborted). */
	#waiting = 0;
	/** Their calls (`FetchInit.callers`): a wait below is bounded by the longest budget of theirs. */
	readonly #calls: (PolicyCall | undefined)[] = [];
	/** Callers given the response so far. */
	#handed = 0;
	readonly #promise: Promise<Response>;
	/** The world of the call that made the request: a call after a logout (a clear, or another identity) never joins it. */
	readonly #world: World | undefined;
	/** The call that made the request, and the request as it went (its ids are the request's: `PolicyHooks.joined`). */
	readonly first: PolicyCall | undefined;
	readonly request: Request;
	/** Set when a write was delivered since it went out (`live`): a call made after it never joins. */
	written = false;
	/** What it goes out through (dedupe/index.ts `viaOf`), read when a call would join it: a call sent another way never joins. */
	via: () => unknown[] = () => [];

	/** `live`: the requests in flight of every map, until they end. */
	constructor(flights: Map<string, Flight>, live: Set<Flight>, key: string, next: FetchLike, request: Request, init: FetchInit | undefined) {
		// Fetch would reset the referrer and its policy when a Request is re-made with an init, so both are given again. Held
		// by its signal until it settles (`heldRequest`): the abort once every caller left reaches a `fetch` that waits on nothing else.
		const [shared, release] = heldRequest(request, { signal: this.#controller.signal, referrer: request.referrer, referrerPolicy: request.referrerPolicy });
		this.request = shared;
		// Its first caller is among the callers from the start: the layers below ask as the request goes down to them, before
		// `join` (a rate limiter's wait for a token was bounded by the longest budget of none: refused at once).
		this.#calls.push(init?.steadfetch);
		this.#promise = next(shared, { ...init, callers: () => this.#calls }).finally(() => {
			release();
			live.delete(this);
			if (flights.get(key) === this) {
				flights.delete(key);
			}
		});
		live.add(this);
		this.#promise.catch(() => undefined);
		this.first = init?.steadfetch;
		this.#world = this.first?.world;
		flights.set(key, this);
	}

	/**
	 * Whether a call (of `world`, to its `url`) may still join: somebody waits for it, no write was delivered since it
	 * went out (API.md "Read your own writes": the state before a write is never a later read's answer,
	 * nor stored by it), and nothing came between it and the call after which its answer may no longer
	 * be stored (API.md "Work that outlives its caller": a logout, a clear or an identity change, a clear
	 * of the stale cache or a `cache.delete` of its URL): the answer of a request made before is never served to, nor stored by, a call made after.
	 */
	joins(world: World | undefined, url: string): boolean {
		// A removal of its URL's copies (`cache.delete`) counts as a clear of the stale cache. Named by the URL without its
		// query, fragment and ending slashes, its percent-encodings normalised (`%7E` is `~`), as the cache names it (cache/keys.ts
		// `pathOf`, inlined: imported, that module would leave the cache's chunk for one of its own in every build with a stale cache).
		const decoded = url.split(/[?#]/)[0]!.replace(/%[\da-f]{2}/gi, (code) => {
			const char = String.fromCharCode(Number.parseInt(code.slice(1), 16));
			return /[\w.~-]/.test(char) ? char : code.toUpperCase();
		});
		let end = decoded.length;
		while (decoded[end - 1] === '/') {
			end--; // Counted back, as `pathOf` does: the pattern /\/+$/ took quadratic time on a run of slashes.
		}

		const path = decoded.slice(0, end);
		return this.#waiting > 0 && !this.written && (this.#world?.current('cache', path) !== false || world?.current('cache', path) === false);
	}

	/** Wait for the shared response with `signal`: one caller's abort is its own. */
	join(signal: AbortSignal, call: PolicyCall | undefined): Promise<Response> {
		// The first caller (none waited yet: a flight nobody waits for any more takes no caller, `joins`) is in already.
		if (this.#waiting++ > 0) {
			this.#calls.push(call);
		}

		return new Promise<Response>((resolve, reject) => {
			const onAbort = (): void => {
				this.#calls.splice(this.#calls.indexOf(call), 1);
				if (--this.#waiting === 0) {
					this.#controller.abort(signal.reason);
				}

				reject(signal.reason);
			};

			signal.addEventListener('abort', onAbort, { once: true });
			this.#promise.then((response) => {
				signal.removeEventListener('abort', onAbort);
				if (signal.aborted) {
					return;
				}

				// Each caller reads its own body: the last one handed the response gets the original.
				resolve(own(++this.#handed === this.#waiting ? response : response.clone(), signal));
			}, (error: unknown) => {
				signal.removeEventListener('abort', onAbort);
				reject(error);
			});
		});
	}
}
