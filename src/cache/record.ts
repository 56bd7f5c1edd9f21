import { storedHeaders } from '../shared/stored-headers.js';
export { readCapped } from '../shared/read-capped.js';
import type { Timing } from './policy.js';

/** What the in-memory index keeps of a stored response (and the persisted index stores). */
export interface CacheMeta extends Timing {
	/** The full key (see key.ts). */
	key: string;
	/** The partition + URL part of the key: the variants of one resource share it. */
	primary: string;
	/** The request URL, sensitive query values removed. */
	url: string;
	/** The digest of the identity the copy was stored for, if any (for `clear({ identity })`). */
	who?: string | undefined;
	/** The response status (absent in records of earlier versions). */
	status?: number | undefined;
	/** When it was stored (epoch ms, injected clock). */
	storedAt: number;
	/** Body size. */
	bytes: number;
	/** Request headers named by the response's `Vary`, lower-case. */
	vary: string[];
	/** The signature a GET copy was stored with (write coalescing, see capture.ts); dropped when loaded from storage. */
	sig?: string | undefined;
}

/** A stored response: a plain, versioned, structured-clonable object. */
export interface CacheRecord extends CacheMeta {
	v: 1;
	status: number;
	statusText: string;
	/** Response headers, without `Set-Cookie` and without the encoding of the (decoded) body. */
	headers: [string, string][];
	body: ArrayBuffer;
}

/** The persisted index: the metadata of every record, least recently used first. */
export interface CacheIndexRecord {
	v: 1;
	entries: CacheMeta[];
}

/** Store key of a record; the index is under `index`. */
export const recordKey = (key: string): string => `r:${key}`;
export const indexKey = 'index';

/** Response headers never stored: cookies, and what no longer describes the decoded body. */
const dropped = new Set(['set-cookie', 'set-cookie2', 'content-encoding', 'content-length', 'transfer-encoding', 'age', 'cache-status']);

/** The response headers a stored copy keeps. */
export const storedResponseHeaders = (headers: Headers): [string, string][] => storedHeaders(headers, dropped);

const isArrayBuffer = (value: unknown): value is ArrayBuffer => Object.prototype.toString.call(value) === '[object ArrayBuffer]';
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** The metadata part of a stored value, or undefined if it is not a valid v1 entry. */
export const parseMeta = (value: unknown): CacheMeta | undefined => {
	const meta = value as Partial<CacheMeta> | undefined;
	if (typeof meta !== 'object' || meta === null || typeof meta.key !== 'string' || typeof meta.primary !== 'string'
		|| typeof meta.url !== 'string' || !Array.isArray(meta.vary) || ![meta.storedAt, meta.bytes, meta.lifetime, meta.initialAge, meta.until, meta.swrUntil].every(isNumber)) {
		return undefined;
	}

	const { key, primary, url, storedAt, bytes, vary, lifetime, initialAge, until, swrUntil, who } = meta as CacheMeta;
	const { status } = meta;
	return {
		key, primary, url, storedAt, bytes, vary, lifetime, initialAge, until, swrUntil,
		...(typeof who === 'string' && who.length <= 128 ? { who } : {}),
		...(Number.isInteger(status) && status! >= 200 && status! <= 299 ? { status } : {}),
	};
};

/** A stored record, or undefined if it is corrupt or of another version. */
export const parseRecord = (value: unknown): CacheRecord | undefined => {
	const record = value as Partial<CacheRecord> | undefined;
	const meta = parseMeta(value);
	if (!meta || record?.v !== 1 || !isNumber(record.status) || typeof record.statusText !== 'string'
		|| !Array.isArray(record.headers) || !isArrayBuffer(record.body)) {
		return undefined;
	}

	return { ...meta, v: 1, status: record.status, statusText: record.statusText, headers: record.headers, body: record.body };
};

/** The entries of a persisted index, or undefined if it is not a valid v1 index. */
export const parseIndex = (value: unknown): CacheMeta[] | undefined => {
	const index = value as Partial<CacheIndexRecord> | undefined;
	if (index?.v !== 1 || !Array.isArray(index.entries)) {
		return undefined;
	}

	return index.entries.map(parseMeta).filter((meta): meta is CacheMeta => meta !== undefined);
};

