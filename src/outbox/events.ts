import type { BaseEvent } from '../core/event-types.js';
import type { SteadfetchErrorCode } from '../errors/SteadfetchError.js';

/** The outbox's events: a write queued, sent, due again, dead, in conflict, superseded by a later write, discarded by `migrate`, or waiting for the entries it depends on. */
export type OutboxEventType = 'outbox:queued' | 'outbox:sent' | 'outbox:retry' | 'outbox:dead' | 'outbox:conflict' | 'outbox:superseded' | 'outbox:discarded' | 'outbox:waiting';

export interface OutboxEvent<T extends OutboxEventType> extends BaseEvent<T> {
	method: string;
	url: string;
	entryId: string;
	idempotencyKey: string;
	attempts: number;
	/** For `outbox:retry`: when the next attempt is due (epoch ms). */
	nextAttemptAt?: number;
	/** For `outbox:dead`. */
	deadReason?: 'rejected' | 'expired' | 'max-attempts' | 'conflict' | 'migrate' | 'parent';
	/** For `outbox:waiting`: the entries whose answers it waits for. */
	dependsOn?: string[];
	/** For `outbox:sent` and `outbox:conflict`: the response status. */
	status?: number;
	/**
	 * For `outbox:sent`: true when the entry was delivered by the call's own attempt after the caller
	 * had been told it was queued (`outbox({ networkTimeoutMs })`), not by a replay.
	 */
	early?: boolean;
	/** For `outbox:retry`, `outbox:dead`, `outbox:queued`: `classify()`'s code (`OFFLINE` or `BEHIND` for a write held before any I/O). */
	code?: SteadfetchErrorCode;
}
