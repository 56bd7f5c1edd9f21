import { serial } from '../shared/serial.js';
import { memoryStore } from '../stores/memory.js';
import type { KeyValueStore } from '../stores/types.js';

/**
 * The cache's store behind one queue: tasks run in order, a failure is reported (never thrown), and
 * three failed writes in a row (or `fallBack()`) swap in a memory store for the rest of the session.
 */
export class StorageQueue {
	readonly #open: () => KeyValueStore;
	readonly #name: string;
	readonly #report: (operation: string, error: unknown, key?: string) => void;
	/** Called when the store is swapped for memory: what the old store held is out of reach. */
	readonly #onFallBack: () => void;
	readonly #queue = serial();
	#store: KeyValueStore | undefined;
	#failedWrites = 0;

	constructor(open: () => KeyValueStore, name: string, report: (operation: string, error: unknown, key?: string) => void, onFallBack: () => void) {
		this.#open = open;
		this.#name = name;
		this.#report = report;
		this.#onFallBack = onFallBack;
	}

	/** The store, opened on first use. */
	get store(): KeyValueStore {
		this.#store ??= this.#open();
		return this.#store;
	}

	/** Run a storage task after the queued ones; false (and reported) if it failed. */
	async run(operation: string, key: string | undefined, task: (store: KeyValueStore) => Promise<unknown>): Promise<boolean> {
		return this.#queue(async () => {
			try {
				await task(this.store);
				this.#failedWrites = 0;
				return true;
			} catch (error) {
				this.#report(operation, error, key);
				if (operation !== 'get' && ++this.#failedWrites >= 3) {
					this.fallBack();
				}

				return false;
			}
		});
	}

	/** Use memory for the rest of the session. */
	fallBack(): void {
		this.#store = memoryStore(this.#name);
		this.#failedWrites = 0;
		this.#onFallBack();
	}
}
