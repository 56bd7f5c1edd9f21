import type { PolicyContext } from '../core/policy.js';
import { sensitiveOf } from '../core/sensitive-of.js';
import type { ResolvedOutboxOptions } from './options.js';
import { preconditionNames, type OutboxRecord } from './record.js';
import { secretUrl } from './target.js';
import { redactText } from '../utils/sensitive.js';
import { isObject } from '../utils/validate.js';

/** Whether a header (a lower-case name) is one the outbox never stores: the client's or the outbox's `sensitiveHeaders`. */
export const isSensitive = ({ context, options }: { context: PolicyContext; options: ResolvedOutboxOptions }, name: string): boolean =>
	options.sensitiveHeaders.has(name) || sensitiveOf(context).headers.has(name);

/**
 * Whether a readable record holds what the outbox never stores (API.md "Sensitive data"): a header
 * of the client's or the outbox's `sensitiveHeaders`, or a sensitive query value in its URL. Such a
 * record was not its own (`isRecord` refuses the credential headers alike): it is never sent, nor listed (`Queue.forEach`).
 */
export const secretIn = (queue: { context: PolicyContext; options: ResolvedOutboxOptions }, { url, headers }: OutboxRecord): boolean =>
	secretUrl(queue.context, url, Object.values(headers)) || Object.keys(headers).some((name) => isSensitive(queue, name.toLowerCase()));

/**
 * An unreadable stored value as the dead letter made of it keeps it (`raw`: nothing is lost) without what the
 * outbox never stores (API.md "Sensitive data"), whatever its shape, at any depth: a member named by a header of the
 * client's or the outbox's `sensitiveHeaders` (credential headers included), a list holding such a name (a pair, a
 * flat list of names and values: not proven clean), and the sensitive query values of every text; of its fields, in order,
 * none past what a record's headers may hold (`headersFit`) — an object or list of more than 256 fields, or more than 1 MiB
 * as JSON: its `headers`, a URL, `lastError`, `refs`, a field of its own (distrust of storage) — nor past its 256th field or
 * 4 MiB of JSON in all; its bytes (a body) and the rest as they were. Deeper than 16 levels (a cycle), nothing. `removed`: told when anything was left out or redacted.
 */
export const withoutSecrets = (queue: { context: PolicyContext; options: ResolvedOutboxOptions }, value: unknown, removed = (): void => undefined, depth = 0): unknown => {
	const named = (name: unknown): boolean => typeof name === 'string' && isSensitive(queue, name.toLowerCase());
	const clean = (item: unknown): unknown => withoutSecrets(queue, item, removed, depth + 1);
	if (typeof value === 'string') {
		const text = redactText(value, sensitiveOf(queue.context).params);
		text === value || removed();
		return text;
	}

	if (!isObject(value) || value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
		return value;
	}

	if (depth > 16 || (Array.isArray(value) && value.some(named))) {
		return removed();
	}

	if (Array.isArray(value)) {
		return value.map(clean).filter((item) => item !== undefined);
	}

	// A field at the top past what a record's headers may hold (`headersFit`: 256 fields, 1 MiB; here as its JSON, with room
	// for its punctuation: any shape), or past the 256th or 4 MiB in all: not kept (what made it unreadable, maybe); one that
	// cannot be measured neither. Bytes (a body, bounded when it was stored) are kept.
	let fields = 0;
	let room = 4_194_304;
	const over = (item: unknown): boolean => {
		if (depth) {
			return false;
		}

		try {
			const bytes = item instanceof ArrayBuffer || ArrayBuffer.isView(item);
			const size = bytes ? 0 : String(JSON.stringify(item)).length;
			if (++fields > 256 || size > Math.min(1_050_000, room) || (!bytes && isObject(item) && Object.keys(item).length > 256)) {
				return true;
			}

			room -= size;
			return false;
		} catch {
			return true;
		}
	};
	const kept = Object.entries(value).filter(([name, item]) => !named(name) && !over(item));
	kept.length === Object.keys(value).length || removed();
	return Object.fromEntries(kept.map(([name, item]) => [name, clean(item)]));
};

/**
 * The headers an entry keeps, and its preconditions (`If-Match`, `If-Unmodified-Since`,
 * `If-None-Match`) apart: never a sensitive one (added again at replay by the client's default
 * headers and `beforeRequest` hooks), nor `Idempotency-Key` (stored as the entry's key),
 * `Content-Length` or the client's `deadlineHeader` (the queuing request's remaining time: a replay,
 * background work, has no deadline of it, and the runtime follows its redirects, to any origin);
 * `type` is the body's Content-Type when the headers have none.
 */
export const storedHeaders = (owner: { context: PolicyContext; options: ResolvedOutboxOptions }, given: Headers, type?: string): Pick<OutboxRecord, 'headers' | 'preconditions'> => {
	const headers: Record<string, string> = {};
	const preconditions: Record<string, string> = {};
	const deadline = owner.context.options.deadlineHeader?.toLowerCase();
	given.forEach((value, name) => {
		if (!isSensitive(owner, name) && name !== 'idempotency-key' && name !== 'content-length' && name !== deadline) {
			(preconditionNames.has(name) ? preconditions : headers)[name] = value;
		}
	});
	if (type && !headers['content-type']) {
		headers['content-type'] = type;
	}

	return Object.keys(preconditions).length > 0 ? { headers, preconditions } : { headers };
};

/**
 * Header sets given by the app (a call's, `migrate`'s entry, a rebased write) as one `Headers`, as ky
 * merges them: names in any case, the last value given for a name wins (`new Headers(record)` would
 * join `content-type` and `Content-Type` into one value), and one given as `undefined` (which
 * `Headers` reads as the string 'undefined') removes the name; a `Headers` or an array of pairs as
 * fetch reads them.
 */
export const headersOf = (...given: unknown[]): Headers => {
	const headers = new Headers();
	for (const init of given) {
		const read = new Headers(init as HeadersInit); // What fetch refuses (`null`, a number) throws here, as fetch would.
		for (const [name, value] of init instanceof Headers || Array.isArray(init) ? read : Object.entries(init ?? {})) {
			if (value === undefined || value === 'undefined') {
				headers.delete(name);
			} else {
				headers.set(name, value as string);
			}
		}
	}

	return headers;
};
