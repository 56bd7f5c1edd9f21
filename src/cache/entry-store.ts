import type { FeatureContext } from '../core/feature.js';
import { memoryStore } from '../stores/memory.js';
import type { KeyValueStore } from '../stores/types.js';
import { LruIndex } from './lru-index.js';
import { indexKey, parseIndex, parseMeta, parseRecord, recordKey, type CacheMeta, type CacheRecord } from './record.js';
import type { ResolvedCacheOptions } from './resolve-options.js';

/** Longest wait for storage on a request's path; a store that hangs longer is treated as failed. */
const storageWaitMs = 3000;

const timeout = async <T>(promise: Promise<T>): Promise<T> => {
	let timer: ReturnType<typeof setTimeout> | undefined;
	try {
		return await Promise.race([promise, new Promise<never>((_, reject) => {
			timer = setTimeout(() => reject(new Error(`Storage did not answer within ${storageWaitMs} ms`)), storageWaitMs);
		})]);
	} finally {
		clearTimeout(timer);
	}
};

/**
 * The stored responses: the in-memory LRU index over the client's `cache` store. The index is
 * loaded once, lazily, from the persisted index (reconciled with the store's keys: records the
 * index misses are adopted, entries without a record dropped). Writes go through one queue in
 * order (record, then index), behind the callers. Records not written yet are read from memory.
 *
 * Faults never reach a request: each is reported as `storage:error` (part `cache`). A store that
 * cannot load its index, or fails three writes in a row, is replaced by a memory store for the session.
 */
export class EntryStore {
	readonly index = new LruIndex();
	readonly #context: FeatureContext;
	readonly #options: ResolvedCacheOptions;
	readonly #pending = new Map<string, CacheRecord>();
	#store: KeyValueStore | undefined;
	#ready: Promise<void> | undefined;
	#queue: Promise<unknown> = Promise.resolve();
	#indexQueued = false;
	#failedWrites = 0;
	#lastReload = Number.NEGATIVE_INFINITY;

	constructor(context: FeatureContext, options: ResolvedCacheOptions) {
		this.#context = context;
		this.#options = options;
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
			const value = await timeout(this.#open().get(key));
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

	/** Index a record and write it (and the index) behind; resolves once written, true if it was. */
	async put(record: CacheRecord): Promise<boolean> {
		const { body: _body, v: _v, status: _status, statusText: _statusText, headers: _headers, ...meta } = record;
		this.index.set(meta);
		this.#pending.set(record.key, record);
		const evicted = this.index.evict(this.#options.maxEntries, this.#options.maxBytes);
		const written = await this.#enqueue('set', recordKey(record.key), async (store) => store.set(recordKey(record.key), record));
		if (this.#pending.get(record.key) === record) {
			this.#pending.delete(record.key);
		}

		if (!written) {
			this.index.delete(record.key);
		}

		this.remove(evicted);
		this.#saveIndex();
		return written;
	}

	/** Drop entries from the index now and from the store behind. */
	remove(metas: readonly CacheMeta[]): Promise<unknown> {
		for (const meta of metas) {
			this.index.delete(meta.key);
			this.#pending.delete(meta.key);
		}

		const removed = Promise.all(metas.map(async (meta) => this.#enqueue('delete', recordKey(meta.key), async (store) => store.delete(recordKey(meta.key)))));
		if (metas.length > 0) {
			this.#saveIndex();
		}

		return removed;
	}

	/** Remove every record of this client's cache. */
	async clear(): Promise<void> {
		await this.ready();
		this.index.clear();
		this.#pending.clear();
		await this.#enqueue('clear', undefined, async (store) => store.clear());
	}

	/**
	 * Merge the persisted index into this one (another tab or client of the same name may have stored
	 * since this one loaded). For misses on a failing call; at most once a second.
	 */
	async reload(): Promise<void> {
		const now = this.#context.clock.now();
		if (now - this.#lastReload < 1000) {
			return;
		}

		this.#lastReload = now;
		await this.#enqueue('get', indexKey, async (store) => {
			for (const meta of parseIndex(await timeout(store.get(indexKey))) ?? []) {
				if (!this.index.get(meta.key) && meta.until >= now) {
					this.index.set(meta);
				}
			}
		});
	}

	#open(): KeyValueStore {
		this.#store ??= this.#context.storeFor('cache');
		return this.#store;
	}

	#report(operation: string, error: unknown, key?: string): void {
		this.#context.storageError('cache', operation, error, key);
	}

	/** Use memory for the rest of the session: the records of the failed store are out of reach. */
	#fallBack(): void {
		this.#store = memoryStore(`${this.#context.name}/cache`);
		this.index.clear();
		this.#pending.clear();
		this.#failedWrites = 0;
	}

	/** Run a storage task after the queued ones; false (and reported) if it failed. */
	async #enqueue(operation: string, key: string | undefined, task: (store: KeyValueStore) => Promise<unknown>): Promise<boolean> {
		const run = this.#queue.then(async () => {
			try {
				await task(this.#open());
				this.#failedWrites = 0;
				return true;
			} catch (error) {
				this.#report(operation, error, key);
				if (operation !== 'get' && ++this.#failedWrites >= 3) {
					this.#fallBack();
				}

				return false;
			}
		});
		this.#queue = run;
		return run;
	}

	/** Persist the index once after the current burst of changes. */
	#saveIndex(): void {
		if (this.#indexQueued) {
			return;
		}

		this.#indexQueued = true;
		void this.#enqueue('set', indexKey, async (store) => {
			this.#indexQueued = false;
			await store.set(indexKey, { v: 1, entries: this.index.list() });
		});
	}

	async #load(): Promise<void> {
		const now = this.#context.clock.now();
		try {
			const store = this.#open();
			const [raw, keys] = await timeout(Promise.all([store.get(indexKey), store.keys()]));
			const present = new Set(keys);
			const listed = parseIndex(raw);
			if (raw !== undefined && !listed) {
				this.#report('decode', new TypeError('Corrupt or old-version cache index'), indexKey);
			}

			const stale: CacheMeta[] = [];
			for (const meta of listed ?? []) {
				if (present.delete(recordKey(meta.key))) {
					if (meta.until < now) {
						stale.push(meta);
					} else {
						this.index.set(meta);
					}
				}
			}

			// Records the index does not list (written by another tab, or before a crash): adopt or drop.
			present.delete(indexKey);
			for (const [at, key] of [...present].entries()) {
				const meta = at < this.#options.maxEntries ? parseMeta(parseRecord(await timeout(store.get(key)))) : undefined;
				if (meta && recordKey(meta.key) === key && meta.until >= now) {
					this.index.set(meta);
				} else {
					if (!meta && at < this.#options.maxEntries) {
						this.#report('decode', new TypeError('Corrupt or old-version cache record'), key);
					}

					stale.push({ key: key.slice(2) } as CacheMeta);
				}
			}

			this.remove([...stale, ...this.index.evict(this.#options.maxEntries, this.#options.maxBytes)]);
		} catch (error) {
			this.#report('load', error);
			this.#fallBack();
		}
	}
}
