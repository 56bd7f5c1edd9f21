import type { CacheMeta } from './record.js';

/**
 * The in-memory index of stored responses, least recently used first (a Map keeps insertion order;
 * a touch re-inserts). It answers misses without a storage read and enforces the entry and byte
 * bounds. Per primary key it remembers the `Vary` names of the latest variant, to build full keys.
 */
export class LruIndex {
	readonly #entries = new Map<string, CacheMeta>();
	readonly #primaries = new Map<string, { vary: string[]; count: number }>();
	#bytes = 0;

	get size(): number {
		return this.#entries.size;
	}

	get bytes(): number {
		return this.#bytes;
	}

	get(key: string): CacheMeta | undefined {
		return this.#entries.get(key);
	}

	/** The `Vary` names of the resource's stored variants (of the latest one stored). */
	varyOf(primary: string): string[] | undefined {
		return this.#primaries.get(primary)?.vary;
	}

	/** Add or replace an entry as the most recently used. */
	set(meta: CacheMeta): void {
		this.delete(meta.key);
		this.#entries.set(meta.key, meta);
		this.#bytes += meta.bytes;
		const primary = this.#primaries.get(meta.primary);
		this.#primaries.set(meta.primary, { vary: meta.vary, count: (primary?.count ?? 0) + 1 });
	}

	/** Mark as most recently used. */
	touch(key: string): void {
		const meta = this.#entries.get(key);
		if (meta) {
			this.#entries.delete(key);
			this.#entries.set(key, meta);
		}
	}

	delete(key: string): CacheMeta | undefined {
		const meta = this.#entries.get(key);
		if (meta) {
			this.#entries.delete(key);
			this.#bytes -= meta.bytes;
			const primary = this.#primaries.get(meta.primary)!;
			if (--primary.count === 0) {
				this.#primaries.delete(meta.primary);
			}
		}

		return meta;
	}

	/** Remove and return the entries that match. */
	deleteWhere(match: (meta: CacheMeta) => boolean): CacheMeta[] {
		const removed = [...this.#entries.values()].filter(match);
		for (const meta of removed) {
			this.delete(meta.key);
		}

		return removed;
	}

	/** Remove and return least recently used entries until within both bounds. */
	evict(maxEntries: number, maxBytes: number): CacheMeta[] {
		const evicted: CacheMeta[] = [];
		for (const meta of this.#entries.values()) {
			if (this.#entries.size <= maxEntries && this.#bytes <= maxBytes) {
				break;
			}

			this.delete(meta.key);
			evicted.push(meta);
		}

		return evicted;
	}

	/** Every entry, least recently used first. */
	list(): CacheMeta[] {
		return [...this.#entries.values()];
	}

	clear(): void {
		this.#entries.clear();
		this.#primaries.clear();
		this.#bytes = 0;
	}
}
