import ky, { type Options as KyOptions, type ResponsePromise } from 'ky';
import type { CallState } from './types.js';

type BodyType = 'json' | 'text' | 'formData' | 'arrayBuffer' | 'blob' | 'bytes';
type KyShortcut = (schema?: unknown) => Promise<unknown>;

const types: readonly BodyType[] = ['json', 'text', 'formData', 'arrayBuffer', 'blob', 'bytes'];
const ignore = (): void => undefined;

/**
 * Parse a response a policy substituted (a stale copy, a 202 for a queued mutation) through ky
 * itself, so `parseJson`, Standard Schema validation and `SchemaValidationError` behave exactly as
 * for a fresh response. No hooks run (the substitute is not a new request) and nothing is sent: the
 * `fetch` ky is given answers with the substitute.
 */
const parseWithKy = (response: Response, call: CallState, type: BodyType, schema: unknown, parseJson: KyOptions['parseJson']): Promise<unknown> => {
	const parse = call.options['parseJson'] as KyOptions['parseJson'] ?? parseJson;
	const url = call.request?.url ?? (response.url || 'http://localhost/');
	const promise = ky(url, {
		fetch: async () => response,
		retry: 0,
		timeout: false,
		throwHttpErrors: false,
		...(parse ? { parseJson: parse } : {}),
	});
	return (promise[type] as KyShortcut)(schema);
};

/**
 * One body shortcut of a call's promise. The same shortcut of ky's own promise is asked for at
 * once, or as soon as the ky call starts (a wrapper may await first): ky sets `Accept` before it
 * sends, and reads its response's body the moment it arrives, as plain ky does — a body left unread
 * for a few turns costs a keep-alive connection dearly. When the call resolves with ky's response,
 * ky's parse is the answer; when a policy answered instead, ky's parse is dropped and the
 * substitute is parsed through ky too.
 */
const shortcut = (promise: Promise<Response>, call: CallState, type: BodyType, schema: unknown, parseJson: KyOptions['parseJson']): Promise<unknown> => {
	let parsed: Promise<unknown> | undefined;
	const start = (kyPromise: ResponsePromise): void => {
		// A run that could not start (an invalid request) is a plain rejected promise: nothing to parse.
		parsed = (kyPromise[type] as KyShortcut | undefined)?.(schema);
		parsed?.catch(ignore);
	};

	if (call.kyPromise) {
		start(call.kyPromise);
	}

	// And again for each later run a wrapper starts (a mirror, a retry after a token refresh): the
	// parse of the run whose response the call resolves with is the answer.
	call.onKyStart ??= [];
	call.onKyStart.push(start);

	return promise.then((response) => response === call.response && parsed ? parsed : parseWithKy(response, call, type, schema, parseJson));
};

/** The shortcuts this runtime's `Response` has (`bytes` is recent), found on first use. */
let available: readonly BodyType[] | undefined;

/**
 * Give the call's promise ky's body shortcuts (`.json()` and the rest), as ky's own promise has.
 * Without a call (rejected before it began), each shortcut returns the rejection.
 */
export const makeResponsePromise = (promise: Promise<Response>, call: CallState | undefined, parseJson: KyOptions['parseJson']): ResponsePromise => {
	available ??= types.filter((type) => type !== 'bytes' || typeof Response.prototype.bytes === 'function');
	const result = promise as ResponsePromise;
	if (!call) {
		// Rejected before it began: a caller who only asks for `.json()` handles the rejection there.
		promise.catch(ignore);
	}

	for (const type of available) {
		(result as unknown as Record<string, unknown>)[type] = call
			? (schema?: unknown) => shortcut(promise, call, type, schema, parseJson)
			: async () => promise;
	}

	return result;
};
