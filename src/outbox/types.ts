import type { PolicyParts } from '../core/policy.js';

/** One stored mutation, as `list()`, `deadLetters()`, `onConflict` and `migrate` see it. */
export interface OutboxEntry {
	id: string;
	method: string;
	url: string;
	/** Never contains a sensitive header (Authorization, Cookie, Proxy-Authorization, Set-Cookie, Set-Cookie2, `sensitiveHeaders`). */
	headers: Record<string, string>;
	/**
	 * Sent as `Idempotency-Key` on every attempt and replay: the call's `idempotencyKey`, else its `Idempotency-Key` header
	 * (a page's, through `fetchHandler`), else a fresh UUID. A header that is not 1–255 printable ASCII characters (as the
	 * option must be) makes the call an `InvalidRequestError` before any I/O: nothing is stored. A placeholder of `outbox.ref()`
	 * in that key (the option's or the header's) takes its value as any header's does (shown as written until then); a value that makes no such key makes
	 * the entry a `'parent'` dead letter.
	 */
	idempotencyKey: string;
	/** Epoch ms. */
	createdAt: number;
	/** Attempts that reached the network. */
	attempts: number;
	/** Epoch ms. */
	nextAttemptAt: number;
	/** The last failure: its `code` and `message` at most 1,024 characters each (a longer one, a server's status line or one read from storage, is cut, ending in `…`). */
	lastError?: { code: string; status?: number; message: string };
	/**
	 * `'parent'`: an entry it depends on was not delivered, or its answer held no value at a pointer asked for.
	 * `'rejected'`: the server refused it (a 4xx the outbox does not retry), or its stored record is unreadable (`lastError`
	 * "Unreadable…"): malformed, or a record the store refuses to give back — its read rejected (never one that only missed
	 * `storageTimeoutMs`) at 3 passes in a row that found the store answering a read of a key it does not hold, whether or
	 * not other entries are pending; only its id, scope and creation time are kept then.
	 */
	deadReason?: 'rejected' | 'expired' | 'max-attempts' | 'conflict' | 'migrate' | 'parent';
	/** Entries whose answers its placeholders (`outbox.ref()`) wait for: it is never sent before them. */
	dependsOn?: string[];
	/** The outbox `version` the entry was queued under. */
	version: number;
	/**
	 * `If-Match`, `If-Unmodified-Since`, `If-None-Match` (lower-case names), sent on every replay. Read
	 * from storage, any other name, or a value that is empty or not visible ASCII (a control
	 * character), makes the record malformed.
	 */
	preconditions?: Record<string, string>;
	/** A digest of the identity the entry was queued under (the client's `identity` option), if any; never the identity itself. */
	identity?: string;
	/** The stored body's size in bytes, as sent (text, JSON or files; a FormData's multipart length); 0 without a body. */
	bodyBytes: number;
	/**
	 * Epoch ms: the end of the lease of its first attempt while that attempt is in flight (`networkTimeoutMs`), in this
	 * client or another of the name and store — no replay of it starts before, in any tab. As the outbox honours it:
	 * a stored lease further ahead than the bound is shown cut to it; absent when there is none, or it ended.
	 */
	inFlightUntil?: number;
}

/** An entry with its body, as `migrate` gets it and returns it. */
export interface StoredEntry extends Omit<OutboxEntry, 'bodyBytes'> {
	/** `body`'s length (given to `migrate`; what it returns is measured again from `body`). */
	bodyBytes?: number;
	/** The body bytes; `headers['content-type']` describes them. */
	body?: ArrayBuffer;
}

/**
 * What `onConflict` resolves to: drop the entry, make it a dead letter, or a rebased write in its place.
 * Its `body` is any body `fetch` takes.
 */
export type ConflictResolution = 'discard' | 'dead' | { json?: unknown; body?: NonNullable<RequestInit['body']>; headers?: Record<string, string> };

/**
 * `client.outbox`. Once the client is closed (or, through `withContext(ctx)`, the request's client), `flush`,
 * `retry`, `discard` and `clear` reject `CLIENT_CLOSED` before any I/O (nothing sent nor removed); the listings still answer.
 */
export interface Outbox {
	/** Pending entries. */
	size(): Promise<number>;
	/**
	 * Pending entries, oldest first: as many as `size()` counts, a stored record the outbox cannot read shown as the
	 * dead letter a replay makes of it (no method, no URL, `lastError` `{ code: 'INVALID_REQUEST', message: 'Unreadable' }`), and
	 * one the store did not give back within `storageTimeoutMs` so too, but `lastError` `{ code: 'TIMEOUT', message: 'Not read: …' }`
	 * (it stays pending as it is).
	 * A record a later build of steadfetch wrote (its format `v` above 1: a tab already updated) is shown so too, but no
	 * replay touches it: it stays pending, unsent, for a tab of that build (no `storage:error`, no dead letter).
	 */
	list(): Promise<OutboxEntry[]>;
	deadLetters(): Promise<OutboxEntry[]>;
	/**
	 * Replay every pending entry of the current identity now, before its backoff is over (an entry a
	 * server's `Retry-After` pinned waits for it), and end the 401/403 pause. In a Worker, call it as
	 * `client.withContext(ctx).outbox.flush()`: the replays hand their background work (the stale
	 * cache's invalidation) to `ctx.waitUntil`; without one it is dropped (`storage:error`). Its counts
	 * cover the passes it waited for (the one under way when it was called, and those after): each entry
	 * once, by its last outcome there (a write that failed, then was delivered, is `sent` only; one
	 * discarded by `onConflict` or `migrate` is in none). `dead` counts every dead letter its passes made,
	 * the `'parent'` dead letters of a parent made one or dropped included.
	 */
	flush(): Promise<{ sent: number; failed: number; dead: number; remaining: number }>;
	/**
	 * Move a dead letter back to pending (attempts and retention start again), then drain; in
	 * Workers only through `client.withContext(ctx)` (the drain is handed to `ctx.waitUntil`), else
	 * the next call or `flush()` replays it (no work is left running outside a request). Rejects with
	 * `OUTBOX_NOT_FOUND` when there is no such dead letter (or it was discarded or cleared meanwhile, or a clear that removes it — of everything, or of its identity — is under way through any client of the name in this realm), with
	 * `InvalidRequestError` when it is the dead letter of a stored record the outbox could not read (`lastError`
	 * `{ code: 'INVALID_REQUEST', message: 'Unreadable' }`: nothing could be sent; it stays a dead letter, its reason kept) or of a
	 * dependent (`ref()`) that could never be sent: an entry it depends on was discarded or is gone, is itself a dead letter
	 * (`retry` that one: it takes its dependents back), or its answer holds no value, or none that can go, where a placeholder is
	 * (before any write; it stays a dead letter), with
	 * `OutboxFullError` (`reason: 'entries'`, the dead letter left as it is) when `maxEntries` entries are pending
	 * (its `'parent'` dead letters come back with it while there is room; the others stay dead letters), or
	 * (`reason: 'quota'`, the same) when the store refuses its pending record for its quota (`QuotaExceededError`)
	 * within `storageTimeoutMs` (a `'parent'` dead letter refused so stays one; any other failure of the store keeps
	 * it pending in memory, `storage:error`, its dead letter kept in the store until the store takes it),
	 * with the store's failure when it cannot list or read it (reported as `storage:error`), with `InvalidRequestError` when `id` is not a string (an entry itself: pass its `id`).
	 */
	retry(id: string): Promise<void>;
	/**
	 * Remove a pending entry or dead letter. Resolves once the store confirmed the removal, else
	 * rejects: a delete the store refused leaves the entry where it was, listed, counted and sent as a reload finds
	 * it (one that did not answer within `storageTimeoutMs` is forgotten here and tried again). Once it resolves, the entry is
	 * never sent again nor written back — a replay already in flight cannot be called back, but its
	 * failure writes nothing, and a pending `onConflict`'s or `migrate`'s answer is dropped. An id that
	 * is not a string (an entry itself: pass its `id`) rejects with `InvalidRequestError`, nothing removed.
	 */
	discard(id: string): Promise<void>;
	/**
	 * A placeholder for the value at `pointer` (a JSON pointer, RFC 6901: `''` or starting with `/`)
	 * of the answer of entry `entryId` (an `OutboxQueuedError`'s `entryId`), usable in a later call's
	 * URL (`searchParams` included), `idempotencyKey`, headers (the call's, its `Request`'s, the client's), `json` body and text body (a
	 * string, `URLSearchParams` or a `FormData`'s text fields: the value's text, form-encoded in a form), on this client or one made from it by `extend()` (same name and store): that call is queued
	 * behind the entry (`dependsOn`, `outbox:waiting`) and replayed with the value in the placeholder's place. The bytes
	 * of a `Blob`, `File`, `ArrayBuffer` or typed array body are never read for placeholders: sent byte-identical, a
	 * placeholder in them as written (one there alone makes no call wait).
	 * The pointer is recorded with the stored entry, so whichever tab delivers it keeps the value: a call
	 * made with the placeholder after the delivery goes out with it. The answer is read as ky reads an
	 * error's body: within the client's `timeout` (10 000 ms when it has none) and 10 MiB; one that takes
	 * longer or is larger holds no value (its dependents become `'parent'` dead letters), never the delivery.
	 * Throws a `TypeError` for an `entryId` that is not a string or a pointer that is not a JSON pointer, and an
	 * `InvalidRequestError` while the client's `identity()` fails (throws, or gives no identity), as a call rejects then: a
	 * placeholder belongs to the identity it was made under, and nobody known is none.
	 * A call holding a placeholder of a pending entry in a header the outbox never stores (a credential,
	 * `sensitiveHeaders`) rejects with `InvalidRequestError` before it is sent or stored: it could only be replayed without it;
	 * so does one holding a placeholder in a `FormData` file part's field or file name (a file is sent byte-identical, never
	 * read for placeholders) or in a `Request` input's body (read for them up to `maxBodyBytes`, `outbox: false` too), and one holding more than 10 000 placeholders (a stored record naming more is read as malformed). One that must wait and cannot be stored (`maxEntries` pending, a body over `maxBodyBytes` or `maxFileBytes`, the
	 * storage quota) rejects with `OutboxFullError` (its `reason`) before it is sent or stored, as any write that must be stored.
	 * A stream body (a `ReadableStream`, a Node stream, an async iterable) is never read for placeholders, as the outbox
	 * never reads a stream (API.md "Outbox"): one there is sent as written. Give a body that holds one as text, JSON, bytes,
	 * a `Blob` or `FormData`.
	 * Only the call's own placeholders are replaced: one a ky hook puts in its URL, a header or its body makes the call an
	 * `InvalidRequestError` before it is sent or stored, and keeps a replay whose hook adds one pending (the hook's failure)
	 * until the hook stops.
	 */
	ref(entryId: string, pointer: string): string;
	/**
	 * Remove every pending entry and dead letter the outbox stored (with `{ identity }`: that identity's only), as
	 * `client.clear()` does for the outbox, leaving the stale cache and the breakers as they are. Resolves once the store
	 * confirmed every removal (rejects otherwise: an entry whose delete the store refused stays pending, as a reload finds
	 * it); after that nothing it removed is sent or comes back (a pass under way
	 * writes nothing of it, a replay in flight is not written back). Given anything but nothing or `{ identity }` with a
	 * non-empty string, it rejects with `InvalidRequestError` and removes nothing.
	 */
	clear(options?: { identity: string }): Promise<void>;
	/**
	 * What the outbox stores: pending entries (`entries`), dead letters (`dead`), and the bytes of their
	 * bodies (`bytes`, pending and dead: files included). Lists the store and reads each record: one the store does
	 * not read back within `storageTimeoutMs` is counted all the same (as `size()` counts it), its bytes not.
	 */
	stats(): Promise<{ entries: number; dead: number; bytes: number }>;
}

/** The member an outbox gives the client. */
export interface OutboxMembers {
	/** The outbox: pending writes, dead letters, `flush()`. */
	readonly outbox: Outbox;
}

/** The outbox's parts: its member for the client. */
export interface OutboxParts extends PolicyParts {
	readonly members: OutboxMembers;
}
