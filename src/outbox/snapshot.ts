import type { RunOptions } from '../core/policy.js';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { OutboxFullError } from '../errors/OutboxFullError.js';
import { readCapped } from '../utils/read-capped.js';

/** The body of a call, read before its first attempt so a replay never meets a consumed body. */
export interface BodySnapshot {
	body?: ArrayBuffer;
	/** The Content-Type the bytes were made with (`multipart/form-data; boundary=...` for FormData). */
	type?: string | undefined;
	/**
	 * The options the first attempt runs with instead of what the caller gave, so a replay is
	 * byte-identical to it: the JSON text as serialized here, or FormData's bytes with their boundary.
	 */
	exact?: RunOptions & { headers?: Record<string, string> };
}

export type Stringify = (value: unknown) => string;

const tooLarge = (max: number): OutboxFullError => new OutboxFullError(`The body is over outbox.maxBodyBytes (${max}): not stored`);

/**
 * The bytes a FormData holds (its names, string values and files), fewer than its multipart
 * serialization takes: over `max`, it is refused before it is serialized. Cancelling that
 * serialization half-way is never done: Node's (undici's) goes on writing into the cancelled stream
 * and throws `ERR_INVALID_STATE` outside any promise, which ends the process.
 */
const formBytes = (form: FormData): number => {
	const encoder = new TextEncoder();
	let size = 0;
	form.forEach((value, name) => {
		size += encoder.encode(name).byteLength + (typeof value === 'string' ? encoder.encode(value).byteLength : value.size);
	});
	return size;
};

/**
 * Snapshot the body of an outbox-eligible call from what the caller gave: `json` (serialized with
 * `stringify`, `JSON.stringify` by default), `body`, or a `Request` input's body. Reads at most `maxBodyBytes + 1` bytes: a larger
 * body is refused with `OutboxFullError`, never read whole (a FormData: by the bytes it holds, before
 * it is serialized; see `formBytes`). A `ReadableStream` body or a `json` body
 * that cannot be serialized is an `InvalidRequestError`. No network I/O.
 */
export const snapshotBody = async (input: unknown, { json, body }: { json?: unknown; body?: unknown }, max: number, stringify: Stringify = JSON.stringify): Promise<BodySnapshot> => {
	if (json !== undefined) {
		let text: unknown;
		try {
			text = stringify(json);
		} catch (error) {
			text = error;
		}

		if (typeof text !== 'string') {
			throw new InvalidRequestError(`The \`json\` body cannot be serialized: ${text instanceof Error ? text.message : `\`stringifyJson\` returned ${typeof text}`}`, { cause: text });
		}

		const bytes = new TextEncoder().encode(text);
		if (bytes.byteLength > max) {
			throw tooLarge(max);
		}

		return { body: bytes.buffer as ArrayBuffer, type: 'application/json', exact: { stringifyJson: () => text as string } };
	}

	if (body instanceof ReadableStream) {
		throw new InvalidRequestError('A ReadableStream body cannot be queued: pass bytes, or set `outbox: false`');
	}

	const form = body instanceof FormData;
	if ((form ? formBytes(body) : (body as Blob | undefined)?.size ?? 0) > max) {
		throw tooLarge(max);
	}

	const source = body != null ? new Response(body as BodyInit) : input instanceof Request && input.body ? input.clone() : undefined;
	if (!source) {
		return {};
	}

	// A FormData within `max` is read whole, never cancelled (see `formBytes`): it holds the bytes
	// already, and its serialization adds only each part's headers.
	const bytes = await readCapped(source, form ? Number.POSITIVE_INFINITY : max);
	if (!bytes || bytes.byteLength > max) {
		throw tooLarge(max);
	}

	const type = source.headers.get('content-type') ?? undefined;
	// FormData gets a new boundary each time it is serialized: the first attempt sends these bytes.
	return { body: bytes, type, ...(form && type ? { exact: { body: bytes, headers: { 'content-type': type } } } : {}) };
};
