/** Methods of stores that settle every call before a timer could fire (see `markAtOnce`). Weak: nothing is kept alive by it. */
const atOnce = new WeakSet<object>();

/**
 * Mark `store`'s methods as settling at once: each call does its work synchronously and returns a
 * promise already settled (the memory store: a `Map` and a copy), so no deadline could ever pass
 * before it answers, and the part store arms no deadline timer for it (`settlesAtOnce`). The methods
 * are marked, not the store: a method replaced on the store object (a test's failing `set`), or a
 * wrapper built around it, is bounded as any store's. Returns `store`.
 */
export const markAtOnce = <T extends object>(store: T): T => {
	for (const method of Object.values(store)) {
		if (typeof method === 'function') {
			atOnce.add(method as object);
		}
	}

	return store;
};

/** Whether `method` is a store method marked by `markAtOnce` (anything else, a primitive too, is not in the set: `has` answers `false`). */
export const settlesAtOnce = (method: unknown): boolean => atOnce.has(method as object);
