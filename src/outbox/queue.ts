import type { EventFields, PolicyContext } from '../core/policy.js';
import type { OutboxEventType } from '../core/event-types.js';
import type { PartStore } from '../shared/part-store.js';
import { sensitiveOf } from '../shared/sensitive-of.js';
import type { ResolvedOutboxOptions } from './options.js';
import { parseKey, type OutboxRecord, type RecordKey } from './record.js';

export interface FlushResult {
	sent: number;
	failed: number;
	dead: number;
	remaining: number;
}

/**
 * What the outbox's two halves share, owned here: the call side (enqueue.ts) queues and holds calls,
 * the drain (drain.ts) replays; both read the same store and this state, nothing else.
 */
export interface Queue {
	readonly context: PolicyContext;
	readonly options: ResolvedOutboxOptions;
	/** `<name>/outbox` through `partStore`: bounded, never rejecting, unconfirmed writes kept in memory. */
	readonly store: PartStore;
	/** Scopes with pending entries, as the last listing in this client found them (and queued since). */
	scopes: Set<string>;
	/** Scopes paused by a 401/403 until a trigger that ends the pause. */
	readonly paused: Set<string>;
	/** Ids this client is replaying now: never superseded. */
	readonly inFlight: Set<string>;
	/** The drain under way in this client, if any. */
	running: Promise<FlushResult> | undefined;
	/** Bumped by `clear()`: a pass of an older epoch writes nothing back. */
	epoch: number;
	/** Whether a drain has been started (the client's start, or its first eligible call where no timer may be set). */
	started: boolean;
	closed: boolean;
}

/** The outbox's keys in the store (another part's are skipped), oldest first; notes the scopes with pending entries. */
export const listKeys = async (queue: Queue): Promise<RecordKey[]> => {
	const keys = (await queue.store.keys()).sort().flatMap((key) => parseKey(key) ?? []);
	queue.scopes = new Set(keys.flatMap((key) => key.dead ? [] : key.scope));
	return keys;
};

/** Pending entries, as the store lists them now. */
export const pendingCount = async (queue: Queue): Promise<number> => (await listKeys(queue)).filter((key) => !key.dead).length;

/** Emit an `outbox:*` event about a record: every one carries its scope, method, url, id, key and attempts. */
export const emitAbout = <T extends OutboxEventType>(queue: Queue, type: T, record: OutboxRecord, extra?: Partial<EventFields<T>>): void => {
	const { scope, method, url, id, idempotencyKey, attempts } = record;
	queue.context.emit(type, { scope, method, url, entryId: id, idempotencyKey, attempts, ...extra } as EventFields<T>);
};

const preconditionNames: ReadonlySet<string> = new Set(['if-match', 'if-unmodified-since', 'if-none-match']);

/**
 * The headers an entry keeps, and its preconditions (`If-Match`, `If-Unmodified-Since`,
 * `If-None-Match`) apart: never a sensitive one (added again at replay by the client's default
 * headers and `beforeRequest` hooks), nor `Idempotency-Key` (stored as the entry's key) or
 * `Content-Length`; `type` is the body's Content-Type when the headers have none.
 */
export const splitHeaders = ({ context, options }: Queue, given: Headers, type?: string): Pick<OutboxRecord, 'headers' | 'preconditions'> => {
	const headers: Record<string, string> = {};
	const preconditions: Record<string, string> = {};
	given.forEach((value, name) => {
		if (!options.sensitiveHeaders.has(name) && !sensitiveOf(context).headers.has(name) && name !== 'idempotency-key' && name !== 'content-length') {
			(preconditionNames.has(name) ? preconditions : headers)[name] = value;
		}
	});
	if (type && !headers['content-type']) {
		headers['content-type'] = type;
	}

	return Object.keys(preconditions).length > 0 ? { headers, preconditions } : { headers };
};

/** The delay before the next replay of an entry that failed `attempts` times: full jitter, `random() × min(maxBackoffMs, baseBackoffMs × 2^(attempts − 1))`. */
export const backoff = ({ context, options }: Queue, attempts: number): number =>
	Math.floor(context.random() * Math.min(options.maxBackoffMs, options.baseBackoffMs * 2 ** Math.min(30, Math.max(0, attempts - 1))));
