import { backoffDelay } from './backoff.js';
import type { ResolvedOutboxOptions } from './options.js';
import type { ReplayOutcome } from './outcome.js';
import type { OutboxRecord } from './record.js';
import type { OutboxEntry } from './types.js';

/** What a replay's outcome does to its entry (see `settle`). */
export type Settlement =
	| { action: 'remove' }
	| { action: 'bury'; reason: NonNullable<OutboxEntry['deadReason']> }
	| { action: 'keep'; pause: boolean };

/** Codes of replays refused before any I/O: they are not attempts (API.md "Outbox"). */
export const withoutIo: ReadonlySet<string> = new Set(['CIRCUIT_OPEN', 'OFFLINE', 'RATE_LIMITED', 'BULKHEAD_FULL', 'CLIENT_CLOSED']);

/**
 * Apply a replay's outcome to its record, and say what becomes of the entry. Pure: time and
 * randomness are given. Only attempts that reached the network count toward `maxAttempts`. A wait
 * the server gives (Retry-After) or the breaker gives is bounded: no later than the end of the
 * entry's retention, when it would expire anyway.
 */
export const settle = (record: OutboxRecord, outcome: ReplayOutcome, now: number, options: ResolvedOutboxOptions, random: () => number): Settlement => {
	if (outcome.kind === 'sent') {
		return { action: 'remove' };
	}

	if (!withoutIo.has(outcome.code)) {
		record.attempts++;
	}

	record.lastError = outcome.status === undefined
		? { code: outcome.code, message: outcome.message }
		: { code: outcome.code, status: outcome.status, message: outcome.message };
	if (outcome.kind === 'rejected') {
		return { action: 'bury', reason: 'rejected' };
	}

	if (outcome.kind === 'pause') {
		return { action: 'keep', pause: true };
	}

	if (record.attempts >= options.maxAttempts) {
		return { action: 'bury', reason: 'max-attempts' };
	}

	const { baseBackoffMs, maxBackoffMs, retentionMs } = options;
	const expiresAt = (record.retainFrom ?? record.createdAt) + retentionMs;
	const waitMs = outcome.waitMs ?? backoffDelay(Math.max(1, record.attempts), baseBackoffMs, maxBackoffMs, random);
	record.nextAttemptAt = Math.min(now + Math.max(0, waitMs), Math.max(now, expiresAt));
	return { action: 'keep', pause: false };
};
