import type { ResponsePromise } from 'ky';
import type { CallState } from './types.js';

const accepts = {
	json: 'application/json',
	text: 'text/*',
	formData: 'multipart/form-data',
	arrayBuffer: '*/*',
	blob: '*/*',
	bytes: '*/*',
} as const;

type BodyType = keyof typeof accepts;
const types = Object.keys(accepts) as BodyType[];

/**
 * Give the call's promise ky's body shortcuts. As with ky, calling one right after the call sets the
 * `Accept` header (our `beforeRequest` hook reads `state.accept` before the first attempt). A
 * response that came from ky is parsed by ky's own shortcut (`parseJson`, schemas, `totalTimeout`);
 * one a wrapper made up (a stale copy, a 202 for a queued mutation) is parsed here.
 */
export const makeResponsePromise = (promise: Promise<Response>, state: CallState): ResponsePromise => {
	const result = promise as ResponsePromise;
	for (const type of types) {
		if (type === 'bytes' && typeof Response.prototype.bytes !== 'function') {
			continue;
		}

		(result as unknown as Record<string, unknown>)[type] = async (schema?: unknown) => {
			state.accept ??= accepts[type];
			const response = await promise;
			if (response === state.response && state.kyPromise) {
				return (state.kyPromise[type] as (schema?: unknown) => Promise<unknown>)(schema);
			}

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
	}

	return result;
};
