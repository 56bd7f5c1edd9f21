import type { ResponsePromise } from 'ky';
import type { CallState } from './types.js';

type BodyType = 'json' | 'text' | 'formData' | 'arrayBuffer' | 'blob' | 'bytes';
type KyShortcut = (schema?: unknown) => Promise<unknown>;

const types: readonly BodyType[] = ['json', 'text', 'formData', 'arrayBuffer', 'blob', 'bytes'];
const ignore = (): void => undefined;

/**
 * One body shortcut of a call's promise. The same shortcut of ky's own promise is asked
 * for at once, or as soon as the ky call starts (a wrapper may await first): ky sets `Accept` before
 * it sends, and reads its response's body the moment it arrives, as plain ky does — a body left
 * unread for a few turns costs a keep-alive connection dearly. When the call resolves with ky's
 * response, ky's parse is the answer (`parseJson`, schemas, `totalTimeout` apply); when a wrapper
 * answered instead (a stale copy, a 202 for a queued mutation), ky's parse is dropped and the
 * wrapper's response is parsed here.
 */
const shortcut = (promise: Promise<Response>, call: CallState, type: BodyType, schema?: unknown): Promise<unknown> => {
	let parsed: Promise<unknown> | undefined;
	const start = (ky: ResponsePromise): void => {
		parsed = (ky[type] as KyShortcut)(schema);
		parsed.catch(ignore);
	};

	if (call.kyPromise) {
		start(call.kyPromise);
	} else {
		(call.onKyStart ??= []).push(start);
	}

	return promise.then((response) => response === call.response && parsed ? parsed : parseOwn(response, type, schema));
};

const parseOwn = async (response: Response, type: BodyType, schema: unknown): Promise<unknown> => {
	if (type !== 'json') {
		return (response[type] as () => Promise<unknown>).call(response);
	}

	const text = await response.text();
	const value: unknown = text === '' && schema !== undefined ? undefined : JSON.parse(text);
	if (schema === undefined) {
		return value;
	}

	const standard = (schema as { '~standard'?: { validate(value: unknown): unknown } })['~standard'];
	if (!standard) {
		throw new TypeError('The `schema` argument must follow the Standard Schema specification');
	}

	const outcome = await standard.validate(value) as { value?: unknown; issues?: unknown[] };
	if (outcome.issues) {
		throw Object.assign(new Error('Response did not match the schema'), { name: 'SchemaValidationError', issues: outcome.issues });
	}

	return outcome.value;
};

/** The shortcuts this runtime's `Response` has (`bytes` is recent), found on first use. */
let available: readonly BodyType[] | undefined;

/** Give the call's promise ky's body shortcuts (`.json()` and the rest), as ky's own promise has. */
export const makeResponsePromise = (promise: Promise<Response>, call: CallState): ResponsePromise => {
	available ??= types.filter((type) => type !== 'bytes' || typeof Response.prototype.bytes === 'function');
	const result = promise as ResponsePromise;
	for (const type of available) {
		(result as unknown as Record<string, unknown>)[type] = (schema?: unknown) => shortcut(promise, call, type, schema);
	}

	return result;
};
