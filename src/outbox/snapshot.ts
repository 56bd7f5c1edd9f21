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
 * Snapshot the body of an outbox-eligible call from what the caller gave: `json` (serialized with
 * `stringify`, `JSON.stringify` by default), `body`, or a `Request` input's body. Reads at most `maxBodyBytes + 1` bytes: a larger
 * body is refused with `OutboxFullError`, never read whole. A `ReadableStream` body or a `json` body
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

	if (((body as Blob | undefined)?.size ?? 0) > max) {
		throw tooLarge(max);
	}

	const source = body != null ? new Response(body as BodyInit) : input instanceof Request && input.body ? input.clone() : undefined;
	if (!source) {
		return {};
	}

	const bytes = await readCapped(source, max);
	if (!bytes) {
		throw tooLarge(max);
	}

	const type = source.headers.get('content-type') ?? undefined;
	// FormData gets a new boundary each time it is serialized: the first attempt sends these bytes.
	return { body: bytes, type, ...(body instanceof FormData && type ? { exact: { body: bytes, headers: { 'content-type': type } } } : {}) };
};
