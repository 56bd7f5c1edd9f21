/** What the app's answers make of an entry: `onConflict`'s rebased write, `migrate`'s entry. */
import type { PolicyContext } from '../core/policy.js';
import { headersOf, storedHeaders } from './headers.js';
import type { ResolvedOutboxOptions } from './options.js';
import { headersFit, isHeaders, isRecord, type OutboxRecord } from './record.js';
import { snapshotBody } from './snapshot.js';
import { overQuota } from './quota.js';
import { storageMs } from '../core/part-store.js';
import { secretUrl } from './target.js';
import type { StoredEntry } from './types.js';
import { randomUuid } from '../utils/runtime.js';
import { withoutFragment } from '../utils/sensitive.js';

interface Owner {
	context: PolicyContext;
	options: ResolvedOutboxOptions;
}

/**
 * Whether `onConflict`'s answer is a rebased write: a plain object of `json`, `body` and `headers`
 * only, one at least given (not `undefined`, nor a `body` or `headers` of `null`: `json: null` is JSON's `null`), its body
 * no `ReadableStream` (the outbox cannot store one). An array, a Response, a Date, a class instance, `{}` (or
 * `{ json: undefined }`, `{ body: null }`, a merge that made nothing) or a misspelt key is
 * no rebase (it would replay the stored write without its precondition): a dead letter.
 */
const isRebase = (value: unknown): value is { json?: unknown; body?: unknown; headers?: Record<string, string> } => {
	const given = Object.entries(Object(value) as Record<string, unknown>);
	return [Object.prototype, null].includes(Object.getPrototypeOf(Object(value))) && given.some(([key, each]) => each !== undefined && (each !== null || key === 'json')) && given.every(([key]) => /^(json|body|headers)$/.test(key)) && !((value as { body?: unknown }).body instanceof ReadableStream);
};

/** A media type's kind: its essence (`text/plain`), JSON for any `…/json` or `…+json` (`application/vnd.api+json`). */
const kindOf = (type: string): string => {
	const essence = type.split(';')[0]!.trim().toLowerCase();
	return /[/+]json$/.test(essence) ? 'json' : essence;
};

/**
 * The record of a rebased write in the entry's place (`onConflict`'s answer), replayed now: same
 * method, URL and attempts (a resolver loop ends at `maxAttempts`), a new Idempotency-Key, the given
 * headers replacing the stored ones and giving its preconditions. Its Content-Type describes what it
 * sends: a FormData's own (its boundary), else the one given — but the stored one given back over a new body of another kind
 * (`kindOf`) is the new body's own —, else a new body's own (or none), else the stored body's. `undefined` for an
 * answer that is no rebase (or headers past `headersFit`); rejects for headers fetch refuses or a body over its bound (`maxBodyBytes`
 * for text and JSON, `maxFileBytes` for binary bytes, as `snapshotBody` bounds a write's).
 */
export const rebased = async ({ context, options }: Owner, record: OutboxRecord, given: unknown, now: number): Promise<OutboxRecord | undefined> => {
	if (!isRebase(given)) {
		return undefined;
	}

	const { body, type } = await snapshotBody(undefined, given, options, context.options.stringifyJson);
	const { preconditions, keyed, ...rest } = record; // Its preconditions are the ones it gives; its new key the outbox's.
	const { 'content-type': stored, ...others } = rest.headers;
	const next = body ?? rest.body;
	const headers = headersOf(given.headers ?? others);
	// A FormData's bytes hold the boundary they were made with: its type wins, as at a call (enqueue.ts), over one given (`entry.headers`, the old body's boundary).
	// The stored type handed back as it is (`entry.headers`) described the old body: a new body of another kind (`kindOf`) gets its own.
	const own = headers.get('content-type');
	if (given.body instanceof FormData || (type && own === stored && kindOf(own) !== kindOf(type))) {
		headers.delete('content-type');
	}
	const made = { ...rest, ...storedHeaders({ context, options }, headers, body ? type : stored), ...body && { body }, bodyBytes: next?.byteLength ?? 0, idempotencyKey: randomUuid(), nextAttemptAt: now };
	// A header naming a sensitive query value (never stored, API.md "Sensitive data"), or headers past what a record holds
	// (`headersFit`: read back, it would be malformed): no rebase, a dead letter.
	if (secretUrl(context, '', Object.values(made.headers)) || !headersFit(made)) {
		return undefined;
	}

	await fits({ context, options }, record, made);
	return made;
};

/**
 * Rejects when `next`, stored in `record`'s place (a rebase, `migrate`'s entry), would leave less than 10 % of the
 * storage quota free (`overQuota`, by the bytes it adds): the outbox never stores such a write (API.md "Files").
 */
export const fits = async ({ context }: Owner, record: OutboxRecord, next: OutboxRecord): Promise<void> => {
	if (await overQuota((next.body?.byteLength ?? 0) - (record.body?.byteLength ?? 0), storageMs(context))) {
		throw new RangeError('Storing it would leave less than 10 % of the storage quota free: not stored');
	}
};

/**
 * The record `migrate`'s entry makes of `record` (`url`, `headers`, `body` and `preconditions` may
 * change; the rest is kept): its headers replace the stored ones as a rebase's do — no sensitive one,
 * names in any case (the last given wins), preconditions apart (one given in `headers` wins). Throws a
 * TypeError for what is no valid entry (OutboxOptions.migrate): a field a stored record may not have,
 * a URL of another scope than the entry's URL (both as the client's scope configuration gives them now: one changed since
 * the entry was stored keeps it) or with a sensitive parameter, a body larger than any the outbox stores
 * (`maxBodyBytes` + `maxFileBytes`: its bytes do not say which were text and which files), `undefined`.
 */
export const migrated = (owner: Owner, record: OutboxRecord, entry: unknown): OutboxRecord => {
	const { url, headers, body, preconditions } = Object(entry) as StoredEntry;
	const href = withoutFragment(new URL(url).href); // As a queued URL: no fragment (fetch sends none; reads count their URL without one).
	const { preconditions: stored, ...rest } = record; // Its preconditions are the ones it gives.
	const { context, options } = owner;
	const next = { ...rest, url: href, ...storedHeaders(owner, headersOf(preconditions, headers)), body, bodyBytes: body instanceof ArrayBuffer ? body.byteLength : 0, version: options.version };
	if (!isRecord(next) || !isHeaders(headers) || !isHeaders(preconditions ?? {}) || context.scopeOf(href) !== context.scopeOf(record.url) || secretUrl(context, href, Object.values(next.headers)) || next.bodyBytes > options.maxBodyBytes + options.maxFileBytes) {
		throw new TypeError('migrate() returned no valid entry');
	}

	return next;
};
