import { storageError, storeFor } from '../shared/deadline.js';
import type { PolicyContext } from '../core/policy.js';
import { autoStore } from '../stores/auto.js';
import type { KeyValueStore } from '../stores/types.js';
import { decodeRecord, type BreakerRecord } from './record.js';
import type { Circuit } from './state.js';

/** What the store needs to know of one scope's breaker. */
export interface Persisted {
	readonly scope: string;
	readonly circuit: Circuit;
	/** The last write of the state, so a probe's lock is given back only once others can read it. */
	saving: Promise<void>;
}

/**
 * The breaker's records in the client's `breaker` store (key: the scope), opened on first use:
 * written in order per scope, read back and adopted when newer, cleared record by record (a store
 * shared with the cache or the outbox keeps theirs). Failures are `storage:error`, never thrown.
 */
export class BreakerStore {
	readonly #context: PolicyContext;
	#store: KeyValueStore | undefined;

	constructor(context: PolicyContext) {
		this.#context = context;
	}

	get #opened(): KeyValueStore {
		this.#store ??= storeFor(this.#context, 'breaker', autoStore);
		return this.#store;
	}

	/** Write a state change behind the ones before it. */
	save(entry: Persisted, record: BreakerRecord): void {
		entry.saving = entry.saving.then(async () => this.#opened.set(entry.scope, record)).catch((error: unknown) => {
			storageError(this.#context, 'breaker', 'set', error, entry.scope);
		});
	}

	/** Read the scope's stored state and take it if it is newer. */
	async read(entry: Persisted, reason: string): Promise<void> {
		try {
			const value = await this.#opened.get(entry.scope);
			const record = decodeRecord(value);
			if (record) {
				entry.circuit.adopt(record, reason, this.#context.clock.now());
			} else if (value !== undefined) {
				storageError(this.#context, 'breaker', 'decode', new TypeError('Unknown or corrupt breaker record'), entry.scope);
			}
		} catch (error) {
			storageError(this.#context, 'breaker', 'get', error, entry.scope);
		}
	}

	/** Remove the breaker's own records. */
	async clear(): Promise<void> {
		try {
			const store = this.#opened;
			await Promise.all((await store.keys()).map(async (key) => {
				if (decodeRecord(await store.get(key))?.scope === key) {
					await store.delete(key);
				}
			}));
		} catch (error) {
			storageError(this.#context, 'breaker', 'clear', error);
		}
	}
}
