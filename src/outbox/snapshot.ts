import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { OutboxFullError } from '../errors/OutboxFullError.js';
import { readCapped } from '../shared/read-capped.js';

/** The body of a call, read before its first attempt so a replay never meets a consumed body. */
export interface BodySnapshot {
	body?: ArrayBuffer;
	/** The Content-Type the bytes were made with (`multipart/form-data; boundary=...` for FormData). */
	contentType?: string;
	/**
	 * What the first attempt must send instead of what the caller gave, so a replay is byte-identical
	 * to it: the JSON text as serialized here, or a multipart body with the boundary stored.
	 */
	send?: { json: string } | { bytes: ArrayBuffer; contentType: string };
}

type Stringify = (value: unknown) => string;

const serialize = (json: unknown, stringify: Stringify): string => {
	let text: unknown;
	try {
		text = stringify(json);
	} catch (error) {
		throw new InvalidRequestError(`The \`json\` body cannot be serialized: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
	}

	if (typeof text !== 'string') {
		throw new InvalidRequestError(`The \`json\` body cannot be serialized: \`stringifyJson\` returned ${typeof text}, not a string`);
	}

	return text;
};

/**
 * Snapshot the body of an outbox-eligible call from what the caller gave: `json` (serialized with the
 * call's or the client's `stringifyJson`, else `JSON.stringify`), `body`, or a `Request` input's
 * body. Reads at most `maxBodyBytes + 1` bytes: a larger body is refused with `OutboxFullError`
 * once the limit is passed, never read whole. A `ReadableStream` body or a `json` body that cannot be
 * serialized is an `InvalidRequestError`. No network I/O happens here.
 */
export const snapshotBody = async (input: unknown, options: Readonly<Record<string, unknown>>, maxBodyBytes: number, clientStringify: Stringify | undefined): Promise<BodySnapshot> => {
	const { json, body } = options;
	if (json !== undefined) {
		const text = serialize(json, (options['stringifyJson'] as Stringify | undefined) ?? clientStringify ?? JSON.stringify);
		const bytes = new TextEncoder().encode(text);
		if (bytes.byteLength > maxBodyBytes) {
			throw tooLarge(bytes.byteLength, maxBodyBytes);
		}

		return { body: bytes.buffer as ArrayBuffer, contentType: 'application/json', send: { json: text } };
	}

	let source: Response | Request | undefined;
	if (body !== undefined && body !== null) {
		if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) {
			throw new InvalidRequestError('A ReadableStream body cannot be stored in the outbox: pass bytes, a string, a Blob or FormData, or set `outbox: false`');
		}

		if (typeof Blob !== 'undefined' && body instanceof Blob && body.size > maxBodyBytes) {
			throw tooLarge(body.size, maxBodyBytes);
		}

		source = new Response(body as BodyInit);
	} else if (input instanceof Request && input.body) {
		source = input.clone();
	}

	if (!source) {
		return {};
	}

	const bytes = await readCapped(source, maxBodyBytes);
	if (!bytes) {
		throw tooLarge(undefined, maxBodyBytes);
	}

	const contentType = source.headers.get('content-type') ?? undefined;
	const multipart = typeof FormData !== 'undefined' && body instanceof FormData && contentType !== undefined;
	return {
		body: bytes,
		...(contentType ? { contentType } : {}),
		// FormData gets a new boundary each time it is serialized: the first attempt sends the stored one.
		...(multipart ? { send: { bytes, contentType } } : {}),
	};
};

const tooLarge = (size: number | undefined, max: number): OutboxFullError =>
	new OutboxFullError(`The body (${size === undefined ? 'more than that' : `${size} bytes`}) is over outbox.maxBodyBytes (${max}); nothing was stored or sent`);
