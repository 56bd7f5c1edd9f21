import type { Ref } from './refs.js';
import type { OutboxEntry, StoredEntry } from './types.js';
import { credentialHeaders } from '../utils/sensitive.js';
import { isNonNegativeInteger, isObject, isPositiveInteger } from '../utils/validate.js';

/**
 * One stored mutation, as it lives in the store: a versioned plain object (`v: 1`), structured-clonable,
 * with the body as bytes. Never contains a sensitive header. Records written before `version` existed
 * have none: they are of version 1.
 */
export interface OutboxRecord extends Omit<StoredEntry, 'version' | 'bodyBytes'> {
	v: 1;
	version?: number;
	/** The body's length as sent (0 without one); absent in records stored before it existed. */
	bodyBytes?: number;
	/** The scope of `url` (the origin by default): the FIFO lane of the entry. */
	scope: string;
	/** Set by `outbox.retry(id)`: retention counts from here instead of `createdAt`. */
	retainFrom?: number;
	/**
	 * How often the entry moved between pending and dead (`bury`, `retry(id)`): of its two keys in the store at once (a move
	 * whose old key the store did not delete), the record moved more often is the entry; on a tie (records of older builds), the dead letter.
	 */
	moved?: number;
	/**
	 * The keys of the pending entries this one superseded (`coalesce`), with those they had (the newest `maxReplaces`):
	 * the store may still hold one (a delete it failed or has not taken yet). Such an entry is never replayed (a pass
	 * removes it, `outbox:superseded`), and this one leaves the store only after them.
	 */
	replaces?: string[];
	/** `nextAttemptAt` is the server's `Retry-After`: a drain that makes entries due now still waits for it (up to `retentionMs` ahead). A boolean. */
	pinned?: boolean;
	/**
	 * For a record that could not be read: the raw stored value, kept so nothing is lost but what the outbox never stores and
	 * what no record holds (`withoutSecrets`: no field of more than 256 fields or 1 MiB of JSON, at most 256 fields and 4 MiB in all; its bytes whole).
	 */
	raw?: unknown;
	/**
	 * Set while the call that queued it at its deadline (`networkTimeoutMs`) still has its attempt in
	 * flight: no replay starts before this (epoch ms), in any tab (see `Queue.leaseOf`).
	 */
	inFlightUntil?: number;
	/** What each placeholder (`outbox.ref()`) in its URL, headers or body stands for. */
	refs?: Record<string, Ref>;
	/** Its body is the bytes of a `Blob`, `File`, `ArrayBuffer` or typed array: never read for placeholders, replayed byte-identical. */
	bytes?: true;
	/** Its body is the call's `json`, whatever Content-Type it is sent with: its placeholders take JSON values (`substitute`). */
	json?: true;
	/** The pointers dependents asked of its answer (`outbox.ref()`): their values are kept when it is delivered. */
	pointers?: string[];
	/** The entries queued with its placeholders, as an older build recorded them (now `linkKey`s, `Queue.linked`): its kept values stay while one of them is stored. */
	dependents?: string[];
	/**
	 * The client's default headers (lower-case names) its first attempt went without (the call gave them as
	 * `undefined`): a replay, which the client's defaults reach again, sends them as `undefined` too.
	 */
	without?: string[];
	/**
	 * The call's own fetch options (`credentials`, `mode`, `redirect`, `referrerPolicy`, `priority`, `cache`: `initNames`)
	 * and `auth: false` (its first attempt carried no token from `auth()`): every replay is sent with them.
	 */
	init?: Record<string, string>;
	auth?: false;
	/**
	 * The request id of the call that queued it (the trace slot's: `PolicyHooks.requestIdOf`), which its replays continue —
	 * also to an origin the id's header is not sent to (its stored headers carry it to the others); none when that header is
	 * one the outbox never stores (`sensitiveHeaders`).
	 */
	requestId?: string;
	/** Its `Idempotency-Key` is the caller's (`callerKeyed`), not one the outbox made: `failover({ replays: true })` may send its replays to a mirror. */
	keyed?: true;
}

/**
 * Told an entry's outcome in a pass (`flush()`'s counts: each entry once, its last outcome); none when it was discarded
 * (`onConflict`'s `'discard'`, `migrate`'s `null`).
 */
export type Tally = (id: string, outcome?: 'sent' | 'failed' | 'dead') => void;

/** The fetch options of a call an entry keeps (`OutboxRecord.init`). */
export const initNames = ['credentials', 'mode', 'redirect', 'referrerPolicy', 'priority', 'cache'];

/**
 * A record's store key, `<p|d>|<createdAt>|<seq>|<id>|<scope>`: pending (`p`) or dead (`d`), then
 * creation time and a sequence number, so the keys alone give FIFO order, the count and the scope of
 * every entry without reading a record.
 */
export interface RecordKey {
	key: string;
	/** Whether its entry is a dead letter: not the kind of its prefix for a move's old key the store still holds (`stale`). */
	dead: boolean;
	id: string;
	scope: string;
}

/** A move's old key the store still holds beside the entry's key (`Queue.list`): never read as the entry, removed with it. */
export const stale = ({ key, dead }: RecordKey): boolean => dead !== (key[0] === 'd');

export const makeKey = (state: 'p' | 'd', createdAt: number, seq: number, id: string, scope: string): string =>
	`${state}|${String(Math.max(0, Math.floor(createdAt))).padStart(15, '0')}|${String(seq % 1e6).padStart(6, '0')}|${id}|${encodeURIComponent(scope)}`;

/** Parse a store key; `undefined` for keys that are not the outbox's. */
export const parseKey = (key: string): RecordKey | undefined => {
	const [state, , , id, scope, more] = key.split('|');
	try {
		return (state === 'p' || state === 'd') && scope !== undefined && more === undefined ? { key, dead: state === 'd', id: id!, scope: decodeURIComponent(scope) } : undefined;
	} catch {
		return undefined;
	}
};

/** Most keys a record names in `replaces` (a record of the store naming more is malformed). */
export const maxReplaces = 32;

/**
 * Most names a record lists in `dependsOn`, `pointers`, `dependents` or `without` (a record of the store listing more is
 * malformed: each is read per pass, an entry per id): ten times the default `maxEntries`. The write path never makes more:
 * a write waits for at most this many entries, and an entry records at most this many pointers asked of it (its dependents are
 * link keys, each its own key: `Queue.linked` reads every one; an older build's `dependents` list is read to this bound).
 */
export const maxListed = 10_000;

/** The fields of a record this build knows (`OutboxRecord`): any other is a later build's or a corrupt write's (`Queue.read` bounds them). A literal: an entry without the outbox does not carry it. */
export const recordFields: readonly string[] = ['v', 'id', 'method', 'url', 'headers', 'idempotencyKey', 'keyed', 'createdAt', 'attempts', 'nextAttemptAt', 'lastError', 'deadReason', 'dependsOn', 'version', 'preconditions', 'identity', 'bodyBytes', 'inFlightUntil', 'body', 'scope', 'retainFrom', 'moved', 'replaces', 'pinned', 'raw', 'refs', 'bytes', 'json', 'pointers', 'dependents', 'without', 'init', 'auth', 'requestId'];

/**
 * Methods whose write replaces the resource: a queued PUT or DELETE supersedes them (`coalesce`), they carry a captured validator (`conditional`).
 * In any case, as the outbox's `methods` are matched: `'Patch'` (which fetch sends as it is, unlike `'Put'`) is a PATCH.
 */
export const overwritten = /^(PUT|PATCH|DELETE)$/i;

/** The preconditions an entry may carry (lower-case names). */
export const preconditionNames: ReadonlySet<string> = new Set(['if-match', 'if-unmodified-since', 'if-none-match']);

/**
 * Whether a record's headers and preconditions are within what the outbox stores: at most 256 fields (the stale cache's
 * bound for a stored answer's head) and at most 1,048,576 characters of their names and values (1 MiB, the default
 * `maxBodyBytes`: room for a call's `maxListed` placeholders of `outbox.ref()`, which a header keeps unreplaced until its
 * replay). The write path never stores more (`OutboxFullError` `'size'`, a rebase none); a record of the store holding more
 * is malformed (distrust of storage: each listing and replay of it would carry them). Its fields' types are checked first (`isHeaders`).
 */
export const headersFit = ({ headers, preconditions }: Pick<OutboxRecord, 'headers' | 'preconditions'>): boolean => {
	const all = [...Object.entries(headers), ...Object.entries(preconditions ?? {})];
	return all.length <= 256 && all.reduce((size, [name, value]) => size + name.length + value.length, 0) <= 1_048_576;
};

/** A header set as stored: an object of strings; for `preconditions`, only those names, with a value a header may hold — visible ASCII, spaces, tabs and the obs-text bytes an ETag may carry (0x80–0xFF, RFC 9110 §8.8.3) — no control character, not empty. */
export const isHeaders = (value: unknown, preconditions?: boolean): boolean => isObject(value)
	&& Object.entries(value).every(([name, item]) => typeof item === 'string' && (!preconditions || (preconditionNames.has(name) && /^[\t\x20-\x7e\x80-\xff]+$/.test(item))));

/**
 * A text of `lastError` (its `code` and `message`) as the outbox stores and shows it: at most 1,024 characters (distrust of
 * storage and of servers: a status line or an error's text of megabytes), cut before a lone surrogate, ending in `…`.
 */
export const bounded = (text: string): string => text.length > 1_024 ? `${text.slice(0, 1_023).replace(/[\ud800-\udbff]$/, '')}…` : text;

/** A stored `lastError` as `list()` shows it: a code and a message (strings), an integer status if any; or none. */
const isLastError = (value: unknown): boolean => {
	const { code, message, status } = (value ?? {}) as Record<string, unknown>;
	return value === undefined || (isObject(value) && typeof code === 'string' && typeof message === 'string' && (status === undefined || Number.isInteger(status)));
};

/**
 * Whether a stored value is a readable record (distrust what storage hands back): besides its
 * fields' types, headers without a credential (the outbox never stores one, so a replay never sends
 * one from storage), an absolute http or https `url` (never one a replay would resolve against the
 * client's `baseUrl`, nor of another scheme, nor one with userinfo, which `list()` would show; one that does not parse is refused by its replay:
 * `'rejected'`), times that are finite numbers (a `retainFrom` that is not would keep it past
 * retention, and its drain's timer spinning), `attempts` a count (a negative one would replay it
 * past `maxAttempts`), an `idempotencyKey` the client takes as the option (1–255 printable ASCII characters: none
 * that breaks its header, nor one whose error message costs seconds to scrub), lists of at most `maxListed` names (`maxReplaces` in `replaces`; placeholders in `refs` too), a `lastError` of the shape `list()` shows, a `deadReason` it names, a `version` that is a positive integer, a boolean `pinned` (any truthy value held it as a Retry-After),
 * headers and preconditions that are no list and within `headersFit`, preconditions of the three names only, and a method, headers and fetch options fetch takes (`sendable`).
 */
export const isRecord = (value: unknown): value is OutboxRecord => {
	const record = value as OutboxRecord | undefined;
	const version = record?.version ?? 1;
	return record?.v === 1 && [record.id, record.method, record.url, record.scope, record.idempotencyKey].every((text) => typeof text === 'string')
		// The dead letter kept for an unreadable record has no method and no URL: it can never be sent (`retry(id)` refuses it); a
		// pending record without a method is none (one an older `retry(id)` moved back): it is unreadable.
		&& (record.method ? /^https?:\/\//i.test(record.url) : record.deadReason !== undefined)
		// No userinfo (fetch refuses a request of such a URL, so the outbox never stores one): `list()` would show its password.
		&& !/^https?:\/\/[^/?#]*@/i.test(record.url)
		&& /^[\x20-\x7e]{1,255}$/.test(record.idempotencyKey) && isHeaders(record.headers) && isHeaders(record.preconditions ?? {}, true)
		// Objects, never lists (`list()` would show one as the entry's headers).
		&& ![record.headers, record.preconditions].some(Array.isArray) && headersFit(record)
		// The outbox never stores a credential (`Authorization`, `Cookie`…): a record holding one was not its own.
		&& Object.keys(record.headers).every((name) => !credentialHeaders.includes(name.toLowerCase()))
		&& [record.createdAt, record.nextAttemptAt, record.retainFrom ?? 0].every(Number.isFinite) && isNonNegativeInteger(record.attempts) && isNonNegativeInteger(record.moved ?? 0) && isLastError(record.lastError) && /^(rejected|expired|max-attempts|conflict|migrate|parent)$/.test(record.deadReason ?? 'parent') && isPositiveInteger(version)
		&& (record.body === undefined || record.body instanceof ArrayBuffer)
		// A stored length that disagrees with the bytes read back (a truncated or swapped body) makes the record malformed.
		&& (record.bodyBytes === undefined || record.bodyBytes === (record.body?.byteLength ?? 0))
		&& (record.refs === undefined || (typeof record.refs === 'object' && record.refs !== null && Object.values(record.refs).every((ref, index) => index < maxListed && typeof ref?.entry === 'string' && typeof ref.pointer === 'string')))
		&& (record.replaces?.length ?? 0) <= maxReplaces
		&& [record.dependsOn, record.pointers, record.dependents, record.without, record.replaces].every((list) => list === undefined || (Array.isArray(list) && list.length <= maxListed && list.every((item) => typeof item === 'string'))) && [record.identity, record.requestId].every((text) => text === undefined || typeof text === 'string')
		&& isHeaders(record.init ?? {}) && Object.keys(record.init ?? {}).every((name) => initNames.includes(name)) && (record.auth ?? false) === false && (record.bytes ?? true) === true && (record.json ?? true) === true && (record.keyed ?? true) === true && typeof (record.pinned ?? false) === 'boolean'
		&& (!record.method || sendable(record));
};

/**
 * Whether fetch takes a record's method, headers and fetch options (`init`) as its replay gives them: a Request is made of
 * them, here, with an empty body for one that has a body. What this runtime refuses (a method that is no token or
 * forbidden, a header name or value it refuses (the request id's included), `mode: 'navigate'`, `redirect: 'nope'`, `cache: 'only-if-cached'` without
 * `mode: 'same-origin'`, a body on a GET) makes the record malformed instead of failing each replay.
 */
const sendable = ({ method, headers, init, body, requestId }: OutboxRecord): boolean => {
	try {
		// Its request id too, a header value where the trace slot sends it (`x-request-id` stands for its header's name).
		return !!new Request('http://localhost/', { ...init, method, headers: requestId === undefined ? headers : { ...headers, 'x-request-id': requestId }, body: body && new Uint8Array(0) } as RequestInit);
	} catch {
		return false;
	}
};

/**
 * Whether a stored record is a later build's (its format `v` an integer above 1, the one this build writes): this build
 * cannot read it and leaves it alone for a tab of that build (a rolling upgrade), as it leaves a newer app `version`'s.
 */
export const isLater = (value: unknown): boolean => {
	const format = (value as { v?: unknown } | null | undefined)?.v;
	return typeof format === 'number' && Number.isInteger(format) && format > 1;
};

/**
 * What the outbox shows of a record it cannot read (damaged, no record, holding what it never stores): nothing of
 * it — no method, no URL, `lastError` "Unreadable" — as `list()` lists it while pending and as its dead letter.
 */
export const unreadable = (id: string, scope: string, createdAt: number, now: number): OutboxRecord =>
	({ v: 1, id, method: '', url: '', headers: {}, idempotencyKey: id, createdAt, attempts: 0, nextAttemptAt: now, scope, lastError: { code: 'INVALID_REQUEST', message: 'Unreadable' } });

/** The fields of a record `toEntry` shows as they are stored (`lastError` is shown by its three). */
const shown = ['id', 'method', 'url', 'headers', 'idempotencyKey', 'createdAt', 'attempts', 'nextAttemptAt', 'deadReason', 'preconditions', 'identity', 'dependsOn'] as const;

/**
 * The public view of a record: an `OutboxEntry`'s fields only — no body, no internals, nothing else a stored record
 * holds (bytes, a long text: distrust of storage) — nothing shared with it. `lease`: the end of its first attempt's
 * lease as the reader honours it (`Queue.leaseOf`), shown as `inFlightUntil` (`list()`).
 */
export const toEntry = (record: OutboxRecord, lease?: number): OutboxEntry => {
	const entry: Record<string, unknown> = {};
	for (const name of shown) {
		if (record[name] !== undefined) {
			entry[name] = record[name];
		}
	}

	const { code, message, status } = record.lastError ?? {};
	return { ...structuredClone(entry) as Omit<OutboxEntry, 'version' | 'bodyBytes'>, ...code !== undefined && { lastError: { code, message: message!, ...status !== undefined && { status } } }, version: record.version ?? 1, bodyBytes: record.body?.byteLength ?? 0, ...lease && { inFlightUntil: lease } };
};
