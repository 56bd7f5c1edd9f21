import type { BeforeRetryHook } from 'ky';
import { classify } from '../errors/classify.js';
import type { RetryBudget } from '../retry/budget.js';
import { CALL } from './call.js';
import type { EventFields } from './policy.js';
import type { Stats } from './stats.js';
import type { CallState, Layer } from './types.js';

interface AccountingDeps {
	readonly stats: Stats;
	readonly budget: RetryBudget | undefined;
	scopeOfRequest(url: string): string;
	emitRetry(fields: EventFields<'retry'>): void;
}

/**
 * Our `beforeRetry` hook (ky's documented API: it sees every retry ky is about to send, the ones an
 * `afterResponse` hook forces with `ky.retry()` included). It only records ky's error on the call:
 * the retry is counted when its attempt really starts, so a retry a later hook stops is not counted.
 */
export const recordRetry: BeforeRetryHook = ({ options, error }) => {
	const call = (options.context as Record<symbol, CallState | undefined>)[CALL];
	if (call) {
		call.retryError = error;
	}
};

/**
 * The outermost per-attempt layer. The first attempt of a call fixes its Request and scope and
 * counts toward `stats()` and the retry budget; a later attempt is a retry: counted, and emitted
 * with the error our `beforeRetry` hook recorded.
 */
export const createAccounting = ({ stats, budget, scopeOfRequest, emitRetry }: AccountingDeps): Layer => (next) => (request, init) => {
	const call = init?.steadfetch as CallState | undefined;
	if (call) {
		if (call.attempts++ === 0) {
			call.request = request;
			const scope = scopeOfRequest(request.url);
			call.scope = scope;
			stats.scope(scope).requests++;
			budget?.recordFirst(scope);
		} else {
			const error = call.retryError;
			call.retryError = undefined;
			const scope = call.scope ?? scopeOfRequest(request.url);
			stats.scope(scope).retries++;
			emitRetry({ scope, method: request.method, url: request.url, retryCount: call.attempts - 1, code: error ? classify(error).code : 'UNKNOWN', error });
		}
	}

	return next(request, init);
};
