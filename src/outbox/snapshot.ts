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
	let source: Response | undefined;
	let contentType: string | undefined;
	if (options['json'] !== undefined) {
		const stringify = options['stringifyJson'] as ((value: unknown) => string) | undefined;
		source = new Response(stringify ? stringify(options['json']) : JSON.stringify(options['json']));
		contentType = 'application/json';
	} else if (options['body'] !== undefined && options['body'] !== null) {
		const body = options['body'];
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

	const bytes = await source.arrayBuffer();
	if (bytes.byteLength > maxBodyBytes) {
		throw tooLarge(bytes.byteLength, maxBodyBytes);
	}

	contentType ??= source.headers.get('content-type') ?? undefined;
	return contentType === undefined ? { body: bytes } : { body: bytes, contentType };
};

const tooLarge = (size: number, max: number): OutboxFullError =>
	new OutboxFullError(`The body (${size} bytes) is over outbox.maxBodyBytes (${max}); nothing was stored or sent`);
