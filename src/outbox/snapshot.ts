import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { OutboxFullError } from '../errors/OutboxFullError.js';

/** The body of a call, read before its first attempt so a replay never meets a consumed body. */
export interface BodySnapshot {
	body?: ArrayBuffer;
	/** The Content-Type the bytes were made with (`multipart/form-data; boundary=...` for FormData). */
	contentType?: string;
}

/**
 * Snapshot the body of an outbox-eligible call from what the caller gave: `json` (serialized like ky:
 * `stringifyJson` or `JSON.stringify`), `body`, or a `Request` input's body. Refuses a
 * `ReadableStream` body (`InvalidRequestError`) and a body over `maxBodyBytes` (`OutboxFullError`).
 * No network I/O happens here.
 */
export const snapshotBody = async (input: unknown, options: Record<string, unknown>, maxBodyBytes: number): Promise<BodySnapshot> => {
	const { json, body } = options;
	let bytes: ArrayBuffer;
	let contentType: string | null | undefined;
	if (json !== undefined) {
		// Encoded at once, without a Response to read back: the common case.
		const stringify = options['stringifyJson'] as ((value: unknown) => string) | undefined;
		bytes = new TextEncoder().encode(stringify ? stringify(json) : JSON.stringify(json)).buffer;
		contentType = 'application/json';
	} else {
		let source: Response | undefined;
		if (body !== undefined && body !== null) {
			if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) {
				throw new InvalidRequestError('A ReadableStream body cannot be stored in the outbox: pass bytes, a string, a Blob or FormData, or set `outbox: false`');
			}

			if (typeof Blob !== 'undefined' && body instanceof Blob && body.size > maxBodyBytes) {
				throw tooLarge(body.size, maxBodyBytes);
			}

			source = new Response(body as BodyInit);
		} else if (input instanceof Request && input.body) {
			source = input.clone() as unknown as Response;
		}

		if (!source) {
			return {};
		}

		bytes = await source.arrayBuffer();
		contentType = source.headers.get('content-type');
	}

	if (bytes.byteLength > maxBodyBytes) {
		throw tooLarge(bytes.byteLength, maxBodyBytes);
	}

	return contentType ? { body: bytes, contentType } : { body: bytes };
};

const tooLarge = (size: number, max: number): OutboxFullError =>
	new OutboxFullError(`The body (${size} bytes) is over outbox.maxBodyBytes (${max}); nothing was stored or sent`);
