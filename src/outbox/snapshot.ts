import type { RunOptions } from '../core/policy.js';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { OutboxFullError } from '../errors/OutboxFullError.js';
import { noJsonForm } from '../utils/json-form.js';
import { readCapped } from '../utils/read-capped.js';

/** The body of a call, read before its first attempt so a replay never meets a consumed body. */
export interface BodySnapshot {
	body?: ArrayBuffer;
	/** The Content-Type the bytes were made with (`multipart/form-data; boundary=...` for FormData, a Blob's `type`). */
	type?: string | undefined;
	/**
	 * The options the first attempt runs with instead of what the caller gave, so a replay is
	 * byte-identical to it: the JSON text as serialized here, or the bytes read here (FormData's with
	 * their boundary, a Blob's, a copy of an ArrayBuffer's) with their Content-Type.
	 */
	exact?: RunOptions & { headers?: Record<string, string> };
}

/** The byte bounds of a body the outbox stores (`OutboxOptions.maxBodyBytes`, `maxFileBytes`). */
export interface BodyLimits {
	maxBodyBytes: number;
	maxFileBytes: number;
}

export type Stringify = (value: unknown) => string;

export const tooLarge = (text: boolean, max: number): OutboxFullError =>
	new OutboxFullError(`The body is over outbox.${text ? 'maxBodyBytes' : 'maxFileBytes'} (${max}): not stored`, { reason: 'size' });

/**
 * The bytes a FormData holds: its text (names, string values, file names) and its files' bytes,
 * fewer than its multipart serialization takes: over a bound, it is refused before it is serialized.
 * Cancelling that serialization half-way is never done: Node's (undici's) goes on writing into the
 * cancelled stream and throws `ERR_INVALID_STATE` outside any promise, which ends the process.
 */
const formBytes = (form: FormData): { text: number; files: number } => {
	const encoder = new TextEncoder();
	let text = 0;
	let files = 0;
	form.forEach((value, name) => {
		text += encoder.encode(name).byteLength + encoder.encode(typeof value === 'string' ? value : value.name).byteLength;
		files += typeof value === 'string' ? 0 : value.size;
	});
	return { text, files };
};

/**
 * Whether a buffer (or a view's) was detached (transferred to a worker, `structuredClone` with `transfer`): it holds
 * no bytes, as fetch reads it (WebIDL's copy of a detached buffer source is empty), where reading a view of it throws.
 */
const detached = (body: ArrayBuffer | ArrayBufferView): boolean => (ArrayBuffer.isView(body) ? body.buffer : body).byteLength === 0;

/** A buffer's bytes, copied: a later change of the caller's buffer changes nothing sent or stored; a detached one's: none. */
export const bytesOf = (body: ArrayBuffer | ArrayBufferView): ArrayBuffer =>
	detached(body) ? new ArrayBuffer(0) : (ArrayBuffer.isView(body) ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : new Uint8Array(body)).slice().buffer;

/** A binary body's bytes, copied (`bytesOf`); a Blob read whole (its read's error rejects). */
const binary = async (body: Blob | ArrayBuffer | ArrayBufferView): Promise<ArrayBuffer> => body instanceof Blob ? body.arrayBuffer() : bytesOf(body);

/** The snapshot of `bytes` of Content-Type `type`; `exact`: the first attempt sends these bytes, with that type. */
const ofBytes = (bytes: ArrayBuffer, type: string | undefined, exact: boolean): BodySnapshot =>
	({ body: bytes, type, ...exact && { exact: { body: bytes, ...type && { headers: { 'content-type': type } } } } });

/** `json` as `stringify` makes it: a value it cannot serialize is an `InvalidRequestError` (the thrown error its cause). */
export const jsonText = (json: unknown, stringify: Stringify = JSON.stringify): string => {
	let text: unknown;
	try {
		text = stringify(json);
	} catch (error) {
		text = error;
	}

	if (typeof text !== 'string') {
		throw new InvalidRequestError(`The \`json\` body cannot be serialized: ${text instanceof Error ? text.message : stringify === JSON.stringify ? noJsonForm : `\`stringifyJson\` returned ${typeof text}`}`, { cause: text });
	}

	return text;
};

/**
 * Snapshot the body of an outbox-eligible call from what the caller gave: `json` (serialized with
 * `stringify`, `JSON.stringify` by default), `body`, or a `Request` input's body. Text (`json`, a
 * string, `URLSearchParams`, a `Request`'s body of a text, JSON or form Content-Type; never a `ReadableStream`, which neither a call the
 * outbox queues nor a rebase has: enqueue.ts `queueable`, rewrite.ts `isRebase`) is read at most
 * `maxBodyBytes + 1` bytes: a larger one is refused with `OutboxFullError` (`'size'`), never read
 * whole. Files (a `Blob`, `File`,
 * `ArrayBuffer`, typed array or `DataView`) are bounded by `maxFileBytes`, a FormData's files by
 * `maxFileBytes` and its text by `maxBodyBytes`: checked by the sizes they tell, before any byte is
 * read or serialized. A `Request`'s body of another type is bytes (`maxFileBytes`, read at most that + 1), and a multipart
 * one a FormData, its parts counted once read (never cancelled half-way); one without a type is text. A `json` body that cannot be serialized is an `InvalidRequestError`; a Blob
 * whose read fails rejects with the read's error. No network I/O.
 */
export const snapshotBody = async (input: unknown, { json, body }: { json?: unknown; body?: unknown }, limits: BodyLimits, stringify: Stringify = JSON.stringify): Promise<BodySnapshot> => {
	const { maxBodyBytes: max, maxFileBytes } = limits;
	if (json !== undefined) {
		const text = jsonText(json, stringify);
		const bytes = new TextEncoder().encode(text);
		if (bytes.byteLength > max) {
			throw tooLarge(true, max);
		}

		return { body: bytes.buffer as ArrayBuffer, type: 'application/json', exact: { stringifyJson: () => text } };
	}

	if (body instanceof Blob || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
		if ((body instanceof Blob ? body.size : detached(body) ? 0 : body.byteLength) > maxFileBytes) {
			throw tooLarge(false, maxFileBytes);
		}

		// The first attempt sends these bytes: a Blob is read once, a buffer changed after the call changes nothing.
		return ofBytes(await binary(body), (body instanceof Blob && body.type) || undefined, true);
	}

	const form = body instanceof FormData;
	const { text, files } = form ? formBytes(body) : { text: 0, files: 0 };
	if (files > maxFileBytes || text > max) {
		throw files > maxFileBytes ? tooLarge(false, maxFileBytes) : tooLarge(true, max);
	}

	const source = body != null ? new Response(body as BodyInit) : input instanceof Request && input.body ? input.clone() : undefined;
	if (!source) {
		return {};
	}

	const type = source.headers.get('content-type') ?? undefined;
	// A `Request`'s body is what its Content-Type says it is: multipart (a FormData), another type but text, JSON or a
	// form's (a typed Blob, a File, bytes sent as such) bytes, bounded by `maxFileBytes` as when given as `body`; one
	// without a type (a stream, untyped bytes: not told apart) is read as text.
	const multipart = body == null && /^multipart\/form-data/i.test(type ?? '');
	const bytesOnly = body == null && !multipart && !!type && !/^text\/|json|xml|urlencoded/i.test(type);
	// A FormData within its bounds is read whole, never cancelled (see `formBytes`): it holds the bytes
	// already, and its serialization adds only each part's headers — which count as text: all but its
	// files' bytes must be within `maxBodyBytes`. A Request's multipart body, whose sizes it does not tell, is read
	// whole too (never cancelled either), and its files counted as parsed.
	const bytes = await readCapped(source, form || multipart ? Number.POSITIVE_INFINITY : bytesOnly ? maxFileBytes : max);
	if (!bytes) {
		throw tooLarge(!bytesOnly, bytesOnly ? maxFileBytes : max);
	}

	// (A multipart body that does not parse: all text.)
	const parsed = multipart ? await new Response(bytes, { headers: { 'content-type': type! } }).formData().then((data) => formBytes(data).files, () => 0) : files;
	if (parsed > maxFileBytes) {
		throw tooLarge(false, maxFileBytes);
	}

	if (!bytesOnly && bytes.byteLength - parsed > max) {
		throw tooLarge(true, max);
	}

	// FormData gets a new boundary each time it is serialized: the first attempt sends these bytes.
	return ofBytes(bytes, type, form && !!type);
};
