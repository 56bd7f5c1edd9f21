import { SteadfetchError } from './SteadfetchError.js';

/**
 * A storage operation that did not settle within the client's `storageTimeoutMs` (an IndexedDB
 * blocked by another tab's upgrade never answers). Reaches users through `storage:error`; the call
 * that needed the store goes on without it. Code `TIMEOUT`, transient.
 */
export class StorageTimeoutError extends SteadfetchError {
	override name = 'StorageTimeoutError';

	constructor(message: string) {
		super(message, 'TIMEOUT', true);
	}
}
