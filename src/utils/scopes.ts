/**
 * The idle scopes (origins, or the breaker's `scope`) a client keeps state for: past them, the least
 * recently used idle scope's state is forgotten (its `stats()` counters, retry budget window, closed
 * breaker, each policy's own) and made fresh if the scope is called again. See `Scopes`.
 */
export const maxScopes = 1000;

/**
 * A client's state per scope, bounded: what a part keeps per scope lives in one of these, never in
 * a plain Map (one module-level client meets every origin a crawler or a Worker calls).
 * `scope(name)` gives a scope's state, made when missing. At most `maxScopes` idle scopes are kept:
 * the least recently used are forgotten; `keep(value, name)` says which must stay whatever their
 * age (an open breaker, waiters, calls in flight).
 *
 * Two generations of `maxScopes / 2` scopes: a scope used is in the young one (a hit there is one
 * map lookup, nothing moves); one of the old generation moves to the young one when used. When the
 * young one is full it becomes the old one, and the old one is forgotten but for what `keep` holds
 * (carried over, asked again a generation later): one pass per `maxScopes / 2` new scopes, nothing
 * per call. A scope is never forgotten before `maxScopes / 2` others were used since it was.
 */
export interface Scopes<T> {
	/** The scope's state, made when missing; now among the most recently used. */
	scope(name: string): T;
	/** The scope's state if it is known, without making it or marking it used (`stats()`). */
	get(name: string): T | undefined;
	/** Forget one scope's state. */
	delete(name: string): void;
	clear(): void;
	/** Every known scope and its state, the least recently used first. */
	entries(): IterableIterator<[string, T]>;
	/** How many scopes are known. */
	readonly size: number;
}

export const scopes = <T>(make: (name: string) => T, keep?: (value: T, name: string) => unknown): Scopes<T> => {
	let young = new Map<string, T>();
	let old = new Map<string, T>();
	let limit = maxScopes / 2;
	return {
		scope(name) {
			let value = young.get(name);
			if (value === undefined) {
				value = old.get(name) ?? make(name);
				old.delete(name);
				if (young.size >= limit) {
					const kept = new Map<string, T>();
					for (const [each, held] of old) {
						if (keep?.(held, each)) {
							kept.set(each, held);
						}
					}

					limit = kept.size + maxScopes / 2;
					old = young;
					young = kept;
				}

				young.set(name, value);
			}

			return value;
		},
		get: (name) => young.get(name) ?? old.get(name),
		delete(name) {
			young.delete(name);
			old.delete(name);
		},
		clear() {
			young.clear();
			old.clear();
		},
		*entries() {
			yield* old;
			yield* young;
		},
		get size() {
			return young.size + old.size;
		},
	};
};
