import ky, { type Options as KyOptions, type ResponsePromise } from 'ky';
import type { Call } from './call.js';

type BodyType = 'json' | 'text' | 'formData' | 'arrayBuffer' | 'blob' | 'bytes';
type Shortcut = (schema?: unknown) => Promise<unknown>;

/** The `Accept` each of ky's shortcuts asks for (ky's `responseTypes`, which ky does not export). */
const accepts: Record<BodyType, string> = { json: 'application/json', text: 'text/*', formData: 'multipart/form-data', arrayBuffer: '*/*', blob: '*/*', bytes: '*/*' };
const types = Object.keys(accepts) as BodyType[];
const ignore = (): void => undefined;

/**
 * One body shortcut of a wrapped call's promise. Its `Accept` goes on every attempt from now on, as
 * ky's shortcut sets it before it sends (`Call.accepts`); the body is read once the call resolved, so
 * that a wrapper may read the body of the response its run gave it (and answer with a new one). When
 * the call resolves with the response of one of its runs (a wrapper that ran ky twice may give back the
 * first), that run's own shortcut parses it; when a policy or a wrapper answered instead (a stale
 * copy, a 202 for a queued write, a fallback, a response of its own), the substitute is parsed by ky
 * too — `parseJson` (given the call's request), Standard Schema validation and `SchemaValidationError` as for a fresh
 * response, no hooks, nothing sent.
 */
const shortcut = (promise: Promise<Response>, call: Call, type: BodyType, schema: unknown, parseJson: KyOptions['parseJson']): Promise<unknown> => {
	call.accepts(accepts[type]);
	return promise.then((response) => {
		const run = call.runOf(response);
		if (run) {
			return (run[type] as Shortcut)(schema);
		}

		// `parseJson` gets the call's request, as ky gives its own the request that was answered (not the one made here to
		// read the substitute: a GET with none of the call's headers); before any attempt, one of the call's method.
		const parse = call.options.parseJson ?? parseJson;
		const { request } = call;
		const substitute = ky(request?.url ?? (response.url || 'http://localhost/'), {
			method: call.method,
			fetch: async () => response,
			retry: 0,
			timeout: false,
			throwHttpErrors: false,
			parseJson: parse && request ? (text: string, context: { response: Response }) => parse(text, { ...context, request }) : parse,
		} as KyOptions);
		return (substitute[type] as Shortcut)(schema);
	});
};

/**
 * A response a policy gave (not ky's), read through ky with the call's `onDownloadProgress`, as ky
 * reads its own: a new Response over the same body (as ky gives), what the call marked on it kept (`retriable`).
 */
export const progressed = async (response: Response, onDownloadProgress: KyOptions['onDownloadProgress']): Promise<Response> => {
	const streamed = await ky(response.url || 'http://localhost/', { fetch: async () => response, retry: 0, timeout: false, throwHttpErrors: false, onDownloadProgress } as KyOptions);
	return streamed === response ? response : Object.assign(streamed, 'retriable' in response ? { retriable: response.retriable } : {});
};

/** Where a wrapped call's promise keeps its call, for the shortcuts of its prototype. */
const callOf = Symbol('call');

/** A prototype over `Promise.prototype` with a method per shortcut, each `method(this, type)`. */
const withShortcuts = (method: (promise: Promise<Response> & { [callOf]?: Call }, type: BodyType, schema: unknown) => unknown): object => {
	const prototype = Object.create(Promise.prototype) as Record<string, unknown>;
	// The shortcuts this runtime's `Response` has (`bytes` is recent).
	for (const type of types.filter((each) => each !== 'bytes' || typeof Response.prototype.bytes === 'function')) {
		prototype[type] = function (this: Promise<Response>, schema?: unknown) {
			return method(this, type, schema);
		};
	}

	return prototype;
};

/** Shortcuts of a call rejected before it began: each returns the rejection itself. */
let failed: object | undefined;

/**
 * Give a call's promise ky's body shortcuts (`.json()` and the rest), as ky's own promise has:
 * `responsePromises(parseJson)` makes, once per client, the function that does it for a wrapped
 * call (its prototype's methods, no closure per call). Without a call (rejected before it began),
 * each shortcut returns the rejection.
 */
export const responsePromises = (parseJson?: KyOptions['parseJson']) => {
	let shortcuts: object | undefined;
	return (promise: Promise<Response>, call?: Call): ResponsePromise => {
		if (call) {
			shortcuts ??= withShortcuts((self, type, schema) => shortcut(self, self[callOf]!, type, schema, parseJson));
			(promise as { [callOf]?: Call })[callOf] = call;
		} else {
			// Rejected before it began: a caller who only asks for `.json()` handles the rejection there.
			promise.catch(ignore);
			failed ??= withShortcuts(async (self) => self);
		}

		return Object.setPrototypeOf(promise, (call ? shortcuts : failed)!) as ResponsePromise;
	};
};

const withoutCall = responsePromises();

/** A rejected call's promise with ky's shortcuts (each returns the rejection). */
export const rejectedCall = (error: unknown): ResponsePromise => withoutCall(Promise.reject(error));
