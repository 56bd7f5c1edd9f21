import type { KeyValueStore } from '../stores/types.js';
import { parseKey, type RecordKey } from './record.js';

type Report = (operation: string, error: unknown, key?: string) => void;

/**
 * The outbox's view of its `KeyValueStore`, with a memory fallback: when the store rejects a write,
 * the record is kept in memory for the rest of the session (reported as `storage:error`), so a queued
 * mutation is never lost silently; it is replayed from memory, and lost only if the page goes away
 * before delivery. Reads merge the store and the fallback.
 */
export class QueueStore {
	readonly #store: KeyValueStore;
	readonly #report: Report;
	readonly #memory = new Map<string, unknown>();

	constructor(store: KeyValueStore, report: Report) {
		this.#store = store;
		this.#report = report;
	}

	/** Our keys, parsed and sorted (FIFO). A store that cannot list is reported; memory still counts. */
	async keys(): Promise<RecordKey[]> {
		let stored: string[] = [];
		try {
			stored = await this.#store.keys();
		} catch (error) {
			this.#report('keys', error);
		}

		const all = new Set([...stored, ...this.#memory.keys()]);
		const parsed: RecordKey[] = [];
		for (const key of all) {
			const entry = parseKey(key);
			if (entry) {
				parsed.push(entry);
			}
		}

		return parsed.sort((a, b) => (a.key.slice(2) < b.key.slice(2) ? -1 : a.key.slice(2) > b.key.slice(2) ? 1 : 0));
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
			return true;
		} catch (error) {
			this.#report('set', error, key);
			this.#memory.set(key, structuredClone(value));
			return false;
		}
	}

	/** Delete; returns `false` when the store could not (reported). */
	async delete(key: string): Promise<boolean> {
		this.#memory.delete(key);
		try {
			await this.#store.delete(key);
			return true;
		} catch (error) {
			this.#report('delete', error, key);
			return false;
		}
	}

	async clear(): Promise<void> {
		this.#memory.clear();
		try {
			await this.#store.clear();
		} catch (error) {
			this.#report('clear', error);
			throw error;
		}
	}
}
