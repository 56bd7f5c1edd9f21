import type { KeyValueStore } from '../stores/types.js';
import { parseKey, type RecordKey } from './record.js';

/**
 * What this context knows of one store: its keys, parsed once, and the memory fallback. Shared by
 * the QueueStores of one store object (clients given the same store), so their views agree.
 */
export interface Index {
	keys: Map<string, RecordKey>;
	memory: Map<string, unknown>;
	/** The listing the view comes from; dropped when another context says it changed the store. */
	listing?: Promise<void> | undefined;
	/** The latest listing applied (an older one finishing later is not). */
	applied: number;
	/** The keys changed here during each listing under way: their current state wins over the listing. */
	journals: Set<Set<string>>;
}

const indexes = new WeakMap<KeyValueStore, Index>();
let listings = 0;

/** The index of a store object, made on first use: shared by every QueueStore of that store. */
export const indexOf = (store: KeyValueStore): Index => {
	let index = indexes.get(store);
	if (!index) {
		index = { keys: new Map(), memory: new Map(), applied: 0, journals: new Set() };
		indexes.set(store, index);
	}

	return index;
};

/** A listing number later than every listing so far (a clear makes the listings under way older). */
export const nextListing = (): number => ++listings;

/**
 * List the store into the index: its keys and the memory fallback's, parsed (keys that are not the
 * outbox's are skipped). A listing that finishes after a later one is dropped; keys changed here
 * while it ran keep their current state. Rejects when the store cannot list.
 */
export const listKeys = async (index: Index, store: KeyValueStore): Promise<void> => {
	const journal = new Set<string>();
	const listing = ++listings;
	index.journals.add(journal);
	try {
		const keys = new Map<string, RecordKey>();
		for (const key of [...await store.keys(), ...index.memory.keys()]) {
			const parsed = index.keys.get(key) ?? parseKey(key);
			if (parsed) {
				keys.set(key, parsed);
			}
		}

		if (listing > index.applied) {
			for (const key of journal) {
				const known = index.keys.get(key);
				if (known) {
					keys.set(key, known);
				} else {
					keys.delete(key);
				}
			}

			index.keys = keys;
			index.applied = listing;
		}
	} finally {
		index.journals.delete(journal);
	}
};
