import ky, { type Options as KyOptions, type ResponsePromise } from 'ky';
import { core, type CallState } from './call-state.js';

type BodyType = 'json' | 'text' | 'formData' | 'arrayBuffer' | 'blob' | 'bytes';
type Shortcut = (schema?: unknown) => Promise<unknown>;

const types: readonly BodyType[] = ['json', 'text', 'formData', 'arrayBuffer', 'blob', 'bytes'];
const ignore = (): void => undefined;

/**
 * One body shortcut of a wrapped call's promise. The same shortcut of ky's own promise is asked for
 * with each run of ky (at once if one started): ky sets `Accept` before it sends and reads its
 * response's body as it arrives, as plain ky does. When the call resolves with ky's response, ky's
 * parse is the answer; when a policy answered instead (a stale copy, a 202 for a queued write, a
 * fallback), the substitute is parsed by ky too — `parseJson`, Standard Schema validation and
 * `SchemaValidationError` as for a fresh response, no hooks, nothing sent.
 */
const shortcut = (promise: Promise<Response>, call: CallState, type: BodyType, schema: unknown, parseJson: KyOptions['parseJson']): Promise<unknown> => {
	let parsed: Promise<unknown> | undefined;
	const start = (run: ResponsePromise): void => {
		// A run that could not start (an invalid request) is a plain rejected promise: nothing to parse.
		parsed = (run[type] as Shortcut | undefined)?.(schema);
		parsed?.catch(ignore);
	};

	const run = core.current(call);
	if (run) {
		start(run);
	}

	core.onRun(call, start);
	return promise.then((response) => {
		if (core.isKys(call, response) && parsed) {
			return parsed;
		}

		const parse = (call.options['parseJson'] as KyOptions['parseJson']) ?? parseJson;
		const run = ky(call.request?.url ?? (response.url || 'http://localhost/'), { fetch: async () => response, retry: 0, timeout: false, throwHttpErrors: false, ...(parse ? { parseJson: parse } : {}) });
		return (run[type] as Shortcut)(schema);
	});
};

/** The shortcuts this runtime's `Response` has (`bytes` is recent), found on first use. */
let available: readonly BodyType[] | undefined;

/**
 * Give a wrapped call's promise ky's body shortcuts (`.json()` and the rest), as ky's own promise
 * has. Without a call (rejected before it began), each shortcut returns the rejection.
 */
export const responsePromise = (promise: Promise<Response>, call?: CallState, parseJson?: KyOptions['parseJson']): ResponsePromise => {
	available ??= types.filter((type) => type !== 'bytes' || typeof Response.prototype.bytes === 'function');
	if (!call) {
		// Rejected before it began: a caller who only asks for `.json()` handles the rejection there.
		promise.catch(ignore);
	}

	for (const type of available) {
		(promise as unknown as Record<string, unknown>)[type] = call ? (schema?: unknown) => shortcut(promise, call, type, schema, parseJson) : async () => promise;
	}

	return promise as ResponsePromise;
};
