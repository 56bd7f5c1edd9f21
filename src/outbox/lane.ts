import { storageError } from '../shared/deadline.js';
import type { PolicyContext } from '../core/policy.js';
import type { ResolvedOutboxOptions } from './options.js';
import { outcomeOfError, outcomeOfResponse, type ReplayOutcome } from './outcome.js';
import type { QueueStore } from './queue-store.js';
import { isRecord, unreadableRecord, withState, type OutboxRecord, type RecordKey } from './record.js';
import { settle } from './settle.js';
import type { OutboxEntry } from './types.js';

export interface FlushResult {
	sent: number;
	failed: number;
	dead: number;
	remaining: number;
}

/** Failures that say the origin was unreachable: an "it may be reachable now" trigger makes them due at once. */
const unreachable = new Set(['NETWORK', 'TIMEOUT', 'CIRCUIT_OPEN', 'OFFLINE', 'RATE_LIMITED', 'BULKHEAD_FULL']);

/** What one pass of the drain knows and shares with its lanes. */
export interface Pass {
	readonly result: FlushResult;
	/** Whether failures to reach the origin of a scope count as due now. */
	force(scope: string): boolean;
	/** The digest of the identity now current (undefined without one): entries of another wait. */
	readonly identity: string | undefined;
	/** The abort signal of the pass's replays (a `clear()` or `close()` aborts it). */
	readonly signal: AbortSignal;
	/** False once a `clear()` began: nothing more is written back. */
	current(): boolean;
}

interface LaneDeps {
	readonly context: PolicyContext;
	readonly options: ResolvedOutboxOptions;
	readonly queue: QueueStore;
	/** Scopes paused by a 401/403 until the next trigger. */
	readonly paused: Set<string>;
	/** Delivered entries whose removal failed: never resent by this client. */
	readonly delivered: Set<string>;
}

/**
 * One scope's lane of pending entries, oldest first, with head-of-line blocking: the first entry not
 * due (or failing) stops the lane and gives its wake time. Entries of another identity are passed
 * over, untouched. Returns when the lane is done or blocked.
 */
export const runLane = async (deps: LaneDeps, pass: Pass, scope: string, lane: readonly RecordKey[]): Promise<number> => {
	const { context, options, queue, paused, delivered } = deps;
	const { clock } = context;
	for (const parsed of lane) {
		if (!pass.current() || paused.has(scope)) {
			return Infinity;
		}

		if (delivered.has(parsed.id)) {
			await queue.delete(parsed.key);
			continue;
		}

		let raw: unknown;
		try {
			raw = await queue.get(parsed.key);
		} catch (error) {
			// The store failed (not the record): the lane stops; the drain tries again after a backoff.
			queue.report('get', error, parsed.key);
			return Infinity;
		}

		if (raw === undefined || !pass.current()) {
			continue; // Delivered, discarded or cleared elsewhere meanwhile.
		}

		if (!isRecord(raw)) {
			const message = 'The stored outbox record could not be read';
			storageError(context, 'outbox', 'decode', new TypeError(message), parsed.key);
			await bury(deps, pass, unreadableRecord(parsed, raw, clock.now(), message), parsed.key, 'rejected');
			continue;
		}

		const record = raw;
		if (record.identity !== pass.identity) {
			continue; // Another identity's write: it waits, pending and listed, for its identity.
		}

		const now = clock.now();
		if (now - (record.retainFrom ?? record.createdAt) > options.retentionMs) {
			await bury(deps, pass, record, parsed.key, 'expired');
			continue;
		}

		if (record.nextAttemptAt > now && !(pass.force(scope) && unreachable.has(record.lastError?.code ?? ''))) {
			return record.nextAttemptAt;
		}

		const outcome = await replay(context, record, pass.signal);
		if (!pass.current() && outcome.kind !== 'sent') {
			return Infinity; // Cut short by clear() or close(): the entry is not written back.
		}

		const wake = await apply(deps, pass, record, parsed.key, outcome);
		if (wake !== undefined) {
			return wake;
		}
	}

	return Infinity;
};

/** Apply a replay's outcome; returns the lane's wake time when the entry blocks it. */
const apply = async (deps: LaneDeps, pass: Pass, record: OutboxRecord, key: string, outcome: ReplayOutcome): Promise<number | undefined> => {
	const { context, options, queue, paused, delivered } = deps;
	const settlement = settle(record, outcome, context.clock.now(), options, context.random);
	if (settlement.action === 'remove') {
		if (!await queue.delete(key)) {
			delivered.add(record.id);
		}

		pass.result.sent++;
		emit(context, 'outbox:sent', record, { status: outcome.status ?? 0 });
		return undefined;
	}

	if (settlement.action === 'bury') {
		await bury(deps, pass, record, key, settlement.reason);
		return undefined;
	}

	if (settlement.pause) {
		paused.add(record.scope);
	}

	if (!pass.current()) {
		return Infinity;
	}

	await queue.set(key, record);
	pass.result.failed++;
	emit(context, 'outbox:retry', record, { nextAttemptAt: record.nextAttemptAt, code: outcome.code });
	return settlement.pause ? Infinity : record.nextAttemptAt;
};

/** Move a pending entry to the dead letters (written before the pending copy is removed). */
const bury = async ({ context, queue }: LaneDeps, pass: Pass, record: OutboxRecord, key: string, reason: NonNullable<OutboxEntry['deadReason']>): Promise<void> => {
	if (!pass.current()) {
		return;
	}

	record.deadReason = reason;
	await queue.set(withState(key, 'd'), record);
	await queue.delete(key);
	pass.result.dead++;
	emit(context, 'outbox:dead', record, { deadReason: reason, code: record.lastError?.code ?? reason.toUpperCase() });
};

/** Send a stored request again through the client: the same bytes and Idempotency-Key, no retries of ky's. */
const replay = async (context: PolicyContext, record: OutboxRecord, signal: AbortSignal): Promise<ReplayOutcome> => {
	try {
		const response = await context.send(record.url, {
			method: record.method,
			headers: record.headers,
			body: record.body,
			outbox: false,
			idempotencyKey: record.idempotencyKey,
			retry: 0,
			throwHttpErrors: false,
			prefix: '',
			searchParams: undefined,
			signal,
		}, true);
		void response.body?.cancel().catch(() => undefined);
		return outcomeOfResponse(response, context.clock.now());
	} catch (error) {
		return outcomeOfError(error);
	}
};

const emit = (context: PolicyContext, type: 'outbox:sent' | 'outbox:retry' | 'outbox:dead', record: OutboxRecord, extra: Record<string, unknown>): void => {
	context.emit(type, {
		scope: record.scope, method: record.method, url: record.url, entryId: record.id,
		idempotencyKey: record.idempotencyKey, attempts: record.attempts, ...extra,
	} as never);
};
