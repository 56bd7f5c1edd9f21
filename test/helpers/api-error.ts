/**
 * An app's own error made of a call's failure by a ky `beforeError` hook (ky's documented way), and what the
 * beforeError tests read of a call: test/unit/hooks-before-error-hunt41*.test.ts.
 */
import { classify, isStale } from '../../src/entries/index.js';

/** The app's own error. */
export class ApiError extends Error {
	override name = 'ApiError';
}

/** A `beforeError` hook that gives the app's error of the failure (`api: <message>`, the failure its cause). */
export const toApiError = ({ error }: { error: Error }): Error => new ApiError(`api: ${error.message}`, { cause: error });

/** A call's status (`<status> stale` for a stale copy), or its error's name and `classify()` code. */
export const staleOrError = (call: Promise<Response>): Promise<string> =>
	call.then((response) => `${response.status}${isStale(response) ? ' stale' : ''}`, (error: Error) => `${error.name} ${classify(error).code}`);

/** An origin that answers JSON a copy is kept of while `state.status` is 200, else that status (0: a dropped connection). */
export const copiedOrigin = () => {
	const state = { status: 200 };
	const fetch = (async () => {
		if (state.status === 0) {
			throw new TypeError('fetch failed');
		}

		return Response.json({ n: 1 }, { status: state.status, headers: { 'cache-control': 'max-age=0' } });
	}) as typeof globalThis.fetch;
	return { state, fetch };
};
