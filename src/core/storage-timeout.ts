import { StorageTimeoutError } from '../errors/StorageTimeoutError.js';

/** The `StorageTimeoutError` of a store operation (`what`) that did not answer within `ms`. */
export const storageTimeout = (what: string, ms: number): StorageTimeoutError =>
	new StorageTimeoutError(`The store did not answer ${what} within ${ms} ms (storageTimeoutMs)`);
