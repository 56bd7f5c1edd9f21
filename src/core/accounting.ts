import { classify } from '../errors/classify.js';
import type { RetryBudget } from '../retry/budget.js';
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
 * The outermost per-attempt layer. The first attempt of a call fixes its Request and scope and
 * counts toward `stats()` and the retry budget; a later attempt is a retry: counted, and emitted
 * with the error the call's `beforeRetry` hook recorded (src/core/call.ts) — except the first
 * attempt of a run a wrapper started again (`restart`), which is its own run, not ky's retry.
 * The error is known only while somebody listens to `retry` (else the call adds no hook): a listener
 * added during a call may see `code: 'UNKNOWN'` for that call's retries.
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
		} else if (call.restart) {
			call.restart = false; // A wrapper sent the call again: a new run, not a retry.
		} else {
			const error = call.retryError;
			call.retryError = undefined;
			const scope = call.scope ?? scopeOfRequest(request.url);
			stats.scope(scope).retries++;
			emitRetry({ scope, method: request.method, url: request.url, retryCount: call.attempts - 1, code: error ? classify(error).code : 'UNKNOWN', error });
		}

		const { signal } = call;
		if (signal) {
			// The caller's abort rejects with the caller's reason, whatever the runtime's fetch or a
			// layer threw (workerd rejects an aborted fetch with an error of its own); ky passes an
			// error it does not know through unchanged.
			return next(request, init).catch((error: unknown) => {
				throw signal.aborted ? signal.reason : error;
			});
		}
	}

	return next(request, init);
};
