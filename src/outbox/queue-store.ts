import type { KeyValueStore } from '../stores/types.js';
import { openChannel, type Channel } from '../shared/channel.js';
import { indexOf, listKeys, nextListing, type Index } from './key-index.js';
import { parseKey, type RecordKey } from './record.js';

type Report = (operation: string, error: unknown, key?: string) => void;

/**
 * The outbox's view of its `KeyValueStore`, with a memory fallback: when the store rejects a write,
 * the record is kept in memory for the rest of the session (reported as `storage:error`), so a queued
 * mutation is never lost silently; it is replayed from memory, and lost only if the page goes away
 * before delivery. Reads merge the store and the fallback.
 *
 * The keys are kept in memory too, so a call need not list the store: `load()` lists it once, then
 * the view follows the changes made through the QueueStores of this store object. Where contexts
 * share IndexedDB (tabs, workers), they meet on a BroadcastChannel: a new one says "here", the
 * others answer, and from then on each write or delete is announced; hearing from another context
 * (an answer or an announcement) makes the view be listed again on the next `load()`. Until that
 * message arrives (or, if the writer died between its write and its announcement, until the next
 * listing) the view lags by that write: enough for the `maxEntries` check of a call made offline,
 * which uses it. `keys()` and `load(true)` always list the store: every drain does (under the
 * drain lock), and so does every call made online (the "queued behind" rule).
 */
export class QueueStore {
	readonly #store: KeyValueStore;
	readonly #report: Report;
	/** Storage failures reported so far (the drain retries after a pass that had any). */
	failures = 0;
	readonly #index: Index;
	readonly #memory: Map<string, unknown>;
	readonly #channel: Channel | undefined;
	/** The channel, once another context with this outbox was heard from: only then are changes announced. */
	#peers: Channel | undefined;

	constructor(store: KeyValueStore, report: Report, channelName: string) {
		this.#store = store;
		this.#report = (operation, error, key) => {
			this.failures++;
			report(operation, error, key);
		};
		const index = indexOf(store);
		this.#index = index;
		this.#memory = index.memory;
		// Only where contexts share persisted storage (tabs and workers sharing IndexedDB).
		if (typeof indexedDB !== 'undefined') {
			// 1: "here I am" (answered with 2), 0: "I changed the store". Either says another context
			// uses the store, which may have written before it knew of this one: list again.
			const channel = openChannel(channelName, (data) => {
				index.listing = undefined;
				this.#peers = channel;
				if (data === 1) {
					channel?.post(2);
				}
			});
			channel?.post(1);
			this.#channel = channel;
		}
	}

	/** Our keys, listed from the store again, parsed and sorted (FIFO within each state). */
	async keys(): Promise<RecordKey[]> {
		await this.load(true);
		return [...this.#index.keys.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
	}

	/**
	 * Bring this context's view of the keys up to date: list the store when `fresh`, or when the view
	 * does not come from a listing yet (or another context changed the store since).
	 */
	async load(fresh?: boolean): Promise<void> {
		const index = this.#index;
		if (fresh || !index.listing) {
			index.listing = this.#list();
		}

		await index.listing;
	}

	/** Whether an entry (of `scope`, when given) is pending in this context's view; allocates nothing when none is. */
	hasPending(scope?: string): boolean {
		if (this.#index.keys.size > 0) {
			for (const key of this.#index.keys.values()) {
				if (key.state === 'p' && (scope === undefined || key.scope === scope)) {
					return true;
				}
			}
		}

		return false;
	}

	/** The pending entries in this context's view (see `load`), unsorted. */
	pending(): RecordKey[] {
		return [...this.#index.keys.values()].filter((key) => key.state === 'p');
	}

	/** List the store (a store that cannot list is reported; the keys known here still count). */
	async #list(): Promise<void> {
		try {
			await listKeys(this.#index, this.#store);
		} catch (error) {
			this.#report('keys', error);
			this.#index.listing = undefined;
		}
	}

	/** Report a storage failure met while using this store (counted in `failures`). */
	report(operation: string, error: unknown, key?: string): void {
		this.#report(operation, error, key);
	}

	/** The stored value; rejects when the store cannot read it (the caller decides what that means). */
	async get(key: string): Promise<unknown> {
		return this.#memory.has(key) ? structuredClone(this.#memory.get(key)) : this.#store.get(key);
	}

	/** Write; returns `false` when only the memory fallback holds it. */
	async set(key: string, value: unknown): Promise<boolean> {
		try {
			await this.#store.set(key, value);
			this.#memory.delete(key);
			this.#note(key, true, true);
			return true;
		} catch (error) {
			this.#report('set', error, key);
			this.#memory.set(key, structuredClone(value));
			this.#note(key, true);
			return false;
		}
	}

	/** Delete; returns `false` when the store could not (reported). */
	async delete(key: string): Promise<boolean> {
		this.#memory.delete(key);
		try {
			await this.#store.delete(key);
			this.#note(key, false, true);
			return true;
		} catch (error) {
			this.#report('delete', error, key);
			return false;
		}
	}

	/**
	 * Remove the outbox's records — its own keys only, so a store shared with the cache or the
	 * breaker keeps theirs — or, with `match`, the records it accepts (one identity's).
	 */
	async clear(match?: (record: unknown) => boolean): Promise<void> {
		try {
			const stored = (await this.#store.keys()).filter((key) => parseKey(key));
			const keys = new Set([...stored, ...this.#memory.keys()]);
			await Promise.all([...keys].map(async (key) => {
				if (match && !match(this.#memory.has(key) ? this.#memory.get(key) : await this.#store.get(key))) {
					return;
				}

				this.#memory.delete(key);
				await this.#store.delete(key);
				this.#note(key, false);
			}));
		} catch (error) {
			this.#report('clear', error);
			throw error;
		}

		if (!match) {
			this.#index.keys.clear();
			this.#index.applied = nextListing(); // A listing under way is older than the clear.
		}

		this.#peers?.post(0);
	}

	close(): void {
		this.#channel?.close();
		this.#peers = undefined; // Writes still finishing announce nothing (a closed channel throws).
	}

	/** Record a change made here to the key set; announce it to other contexts when it reached the store. */
	#note(key: string, present: boolean, stored?: boolean): void {
		const { keys, journals } = this.#index;
		const parsed = present && parseKey(key);
		if (parsed) {
			keys.set(key, parsed);
		} else {
			keys.delete(key);
		}

		for (const journal of journals) {
			journal.add(key);
		}

		if (stored) {
			this.#peers?.post(0);
		}
	}
}
