import { copyPlain } from '../utils/copy.js';
import { insert, place, prefixEnd, remove } from '../utils/sorted.js';
import type { BasicStore, BasicStoreFactory, KeyValueStore, StoreFactory } from './types.js';
import { taken } from './hand-over.js';
import { markAtOnce } from './at-once.js';

/** A key's sort key: itself. */
const itself = (key: string): string => key;

/**
 * get, set, delete and keys over `map` (see `BasicStore`), each value copied on the way in and out
 * but one handed over; `changed`: told of each key set (`true`) or deleted (`false`), for
 * `memoryStore`'s sorted keys.
 */
const basics = (map: Map<string, unknown>, changed?: (key: string, set: boolean) => void): BasicStore => ({
	async get<T>(key: string) {
		const value = map.get(key);
		return value === undefined ? undefined : copyPlain(value) as T;
	},
	async set(key, value) {
		// A value handed over (the stale cache's record of a response, which nothing else holds) is kept as it is. Copied
		// before the key is noted: a value the copy refuses (a function: DataCloneError) changes nothing.
		const kept = taken(value) ? value : copyPlain(value);
		changed?.(key, true);
		map.set(key, kept);
	},
	async delete(key) {
		if (map.delete(key)) {
			changed?.(key, false);
		}
	},
	async keys() {
		return [...map.keys()];
	},
});

/**
 * `memoryStore` without `clear` and `span` (nor the sorted keys `span` reads): the default of the parts
 * that never ask them (the breaker's and the stale cache's where there is no IndexedDB, through
 * `basicAutoStore`), so a program without the outbox carries neither.
 */
export const basicMemoryStore: BasicStoreFactory = () => markAtOnce(basics(new Map()));

/**
 * A store in memory: gone with the page or process. Values are copied on the way in and out, as
 * IndexedDB would structured-clone them, so later mutation of a stored object never changes what is
 * stored (plain data is copied directly, anything else with `structuredClone`) — except a value a
 * client's part hands over (the stale cache's record of a response, which nothing else holds:
 * stores/hand-over.ts), kept without a copy on the way in. Its keys are also
 * kept sorted once `span(prefix)` was asked (the outbox asks; the stale cache never does), so `span`
 * answers with two binary searches, and a store that is never asked pays nothing for the order.
 *
 * Every operation settles before a timer could fire: the client's parts arm no `storageTimeoutMs`
 * timer for its methods (stores/at-once.ts), a deadline no operation of it could ever reach.
 *
 * Each call makes a new, empty store. To share one between clients (or to simulate a reload in a
 * test), make it once and pass `store: () => shared`.
 */
export const memoryStore: StoreFactory = (_namespace: string): KeyValueStore => {
	const map = new Map<string, unknown>();
	/** The keys in order, made at the first `span` and kept from then on. */
	let sorted: string[] | undefined;
	return markAtOnce({
		...basics(map, (key, set) => {
			if (sorted) {
				(set ? insert : remove)(sorted, key, itself);
			}
		}),
		async clear() {
			map.clear();
			sorted = undefined;
		},
		async span(prefix) {
			sorted ??= [...map.keys()].sort();
			const from = place(sorted, prefix, itself);
			const end = prefixEnd(prefix);
			const to = end === undefined ? sorted.length : place(sorted, end, itself);
			return { count: to - from, last: to > from ? sorted[to - 1] : undefined };
		},
	});
};
