/** A store that fails on demand, for tests of what a client does while its storage fails or hangs. */
import type { KeyValueStore } from '../../src/entries/index.js';

/** How a switchable store answers: as its inner store (`up`), with `Error('store down')` (`throw`), or never (`hang`). */
export type StoreMode = 'up' | 'throw' | 'hang';

/** A store that passes every operation to `inner` while its `mode` is `up`, and fails each one as `mode` says otherwise. */
export const switchableStore = (inner: KeyValueStore): KeyValueStore & { mode: StoreMode } => {
	const store = { mode: 'up' as StoreMode } as KeyValueStore & { mode: StoreMode };
	for (const method of ['get', 'set', 'delete', 'keys', 'clear'] as const) {
		(store as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
			if (store.mode === 'throw') {
				throw new Error('store down');
			}

			if (store.mode === 'hang') {
				return new Promise(() => undefined);
			}

			return (inner[method] as (...a: unknown[]) => Promise<unknown>)(...args);
		};
	}

	return store;
};
