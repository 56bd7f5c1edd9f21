import { storedHeaders } from '../shared/stored-headers.js';
import type { OutboxEntry } from './types.js';

/**
 * One stored mutation, as it lives in the store: a versioned plain object, structured-clonable,
 * with the body as bytes. Never holds a sensitive header (see `storedRequestHeaders`).
 */
export interface OutboxRecord extends OutboxEntry {
	v: 1;
	/** The breaker scope of `url` (the origin by default): the FIFO lane of the entry. */
	scope: string;
	/** The body bytes, if the request had a body. `headers['content-type']` describes them. */
	body?: ArrayBuffer;
	/** Set by `outbox.retry(id)`: retention counts from here instead of `createdAt`. */
	retainFrom?: number;
	/** For a record that could not be read: the raw stored value, kept so nothing is lost. */
	raw?: unknown;
	/** The digest of the identity the entry was queued under (replayed only under it), if any. */
	identity?: string;
}

export type RecordState = 'p' | 'd';

/**
 * Store keys: `<p|d>|<createdAt>|<seq>|<id>|<scope>`. Pending (`p`) and dead (`d`) entries, sorted by
 * creation time then a per-client counter, so the keys alone give FIFO order, the count and the
 * scope of every entry without reading a record.
 */
export interface RecordKey {
	key: string;
	state: RecordState;
	id: string;
	scope: string;
	createdAt: number;
}

const pad = (value: number, length: number): string => String(value).padStart(length, '0');

export const makeKey = (state: RecordState, createdAt: number, seq: number, id: string, scope: string): string =>
	`${state}|${pad(Math.max(0, Math.floor(createdAt)), 15)}|${pad(seq % 1e6, 6)}|${id}|${encodeURIComponent(scope)}`;

/** Parse a store key; `undefined` for keys that are not ours. */
export const parseKey = (key: string): RecordKey | undefined => {
	const parts = key.split('|');
	if (parts.length !== 5 || (parts[0] !== 'p' && parts[0] !== 'd')) {
		return undefined;
	}

	let scope: string;
	try {
		scope = decodeURIComponent(parts[4]!);
	} catch {
		return undefined;
	}

	return { key, state: parts[0], id: parts[3]!, scope, createdAt: Number(parts[1]) };
};

/** The same entry under the other state. */
export const withState = (key: string, state: RecordState): string => state + key.slice(1);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** Whether a stored value is a readable v1 record. */
export const isRecord = (value: unknown): value is OutboxRecord => {
	if (!isObject(value) || value['v'] !== 1) {
		return false;
	}

	const { id, method, url, headers, idempotencyKey, createdAt, attempts, nextAttemptAt, scope, body } = value;
	return typeof id === 'string' && typeof method === 'string' && typeof url === 'string' && typeof scope === 'string'
		&& typeof idempotencyKey === 'string' && idempotencyKey !== ''
		&& isObject(headers) && Object.values(headers).every((header) => typeof header === 'string')
		&& [createdAt, attempts, nextAttemptAt].every((number) => typeof number === 'number' && Number.isFinite(number))
		&& (body === undefined || body instanceof ArrayBuffer)
		&& (value['identity'] === undefined || (typeof value['identity'] === 'string' && value['identity'].length <= 128));
};

/** The public view of a record: no body, no internals. */
export const toEntry = (record: OutboxRecord): OutboxEntry => {
	const { id, method, url, headers, idempotencyKey, createdAt, attempts, nextAttemptAt, lastError, deadReason, identity } = record;
	return {
		id, method, url, headers: { ...headers }, idempotencyKey, createdAt, attempts, nextAttemptAt,
		...(identity === undefined ? {} : { identity }),
		...(lastError ? { lastError: { ...lastError } } : {}),
		...(deadReason ? { deadReason } : {}),
	};
};

/**
 * The request headers an entry keeps: without the sensitive ones (added again at replay by the
 * client's default headers and `beforeRequest` hooks), `Idempotency-Key` (stored as the entry's key)
 * and `Content-Length`. `drop` is `dropSet(sensitive)`.
 */
export const storedRequestHeaders = (headers: Headers, drop: ReadonlySet<string>): Record<string, string> =>
	Object.fromEntries(storedHeaders(headers, drop));

/** What `storedRequestHeaders` leaves out, given the sensitive header names. */
export const dropSet = (sensitive: Iterable<string>): ReadonlySet<string> => new Set([...sensitive, 'idempotency-key', 'content-length']);

/** A dead record standing in for a stored value that could not be read. */
export const unreadableRecord = (parsed: RecordKey, raw: unknown, now: number, message: string): OutboxRecord => ({
	v: 1,
	id: parsed.id,
	method: '',
	url: '',
	headers: {},
	idempotencyKey: parsed.id,
	createdAt: parsed.createdAt,
	attempts: 0,
	nextAttemptAt: now,
	scope: parsed.scope,
	lastError: { code: 'UNREADABLE', message },
	deadReason: 'rejected',
	raw,
});
