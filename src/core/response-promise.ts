import ky, { type Options as KyOptions, type ResponsePromise } from 'ky';
import type { Call } from './call.js';

type BodyType = 'json' | 'text' | 'formData' | 'arrayBuffer' | 'blob' | 'bytes';
type Shortcut = (schema?: unknown) => Promise<unknown>;

const types: readonly BodyType[] = ['json', 'text', 'formData', 'arrayBuffer', 'blob', 'bytes'];
const ignore = (): void => undefined;

/**
 * One body shortcut of a wrapped call's promise. The same shortcut of ky's own promise is asked for
 * with each run of ky (at once if one started): ky sets `Accept` before it sends and reads its
 * response's body as it arrives, as plain ky does. When the call resolves with the response of one of
 * its runs (a wrapper that ran ky twice may give back the first), that run's parse is the answer; when a policy answered instead (a stale copy, a 202 for a queued write, a
 * fallback), the substitute is parsed by ky too — `parseJson`, Standard Schema validation and
 * `SchemaValidationError` as for a fresh response, no hooks, nothing sent.
 */
const shortcut = (promise: Promise<Response>, call: Call, type: BodyType, schema: unknown, parseJson: KyOptions['parseJson']): Promise<unknown> => {
	/** The first run and its parse: the answer when the call resolves with ky's response and no other run started (most calls). */
	let firstRun: ResponsePromise | undefined;
	let first: Promise<unknown> | undefined;
	/** With a second run: each run's parse, by the response it resolved with (a wrapper that ran ky twice may give back its first). */
	let parses: Map<Response, Promise<unknown>> | undefined;
	/** Known as the call resolves: the call's own reaction to its run is added after this one (or the run settled before). */
	const note = (run: ResponsePromise, parsed: Promise<unknown>): void => {
		run.then((response) => void parses!.set(response, parsed), ignore);
	};

	const start = (run: ResponsePromise): void => {
		// A run that could not start (an invalid request) is a plain rejected promise: nothing to parse.
		const parsed = (run[type] as Shortcut | undefined)?.(schema);
		parsed?.catch(ignore);
		if (!firstRun) {
			firstRun = run;
			first = parsed;
			return;
		}

		if (!parses) {
			parses = new Map();
			if (first) {
				note(firstRun, first);
			}
		}

		if (parsed) {
			note(run, parsed);
		}
	};

	call.withRuns(start);
	return promise.then((response) => {
		const parsed = parses ? parses.get(response) : call.isKys(response) ? first : undefined;
		if (parsed) {
			return parsed;
		}

		const parse = call.options.parseJson ?? parseJson;
		const run = ky(call.request?.url ?? (response.url || 'http://localhost/'), { fetch: async () => response, retry: 0, timeout: false, throwHttpErrors: false, parseJson: parse } as KyOptions);
		return (run[type] as Shortcut)(schema);
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
