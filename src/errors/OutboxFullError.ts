import { SteadfetchError } from './SteadfetchError.js';

/** Why a write that had to be stored was not (`OutboxFullError.reason`). */
export type OutboxFullReason = 'entries' | 'size' | 'quota';

/**
 * A write that had to be stored could not be, and nothing was stored: the outbox is at `maxEntries`
 * (`'entries'`), its body is over `maxBodyBytes` or its file bytes over `maxFileBytes`, or its headers over 256 fields or
 * 1,048,576 characters of names and values (`'size'`), or
 * storing it would leave less than 10 % of the storage quota free, or the store refused it for its quota
 * (a `QuotaExceededError`) while the caller waited for its write, within `storageTimeoutMs` (`'quota'`). A
 * quota error that comes after the caller was told "queued" (a slower store) is a `storage:error`: the
 * write is kept in memory and written again with the outbox's next write, as on any other storage failure.
 */
export class OutboxFullError extends SteadfetchError {
	override name = 'OutboxFullError' as const;
	/** What was full: the entries, the body's size, or the storage quota. */
	declare readonly reason: OutboxFullReason;

	constructor(message: string, options?: { cause?: unknown; reason?: OutboxFullReason }) {
		super(message, 'OUTBOX_FULL', false, options);
		this.reason = options?.reason ?? 'entries';
	}
}
