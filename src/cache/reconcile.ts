import type { KeyValueStore } from '../stores/types.js';
import type { LruIndex } from './lru-index.js';
import { indexKey, parseIndex, parseMeta, parseRecord, recordKey, type CacheMeta } from './record.js';

/** What `reconcile` needs besides the store and the index. */
export interface ReconcileOptions {
	readonly now: number;
	/** Records read at most (the cache's `maxEntries`): a store full of strangers costs bounded reads. */
	readonly maxReads: number;
	/** False once a removal happened since the reconcile began: then nothing is adopted. */
	adoptable(): boolean;
	report(operation: string, error: unknown, key?: string): void;
}

/**
 * Bring the in-memory index in line with the store: index the unexpired entries the persisted index
 * lists and the records it misses (written by another tab, or before a crash or an index write).
 * Returns what must be removed: expired, corrupt and orphaned records.
 */
export const reconcile = async (store: KeyValueStore, index: LruIndex, { now, maxReads, adoptable, report }: ReconcileOptions): Promise<CacheMeta[]> => {
	const [raw, keys] = await Promise.all([store.get(indexKey), store.keys()]);
	const present = new Set(keys);
	present.delete(indexKey);
	const listed = parseIndex(raw);
	if (raw !== undefined && !listed) {
		report('decode', new TypeError('Corrupt or old-version cache index'), indexKey);
	}

	const stale: CacheMeta[] = [];
	const adopt = (meta: CacheMeta): void => {
		if (meta.until < now) {
			stale.push(meta);
		} else if (adoptable() && !index.get(meta.key)) {
			index.set(meta);
		}
	};

	for (const meta of listed ?? []) {
		if (present.delete(recordKey(meta.key))) {
			adopt(meta);
		}
	}

	let reads = 0;
	for (const key of present) {
		if (!index.get(key.slice(2))) {
			const meta = reads++ < maxReads ? parseMeta(parseRecord(await store.get(key))) : undefined;
			if (meta && recordKey(meta.key) === key) {
				adopt(meta);
			} else {
				if (!meta && reads <= maxReads) {
					report('decode', new TypeError('Corrupt or old-version cache record'), key);
				}

				stale.push({ key: key.slice(2) } as CacheMeta);
			}
		}
	}

	return stale;
};
