import { memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import type { Policy } from '../../src/entries/policy.js';
import { holdGate } from './hold-gate.js';

/** A store factory over one `Map` the test holds (every namespace shares it): records planted, read or dumped as they are. */
export const mapStore = (records: Map<string, unknown>) => (): KeyValueStore => ({
	get: async <T>(key: string) => records.get(key) as T | undefined,
	set: async (key, value) => void records.set(key, value),
	delete: async (key) => void records.delete(key),
	keys: async () => [...records.keys()],
	clear: async () => records.clear(),
});

/** A store over `inner` whose writes of keys starting with `prefix` wait, while `hold()` is in force, for `release()`; `holding()`: one waits. */
export const heldWrites = (prefix: string, inner: KeyValueStore = memoryStore(`held-${prefix}`)) => {
	const { held, holding, hold, release } = holdGate();
	const store: KeyValueStore = {
		...inner,
		async set(key, value) {
			const gate = key.startsWith(prefix) ? held() : undefined;
			if (gate) {
				await gate;
			}

			return inner.set(key, value);
		},
	};
	return { inner, store, holding, hold, release };
};

/** A memory store (per namespace) that records every key and value written, as text. */
export const recording = (written: string[]) => (namespace: string) => {
	const store = memoryStore(namespace);
	const set = store.set.bind(store);
	store.set = async (key, value, ...rest) => {
		written.push(`${key} ${JSON.stringify(value)}`);
		return set(key, value, ...rest);
	};
	return store;
};

/**
 * A policy just below the rate limiter (layer 650) that notes the path of each attempt that passed it: what the
 * transport refuses or sends next, synchronously (slot `h11probe`).
 */
export const passedBelowLimiter = (passed: string[]): Policy<'h11probe'> => ({
	slot: 'h11probe',
	at: { layer: 650 },
	create: () => ({ layer: (next) => (request, init) => {
		passed.push(new URL(request.url).pathname);
		return next(request, init);
	} }),
});
