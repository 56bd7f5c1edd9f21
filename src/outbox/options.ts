import { check, given, isNonNegativeInteger, isPositiveFinite, isPositiveInteger, isPositiveTimerMs, isTimerMs, isToken, timerMs, positiveTimerMsOrFalse } from '../utils/validate.js';
import { sensitiveSet } from '../utils/runtime.js';
import type { ConflictResolution, OutboxEntry, StoredEntry } from './types.js';

/** Options of the offline outbox (`outbox`). */
export interface OutboxOptions {
	/**
	 * Methods whose calls are queued when they cannot be delivered. Method names in any case, each an HTTP
	 * token (`'POST '` or `''` is a `RangeError`). Writes only: a read (GET, HEAD, OPTIONS, TRACE, QUERY) is never
	 * queued, so naming one is a `RangeError` too (and a read's `outbox: true` is ignored).
	 * @default ['POST', 'PUT', 'PATCH', 'DELETE']
	 */
	methods?: string[];
	/**
	 * Most pending entries; beyond it, a write that must be stored (offline, behind its scope's
	 * entries, or failed) is refused with `OutboxFullError` — before any I/O when it must wait — and one
	 * that can go out is sent; so is `outbox.retry(id)` of a dead letter (`reason: 'entries'`).
	 * @default 1_000
	 */
	maxEntries?: number;
	/**
	 * Largest body of a queueable call, in bytes; a write with a larger one is sent when it can go out,
	 * and refused with `OutboxFullError` when it must be stored (as at `maxEntries`). Read no further
	 * than this. A write whose URL carries a sensitive query parameter (a presigned upload) is never
	 * stored: it goes out as with `outbox: false`, its body neither read nor limited.
	 * Counts a text or JSON body (a string, `URLSearchParams`, `json`, a `Request`'s body) and a
	 * `FormData`'s text: its multipart body but its files' bytes (names, values, file names and each
	 * part's headers and boundary lines); files are bounded by `maxFileBytes`.
	 * @default 1_048_576 (1 MiB)
	 */
	maxBodyBytes?: number;
	/**
	 * Most binary bytes of one queueable write, in bytes: a `Blob`, `File`, `ArrayBuffer`, typed array
	 * or `DataView` body, or the sum of a `FormData`'s files (its text fields count toward
	 * `maxBodyBytes`). Checked by the sizes they tell, before any byte is read or written: over it, a
	 * write is sent when it can go out and refused with `OutboxFullError` (`reason: 'size'`) when it
	 * must be stored. Such a body is read once, before the first attempt, and the first attempt and
	 * every replay send those bytes with the same Content-Type (a FormData's boundary, its files'
	 * names and types). A write whose body is 64 KiB (65,536 bytes) or more as stored, of any type (text,
	 * JSON, a file, bytes, a FormData's multipart body, a `Request`'s, one an `init` hook gave; a dependent's
	 * too), is stored only while `navigator.storage.estimate()` says at least 10 % of the quota stays free
	 * after it (else `OutboxFullError`, `reason: 'quota'`); asked only when such a write must be stored,
	 * within the client's `storageTimeoutMs`, and skipped where it is missing, fails or is late. A smaller
	 * write is not checked against the estimate (one estimate per write would cost every queued JSON
	 * write); an `onConflict` rebase or a `migrate`d entry is checked by the bytes it adds to the stored
	 * one, from 64 KiB. A write of any size the store refuses for its quota (`QuotaExceededError`) while
	 * the caller waits is refused the same way.
	 * @default 26_214_400 (25 MiB)
	 */
	maxFileBytes?: number;
	/**
	 * How long an entry may wait for delivery, in ms; after that it becomes a dead letter (`expired`),
	 * whatever its `version`. Counted from its creation (or `retry(id)`) in either direction: a
	 * stored time further in the future counts as expired too. Another identity's entries are left
	 * untouched (see the client's `identity`).
	 * @default 604_800_000 (7 days)
	 */
	retentionMs?: number;
	/**
	 * Attempts of one entry that reached the network (the original call, when it did, counts as the
	 * first) before it becomes a dead letter (`max-attempts`). A 401/403 pauses instead.
	 * @default 20
	 */
	maxAttempts?: number;
	/**
	 * Cap of the jittered exponential backoff between replays of one entry, in ms. A stored `nextAttemptAt` further
	 * ahead than this (the clock stepped back, another client's) is not waited for: the entry is due; a server's
	 * `Retry-After` is waited for up to `retentionMs` (a stored one further ahead is not waited for either).
	 * @default 300_000 (5 min)
	 */
	maxBackoffMs?: number;
	/**
	 * First backoff step between replays, in ms (doubled per attempt, full jitter).
	 * @default 1_000
	 */
	baseBackoffMs?: number;
	/**
	 * Cap of the wait before the next replay of an entry whose last attempt ended by a network failure
	 * or a timeout (`classify()`'s `NETWORK` or `TIMEOUT`), in ms: where a user is looking, a queued
	 * write goes out within about this long of the API's return even when nothing else calls it. A 5xx
	 * or 429 keeps the normal backoff (`maxBackoffMs`). Never above `maxBackoffMs` (a larger value
	 * means `maxBackoffMs`); a value given applies in every runtime. A non-negative finite number, else
	 * a `RangeError`.
	 * @default `maxBackoffMs` where there is no `document` (workers, servers, Workers); 30_000 in a page
	 */
	maxNetworkBackoffMs?: number;
	/**
	 * How long an eligible write waits for an answer before it is stored and the caller told it is
	 * queued (`OutboxQueuedError`, or the 202 of `queuedResponse: 'accepted'`), in ms from the call's
	 * start: for a network that takes requests and never answers, where the caller would otherwise
	 * wait for `totalTimeout` (20 s by default) to learn that. Its attempt is not aborted: it goes on
	 * (its retries too) under the entry's `Idempotency-Key`. If it succeeds the entry is removed
	 * (`outbox:sent` with `early: true`); if it fails, whatever the failure, the entry stays
	 * (`outbox:retry`) and is replayed later with the same key, so the server applies the write once
	 * (the replay's outcome decides the rest: a write the server rejects becomes a dead letter). No replay of the entry starts while that attempt is in flight: this
	 * client claims it, and the stored entry carries a lease other tabs and isolates honour, until the
	 * call's own deadline (`totalTimeout`) and never longer than the client's `totalTimeout` (60 000
	 * ms without one). A write that cannot be stored (over `maxBodyBytes`, a full outbox) waits for
	 * its answer as without a deadline; so does one whose first attempt has not started by then (a
	 * `beforeRequest` hook still running), and one in Cloudflare Workers without a `waitUntil`
	 * (nothing could follow its attempt). `false`: a write is queued only when it fails.
	 * @default false
	 */
	networkTimeoutMs?: number | false;
	/**
	 * `'error'`: a queued call rejects with `OutboxQueuedError`. `'accepted'`: it resolves with a
	 * `202 Accepted` response whose `Steadfetch-Outbox-Entry` header and JSON body carry the entry id.
	 * @default 'error'
	 */
	queuedResponse?: 'error' | 'accepted';
	/**
	 * More headers never to store, by name, any case, beside the client's `sensitiveHeaders`
	 * (Authorization, Cookie, Proxy-Authorization, Set-Cookie and Set-Cookie2 never are). Anything but header names throws a
	 * `RangeError` at creation.
	 * @default []
	 */
	sensitiveHeaders?: string[];
	/**
	 * Capture a validator for PUT, PATCH and DELETE: queued while the stale cache keeps a copy of the
	 * same URL for the same identity, the write is replayed with `If-Match: <its strong ETag>` (else
	 * `If-Unmodified-Since: <its Last-Modified>`), unless it carries a precondition of its own. The
	 * copy is the stale cache's, and a successful write drops it (RFC 9111 §4.4): after GET, PUT
	 * (delivered), PUT (queued offline), the second PUT captures nothing unless the app read the
	 * resource again. To keep every write conditional, send `If-Match` yourself (the `ETag` of your
	 * last read or of the last write's response), or read the resource again after a write.
	 * @default false
	 */
	conditional?: boolean;
	/**
	 * Called when a replay meets a conflict (412, or 409 when the entry has a precondition), with the
	 * entry and the response (its body readable). Resolves to `'discard'` (removed:
	 * `outbox:discarded`), `'dead'`, or a rebased
	 * write `{ json?, body?, headers? }` queued in the entry's place (same method, URL and attempts, a
	 * new Idempotency-Key; `headers` replace the stored ones and give its preconditions, so return
	 * `If-Match: <the response's ETag>` to keep it conditional). Its Content-Type describes what it
	 * sends: the one `headers` give, else a new body's own (`json`: `application/json`; bytes: none),
	 * else, without a new body, the stored one. A FormData's own type (its boundary) always wins; and the
	 * stored Content-Type handed back unchanged (`headers: entry.headers`) over a new body with a type of its
	 * own of another kind is that body's type (`json` after a form: `application/json`): it described the old
	 * body. Of the same kind (any `…/json` or `…+json` type is JSON: a stored `application/vnd.api+json`
	 * over `json`), or over bytes (no type of their own), it stays; so does a type that differs from the stored one.
	 * Header names are read in any case, the last given for a
	 * name winning (`{ ...entry.headers, 'Content-Type': … }` replaces the stored `content-type`).
	 * A rebased write is a plain object whose keys are among `json`, `body` and `headers` (one at
	 * least, not `undefined`, nor a `body` or `headers` of `null`): anything else — an array, a `Response`, a `Date`, a
	 * class instance, `{}`, `{ json: undefined }` or `{ body: null }`, a misspelt or unknown key — counts as `'dead'`, never as the stored write
	 * replayed without its precondition.
	 * Throwing, or taking longer than 10 000 ms, counts as `'dead'` too. Without it: a dead letter
	 * (`conflict`). Not called (and no `outbox:conflict`) for an entry discarded or cleared while its
	 * attempt was in flight: it is no longer the app's to resolve; nor while another identity is signed in
	 * than the one it was sent for (the entry stays pending, untouched, until that identity is back).
	 * @default undefined (a conflict makes a dead letter)
	 */
	onConflict?: (conflict: { entry: OutboxEntry; response: Response }) => ConflictResolution | Promise<ConflictResolution>;
	/**
	 * Queuing a PUT or DELETE removes the pending PUT, PATCH and DELETE entries of the same URL and
	 * identity (`outbox:superseded` for each). Never a POST, never an entry in flight: it supersedes
	 * under the drain's lock (no drain runs in any tab or client of this name), waited for at most
	 * `storageTimeoutMs` (else it keeps them all); while this client's own drain has the lock, and
	 * in workerd (no locks), only what that drain has not claimed. A superseding write without a
	 * precondition of its own inherits the oldest superseded
	 * entry's that has one: it was made on that version, so a change by someone else since still
	 * meets a conflict (an entry whose precondition's placeholders would make it wait for more than 10 000 entries is not
	 * superseded: it is sent first). URLs that differ only in percent-encodings of unreserved characters or in hex
	 * case (`/todos/%7E`, `/todos/~`) are the same URL (RFC 3986 6.2.2); the latest write's is sent.
	 * @default false
	 */
	coalesce?: boolean;
	/**
	 * The version of the app's writes, recorded in each entry; `migrate` brings older entries up to it.
	 * Entries of a newer version (a tab not yet updated) are left alone until `retentionMs`, and hold
	 * none of this client's writes. A stored version that is not a positive integer makes the record
	 * malformed: `storage:error` and a dead letter (`rejected`) that keeps it.
	 * @default 1
	 */
	version?: number;
	/**
	 * Runs once before the next replay of an entry of an older `version`: the entry it returns
	 * (`url`, `headers`, `body`, `preconditions` may change; other fields are kept) replaces it;
	 * `null` drops it (`outbox:discarded`). Its `headers` replace the stored ones as a rebased write's
	 * do (`onConflict`): names in any case, the last given for a name winning; a sensitive header
	 * (Authorization, Cookie, Proxy-Authorization, Set-Cookie, Set-Cookie2, `sensitiveHeaders`), `Idempotency-Key` and
	 * `Content-Length` are never stored; `If-Match`, `If-None-Match` and `If-Unmodified-Since` become
	 * its `preconditions` (over those of `preconditions`). A throw, an answer that takes longer than
	 * 10 000 ms (the drain waits for it in every tab), `undefined` (a forgotten `return`)
	 * or an invalid entry is the app's error, never a reason to lose the write: a dead letter
	 * (`migrate`, the stored entry unchanged) whose `lastError.code` is `INVALID_REQUEST`, with the
	 * error's message. Invalid: what a stored record may not be (headers or preconditions not strings,
	 * a body not an `ArrayBuffer`…), a URL that does not parse, is of another scope or carries a
	 * sensitive query parameter, a body larger than any the outbox stores (`maxBodyBytes` +
	 * `maxFileBytes`: the bytes do not say which were text and which files). Needs `version` above 1.
	 * @default undefined (entries of older versions replay unchanged)
	 */
	migrate?: (entry: StoredEntry, fromVersion: number) => StoredEntry | null | Promise<StoredEntry | null>;
	/**
	 * Longest wait, in ms, before a drain that starts because a scope came back — the `online` event,
	 * the page becoming visible, the client's start in a page (a reload), a breaker's probe that got
	 * through (`breaker:closed`), a good answer to one of the app's calls (not a service worker's `202`
	 * for a write it queued) — drawn at random (the
	 * client's `random`) from 0 to this: a fleet of clients that recovers at once does not replay on
	 * the same second. `flush()` and an entry's own timer drain at once. A non-negative finite number,
	 * else a `RangeError`.
	 * @default 0 where there is no `document` (workers, servers, Workers); 2_000 in a page
	 */
	resumeJitterMs?: number;
}

/** Outbox options with every default filled in. */
export interface ResolvedOutboxOptions extends Required<Omit<OutboxOptions, 'methods' | 'sensitiveHeaders' | 'onConflict' | 'migrate'>>, Pick<OutboxOptions, 'onConflict' | 'migrate'> {
	methods: ReadonlySet<string>;
	/** Lower-case names of the headers never stored (beside the client's). */
	sensitiveHeaders: ReadonlySet<string>;
}

/** The methods of a read (RFC 9110's safe methods, and ky's `query()`): nothing to deliver later, never queued. */
export const reads = /^(?:GET|HEAD|OPTIONS|TRACE|QUERY)$/i;

const rules: Array<[string, (value: unknown) => boolean, string]> = [
	// Tokens, as fetch takes a method: one with a space or none at all (`'POST '`, `''`) would match no call, silently.
	['methods', (value) => Array.isArray(value) && value.every((method) => isToken(method) && !reads.test(method)), 'an array of method names of writes (no GET, HEAD, OPTIONS, TRACE or QUERY)'],
	['maxEntries maxAttempts version', isPositiveInteger, 'a positive integer'],
	['maxBodyBytes maxFileBytes', isNonNegativeInteger, 'a non-negative integer'],
	['retentionMs', isPositiveFinite, 'a positive finite number of ms'],
	['maxBackoffMs baseBackoffMs maxNetworkBackoffMs resumeJitterMs', isTimerMs, timerMs],
	['queuedResponse', (value) => value === 'error' || value === 'accepted', "'error' or 'accepted'"],
	['networkTimeoutMs', (value) => value === false || isPositiveTimerMs(value), positiveTimerMsOrFalse],
	['conditional coalesce', (value) => typeof value === 'boolean', 'a boolean'],
	['onConflict migrate', (value) => value === undefined || typeof value === 'function', 'a function'],
];

/** Fill in the defaults and reject bad values with a `RangeError` naming the option and the value. */
export const resolveOutboxOptions = (options: OutboxOptions): ResolvedOutboxOptions => {
	const page = typeof (globalThis as { document?: unknown }).document !== 'undefined';
	const resolved: Record<string, unknown> = {
		methods: ['POST', 'PUT', 'PATCH', 'DELETE'], maxEntries: 1000, maxBodyBytes: 1_048_576, maxFileBytes: 26_214_400, retentionMs: 604_800_000, maxAttempts: 20,
		maxBackoffMs: 300_000, baseBackoffMs: 1000, networkTimeoutMs: false, queuedResponse: 'error', sensitiveHeaders: [], conditional: false, coalesce: false, version: 1,
		resumeJitterMs: page ? 2000 : 0,
		// An option given as `undefined` is not given: its default applies.
		...given(options ?? {}),
	};
	// Undefined is the default (Option values; `null` is refused below); elsewhere than a page the default is `maxBackoffMs` itself.
	if (resolved['maxNetworkBackoffMs'] === undefined) {
		resolved['maxNetworkBackoffMs'] = page ? 30_000 : resolved['maxBackoffMs'];
	}
	for (const [names, ok, expected] of rules) {
		for (const name of names.split(' ')) {
			check(ok(resolved[name]), `outbox.${name}`, resolved[name], expected);
		}
	}

	resolved['maxNetworkBackoffMs'] = Math.min(resolved['maxNetworkBackoffMs'] as number, resolved['maxBackoffMs'] as number);
	check(!resolved['migrate'] || (resolved['version'] as number) > 1, 'outbox.migrate', resolved['migrate'], 'given with a `version` above 1');
	return {
		...resolved,
		methods: new Set((resolved['methods'] as string[]).map((method) => method.toUpperCase())),
		// Set-Cookie2 too, as much a cookie as Set-Cookie (a credential header): a server runtime's fetch sends it.
		sensitiveHeaders: new Set([...sensitiveSet('outbox.sensitiveHeaders', resolved['sensitiveHeaders']), 'set-cookie2']),
	} as unknown as ResolvedOutboxOptions;
};
