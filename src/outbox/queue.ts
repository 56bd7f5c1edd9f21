import type { EventFields, PolicyContext } from '../core/policy.js';
import type { OutboxEventType } from '../core/event-types.js';
import { parseRetryAfter } from '../core/runtime.js';
import type { PartStore } from '../shared/part-store.js';
import { identityDigest } from '../shared/digest.js';
import { webLocks } from '../shared/lock.js';
import { sensitiveOf } from '../shared/sensitive-of.js';
import { splitSensitive } from '../shared/sensitive.js';
import type { ResolvedOutboxOptions } from './options.js';
import { isRecord, parseKey, preconditionNames, type OutboxRecord, type RecordKey } from './record.js';

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
	/** The pending keys, as the last listing in this client found them. */
	keys: RecordKey[];
	/**
	 * Whose lane each pending entry this client has read holds, by key id: its identity digest, or
	 * `null` when this client leaves it alone whoever calls (a newer version's, unreadable).
	 */
	readonly known: Map<string, string | undefined | null>;
	/** Scopes paused by a 401/403 until a trigger that ends the pause. */
	readonly paused: Set<string>;
	/**
	 * Ids this client claimed: being replayed by its drain (never superseded), or superseded by it
	 * (never replayed). Checked and set with no await between the read of a record and the claim.
	 */
	readonly inFlight: Set<string>;
	/** Whether this client's drain holds the lock now (a pass runs): its claims tell what is in flight. */
	holding?: boolean;
	/** The drain under way in this client, if any. */
	running?: Promise<FlushResult> | undefined;
	/** Bumped by `clear()`: a pass of an older epoch writes nothing back. */
	epoch: number;
	/** Whether a drain has been started (the client's start, or its first eligible call where no timer may be set). */
	started?: boolean;
	closed?: boolean;
	/** Identity digests computed, by identity (a few kept): what lets a replay's attempt check its identity with no await. */
	readonly digests: Map<string, string>;
	/**
	 * Ids `discard()` removed while a pass, a `retry()` or a `discard()` was under way (any may hold the
	 * record, read before): never sent nor written back. Forgotten once none is (`occupied`).
	 */
	readonly removed: Set<string>;
	/** Passes, retries and discards under way. */
	busy: number;
	/** The replays under way, by Idempotency-Key: whether each may still go out (checked by the layer when its attempt starts). */
	readonly replays: Map<string, Ticket>;
	/** `storage:error` reports of the outbox so far: an operation that answered nothing failed when this moved. */
	failures: number;
}

/** A replay's permission to go out: asked by the layer as its attempt starts, which notes a refusal. */
export interface Ticket {
	due(): boolean;
	refused?: boolean;
}

/**
 * The outbox's keys in the store (another part's are skipped), oldest first; notes the pending ones
 * (`Queue.keys`). `strict`: reject when the store does not list.
 */
export const listKeys = async (queue: Queue, strict?: boolean): Promise<RecordKey[]> => {
	const keys = (await queue.store.keys(strict)).sort().flatMap((key) => parseKey(key) ?? []);
	queue.keys = keys.filter((key) => !key.dead);
	if (!queue.keys.length) {
		queue.known.clear(); // Nothing pending: what it knew is gone.
	}

	return keys;
};

/** The digest an identity is known by in storage (`undefined` without one), computed once. */
export const digestOf = ({ context, digests }: Queue, who: string | undefined): string | Promise<string> | undefined =>
	who === undefined ? undefined : digests.get(who) ?? identityDigest(context.name, who).then((digest) => {
		if (digests.size > 15) {
			digests.clear();
		}

		digests.set(who, digest);
		return digest;
	});

/** The current identity's digest now, with no await: `null` when it was never computed (then it is no entry's). */
export const digestNow = ({ context, digests }: Queue): string | undefined | null => {
	const who = context.identity();
	return who === undefined ? undefined : digests.get(who) ?? null;
};

/** Run `task` as one of the operations that may hold a record (see `Queue.removed`). */
export const occupied = async <T>(queue: Queue, task: () => Promise<T>): Promise<T> => {
	queue.busy++;
	try {
		return await task();
	} finally {
		if (!--queue.busy) {
			queue.removed.clear();
		}
	}
};

/** Delete every key, each confirmed by the store: rejects with the first failure once all were tried. */
export const removeAll = async ({ store }: Queue, keys: string[]): Promise<void> => {
	const failures: unknown[] = [];
	await Promise.all(keys.map(async (key) => store.delete(key, true).catch((error: unknown) => failures.push(error))));
	if (failures.length > 0) {
		throw failures[0];
	}
};

/**
 * Whether `scope` has a pending entry this client would replay now (of the current identity, of
 * this version or older): only such an entry holds a call of its scope (FIFO). Reads the records of
 * the scope this client has not read yet.
 */
export const behind = async (queue: Queue, scope: string): Promise<boolean> => {
	const mine = await digestOf(queue, queue.context.identity());
	for (const { key, id, scope: lane } of queue.keys) {
		if (lane === scope) {
			if (!queue.known.has(id)) {
				const record = await queue.store.get(key);
				queue.known.set(id, isRecord(record) && !(record.version! > queue.options.version) ? record.identity : null);
			}

			if (queue.known.get(id) === mine) {
				return true;
			}
		}
	}

	return false;
};

/**
 * Run `task` under the outbox's lock of this client name, where Web Locks exist (not in workerd):
 * one drain at a time across the tabs, workers and clients of a process. `signal`: give up waiting
 * for the lock when it aborts (the promise rejects, `task` is not run).
 */
export const locked = async <T>({ context }: Queue, task: () => Promise<T>, signal?: AbortSignal): Promise<T> =>
	webLocks()?.request(`steadfetch:${context.name}/outbox`, signal ? { signal } : {}, task) ?? task();

/** Pending entries, as the store lists them now. */
export const pendingCount = async (queue: Queue): Promise<number> => {
	await listKeys(queue);
	return queue.keys.length;
};

/** Emit an `outbox:*` event about a record: every one carries its scope, method, url, id, key and attempts. */
export const emitAbout = <T extends OutboxEventType>(queue: Queue, type: T, record: OutboxRecord, extra?: Partial<EventFields<T>>): void => {
	const { scope, method, url, id, idempotencyKey, attempts } = record;
	queue.context.emit(type, { scope, method, url, entryId: id, idempotencyKey, attempts, ...extra } as EventFields<T>);
};

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

/**
 * Header sets given by the app (`migrate`'s entry, a rebased write) as one `Headers`: names in any
 * case, the last value given for a name wins (`new Headers(record)` would join `content-type` and
 * `Content-Type` into one value); a `Headers` or an array of pairs as fetch reads them.
 */
export const headersOf = (...given: unknown[]): Headers => {
	const headers = new Headers();
	for (const init of given) {
		for (const [name, value] of init instanceof Headers || Array.isArray(init) ? new Headers(init) : Object.entries(init ?? {})) {
			headers.set(name, value as string);
		}
	}

	return headers;
};

/** Whether a URL carries a sensitive query parameter: such a write is never stored. */
export const secretUrl = ({ context }: Queue, url: string): boolean => splitSensitive(url, sensitiveOf(context).params).found !== undefined;

/** The delay before the next replay of an entry that failed `attempts` times: full jitter, `random() × min(maxBackoffMs, baseBackoffMs × 2^(attempts − 1))`. */
export const backoff = ({ context, options }: Queue, attempts: number): number =>
	Math.floor(context.random() * Math.min(options.maxBackoffMs, options.baseBackoffMs * 2 ** Math.min(30, Math.max(0, attempts - 1))));

/**
 * When a failed entry goes next: at the server's `Retry-After` (which then holds it against a drain
 * that makes entries due now), else after the error's `retryAfterMs` (the breaker's), else after the
 * backoff; a wait from outside never outlives the entry's retention.
 */
export const schedule = (queue: Queue, record: OutboxRecord, now: number, response: Response | undefined, error: unknown): void => {
	const { retentionMs } = queue.options;
	const retryAfter = parseRetryAfter(response?.headers.get('retry-after'), now);
	const wait = retryAfter ?? (error as { retryAfterMs?: number } | undefined)?.retryAfterMs ?? backoff(queue, record.attempts);
	record.nextAttemptAt = Math.min(now + (Number.isFinite(wait) ? Math.max(0, wait) : retentionMs), Math.max(now, (record.retainFrom ?? record.createdAt) + retentionMs));
	record.held = retryAfter !== undefined;
};
