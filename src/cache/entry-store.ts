import { storageError, storeFor } from '../shared/deadline.js';
import type { PolicyContext } from '../core/policy.js';
import { autoStore } from '../stores/auto.js';
import type { KeyValueStore } from '../stores/types.js';
import { IndexWriter } from './index-writer.js';
import { LruIndex } from './lru-index.js';
import { reconcile } from './reconcile.js';
import { StorageQueue } from './storage-queue.js';
import { indexKey, parseRecord, recordKey, type CacheMeta, type CacheRecord } from './record.js';
import type { ResolvedCacheOptions } from './resolve-options.js';

export { indexEveryMs } from './index-writer.js';

/**
 * The stored responses: the in-memory LRU index over the client's `cache` store. The index is
 * loaded once, lazily, from the persisted index reconciled with the store's keys (records the
 * index misses are adopted, entries without a record dropped), so the persisted index is only a
 * shortcut: it is written at most once per `indexEveryMs` (at once after a quiet interval, then
 * when the interval ends if it changed meanwhile; a timer runs only then) and by `close()`. A
 * crash before that loses no record, only the LRU order of the last changes. Writes go through
 * one queue in order, behind the callers. Records not written yet are read from memory.
 *
 * Faults never reach a request: each is reported as `storage:error` (part `cache`). A store that
 * cannot load its index, or fails three writes in a row, is replaced by a memory store for the session.
 */
export class EntryStore {
	readonly index = new LruIndex();
	readonly #context: PolicyContext;
	readonly #options: ResolvedCacheOptions;
	readonly #pending = new Map<string, CacheRecord>();
	readonly #storage: StorageQueue;
	#ready: Promise<void> | undefined;
	readonly #writer = new IndexWriter(() => {
		void this.#storage.run('set', indexKey, async (store) => store.set(indexKey, { v: 1, entries: this.index.list() }));
	});
	/** Bumped by every removal: a reload that overlapped one adopts nothing. */
	#removals = 0;
	#lastReload = Number.NEGATIVE_INFINITY;

	constructor(context: PolicyContext, options: ResolvedCacheOptions) {
		this.#context = context;
		this.#options = options;
		this.#storage = new StorageQueue(() => storeFor(context, 'cache', autoStore), `${context.name}/cache`, (operation, error, key) => this.#report(operation, error, key), () => {
			this.index.clear();
			this.#pending.clear();
		});
	}

	/** Whether the index is loaded (then `index` answers synchronously). */
	loaded = false;

	/** Loads the index on the first call; never rejects. Always the same promise, so waiters run in order. */
	ready(): Promise<void> {
		this.#ready ??= this.#load().then(() => {
			this.loaded = true;
		});
		return this.#ready;
	}

	/** The record of an entry, or undefined (a missing or corrupt record is dropped and reported). */
	async read(meta: CacheMeta): Promise<CacheRecord | undefined> {
		const pending = this.#pending.get(meta.key);
		if (pending) {
			return pending;
		}

		const key = recordKey(meta.key);
		try {
			const value = await this.#storage.store.get(key);
			const record = parseRecord(value);
			if (record?.key === meta.key) {
				return record;
			}

			if (value !== undefined) {
				this.#report('decode', new TypeError('Corrupt or old-version cache record'), key);
			}
		} catch (error) {
			this.#report('get', error, key);
			return undefined;
		}

		this.remove([meta]);
		return undefined;
	}

	/** Index a record and write it behind; resolves once written, true if it was. */
	async put(record: CacheRecord): Promise<boolean> {
		const { body: _body, v: _v, statusText: _statusText, headers: _headers, ...meta } = record;
		this.index.set(meta);
		this.#pending.set(record.key, record);
		const evicted = this.index.evict(this.#options.maxEntries, this.#options.maxBytes);
		const written = await this.#storage.run('set', recordKey(record.key), async (store) => store.set(recordKey(record.key), record));
		if (this.#pending.get(record.key) === record) {
			this.#pending.delete(record.key);
		}

		if (!written) {
			this.index.delete(record.key);
		}

		this.remove(evicted);
		this.#writer.changed();
		return written;
	}

	/**
	 * Drop entries from the index now and from the store behind. `purge` (no-store, invalidation):
	 * the persisted index is written at once too, so no trace of them is left behind.
	 */
	remove(metas: readonly CacheMeta[], purge = false): Promise<unknown> {
		for (const meta of metas) {
			this.index.delete(meta.key);
			this.#pending.delete(meta.key);
		}

		const removed = Promise.all(metas.map(async (meta) => this.#storage.run('delete', recordKey(meta.key), async (store) => store.delete(recordKey(meta.key)))));
		if (metas.length > 0) {
			this.#removals++;
			this.#writer.changed(purge);
		}

		return removed;
	}

	/**
	 * Remove every record of this client's cache — its own keys only (`index`, `r:…`): a store
	 * shared with the outbox or the breaker keeps their records.
	 */
	async clear(): Promise<void> {
		await this.ready();
		this.#removals++;
		this.index.clear();
		this.#pending.clear();
		await this.#storage.run('clear', undefined, async (store) => {
			const own = (await store.keys()).filter((key) => key === indexKey || key.startsWith('r:'));
			await Promise.all(own.map(async (key) => store.delete(key)));
		});
	}

	/** Remove the records stored for one identity (by its digest), the persisted index at once. */
	async clearWho(who: string): Promise<void> {
		await this.reload();
		await this.remove(this.index.deleteWhere((meta) => meta.who === who), true);
	}

	/** Stop the index timer and write the index now if it changed; later changes write it at once. */
	close(): void {
		this.#writer.close();
	}

	/**
	 * Merge what the store holds into the index (another tab or client of the same name may have
	 * stored since this one loaded): the persisted index, and records it does not list yet.
	 * For misses on a failing call; at most once a second.
	 */
	async reload(): Promise<void> {
		const now = this.#context.clock.now();
		if (now - this.#lastReload < 1000) {
			return;
		}

		this.#lastReload = now;
		const removals = this.#removals;
		await this.#storage.run('get', indexKey, async (store) => this.#merge(store, now, removals));
	}

	#report(operation: string, error: unknown, key?: string): void {
		storageError(this.#context, 'cache', operation, error, key);
	}

	async #load(): Promise<void> {
		try {
			await this.#merge(this.#storage.store, this.#context.clock.now(), this.#removals);
		} catch (error) {
			this.#report('load', error);
			this.#storage.fallBack();
		}
	}

	/** Adopt what the store holds that the index misses; remove expired, corrupt and orphaned records and evict beyond the bounds. */
	async #merge(store: KeyValueStore, now: number, removals: number): Promise<void> {
		const stale = await reconcile(store, this.index, {
			now,
			maxReads: this.#options.maxEntries,
			adoptable: () => removals === this.#removals,
			report: (operation, error, key) => this.#report(operation, error, key),
		});
		this.remove([...stale, ...this.index.evict(this.#options.maxEntries, this.#options.maxBytes)]);
	}
}
