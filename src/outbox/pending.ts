import { insert, place, remove } from '../utils/sorted.js';
import type { RecordKey } from './record.js';

/** An entry's sort key: its store key (oldest first). */
const keyOf = (entry: RecordKey): string => entry.key;

/** What the queue's users read of its pending keys (`Queue.pending`): the queue alone changes them. */
export type PendingView = Pick<PendingKeys, 'all' | 'size' | 'of' | 'next' | 'scopes' | 'find'>;

/**
 * The pending entries a queue knows of, oldest first (their keys sort so), overall and by scope: what
 * a write, a replay or a removal asks (how many are pending, whether a scope has any, a scope's
 * oldest) is answered here with a binary search, never by listing the store. Filled by a listing
 * (`reset`), then kept by the queue's own writes and deletes (`add`, `delete`).
 */
export class PendingKeys {
	#all: RecordKey[] = [];
	readonly #scopes = new Map<string, RecordKey[]>();
	/** Each entry by id: `find` is asked per write, ref() and dependent, and for every entry after a reload. */
	readonly #ids = new Map<string, RecordKey>();
	/** Keys beyond one of their id (a crash between a rewrite's two writes): 0 but for that. */
	#twins = 0;

	/** Every pending entry, oldest first (a live view: copy it to iterate across awaits). */
	get all(): readonly RecordKey[] {
		return this.#all;
	}

	get size(): number {
		return this.#all.length;
	}

	/** The newest entry's key (the greatest). */
	get last(): string | undefined {
		return this.#all.at(-1)?.key;
	}

	/** The pending entry of the id `id`, if there is one. */
	find(id: string): RecordKey | undefined {
		return this.#ids.get(id);
	}

	/** The scopes with pending entries. */
	scopes(): IterableIterator<string> {
		return this.#scopes.keys();
	}

	/** The pending entries of `scope`, oldest first (a live view). */
	of(scope: string): readonly RecordKey[] {
		return this.#scopes.get(scope) ?? [];
	}

	/** The oldest entry of `scope` after the key `after` (its oldest without it). */
	next(scope: string, after?: string): RecordKey | undefined {
		const keys = this.of(scope);
		if (after === undefined) {
			return keys[0];
		}

		const at = place(keys, after, keyOf);
		return keys[keys[at]?.key === after ? at + 1 : at];
	}

	/** Start again from a listing's pending keys, oldest first. */
	reset(keys: readonly RecordKey[]): void {
		this.#all = [...keys];
		this.#scopes.clear();
		this.#ids.clear();
		this.#twins = 0;
		for (const entry of keys) {
			this.#lane(entry.scope).push(entry);
			// The oldest of an id's keys, as a scan of them would find it.
			this.#ids.has(entry.id) ? this.#twins++ : this.#ids.set(entry.id, entry);
		}
	}

	/** Add an entry: false when it was there. */
	add(entry: RecordKey): boolean {
		if (!insert(this.#all, entry, keyOf)) {
			return false;
		}

		insert(this.#lane(entry.scope), entry, keyOf);
		const known = this.#ids.get(entry.id);
		known && this.#twins++;
		if (!known || entry.key < known.key) {
			this.#ids.set(entry.id, entry);
		}

		return true;
	}

	delete(entry: RecordKey): void {
		if (!remove(this.#all, entry.key, keyOf)) {
			return;
		}

		const lane = this.#scopes.get(entry.scope);
		if (lane) {
			remove(lane, entry.key, keyOf);
			if (lane.length === 0) {
				this.#scopes.delete(entry.scope);
			}
		}

		if (this.#ids.get(entry.id)?.key !== entry.key) {
			this.#twins--; // Not the key its id finds: another key of it stays.
			return;
		}

		this.#ids.delete(entry.id);
		// Only while some id has two keys is another looked for (a scan, never on a drain's path otherwise).
		const other = this.#twins > 0 ? this.#all.find((each) => each.id === entry.id) : undefined;
		if (other) {
			this.#ids.set(entry.id, other);
			this.#twins--;
		}
	}

	/** The entries of `scope`, made empty when it has none. */
	#lane(scope: string): RecordKey[] {
		let lane = this.#scopes.get(scope);
		if (!lane) {
			lane = [];
			this.#scopes.set(scope, lane);
		}

		return lane;
	}
}
