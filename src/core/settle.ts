import type { ResponsePromise } from 'ky';
import { classify } from '../errors/classify.js';
import { isKys, noteResponse, type Call } from './call.js';
import { fallbackResponse } from './fallback.js';
import type { Counter, PolicyParts } from './policy.js';
import type { Stats } from './stats.js';

/** What counting a call's outcome needs of the client. */
export interface SettleDeps {
	readonly stats: Stats;
	/** The policies that watch outcomes (`settled`). */
	readonly watchers: readonly PolicyParts[];
	/** How `stats()` counts an outcome a policy made (a stale copy, a 202 or an error for a queued write). */
	substituted(outcome: unknown): Counter | undefined;
}

/**
 * How a call ends: its outcome counted in `stats()` and told to the watchers, on either path.
 * `direct`: the call is ky's own promise, its outcome counted by a reaction added before the
 * caller's. `wrapped`: the run of the wrappers, counted as it settles; the caller's abort rejects
 * with the caller's reason, and `fallback` answers what nothing else did.
 */
export const settling = (deps: SettleDeps) => {
	const { stats, watchers } = deps;

	/** Count a call's outcome: resolved (`ok`, a `ky.stop` resolves `undefined`) or rejected with `error`. */
	const settle = (call: Call, ok: boolean, response: Response | undefined, error: unknown): void => {
		const scope = call.scope;
		if (scope !== undefined) {
			const counters = stats.scope(scope);
			if (ok) {
				counters.successes++;
				const kind = response && !isKys(call, response) ? deps.substituted(response) : undefined;
				if (kind) {
					counters[kind]++;
				}
			} else {
				const code = call.signal?.aborted ? 'ABORTED' : classify(error).code;
				const kind = code === 'ABORTED' ? undefined : deps.substituted(error);
				if (kind) {
					counters[kind]++;
				} else {
					counters.failures[code] = (counters.failures[code] ?? 0) + 1;
				}
			}
		}

		for (const watcher of watchers) {
			try {
				watcher.settled!(call, response, error);
			} catch {
				// A watcher never fails a call.
			}
		}
	};

	const direct = (call: Call, promise: ResponsePromise): ResponsePromise => {
		promise.then((response) => {
			if (response) {
				noteResponse(call, response);
			}

			settle(call, true, response, undefined);
		}, (error: unknown) => {
			settle(call, false, undefined, error);
		});
		return promise;
	};

	const wrapped = (call: Call, run: Promise<Response>, fallback: unknown): Promise<Response> => run.then((response) => {
		settle(call, true, response, undefined);
		return response;
	}, async (error: unknown) => {
		settle(call, false, undefined, error);
		// The caller's abort rejects with the caller's reason, whatever the runtime's fetch threw.
		if (call.signal?.aborted) {
			throw call.signal.reason;
		}

		const { code } = classify(error);
		if (fallback === undefined || code === 'INVALID_REQUEST' || code === 'CLIENT_CLOSED' || deps.substituted(error)) {
			throw error;
		}

		// Nothing else answered (no stale copy): the degraded answer, marked and counted.
		const response = await fallbackResponse(fallback, error, call.request);
		if (call.scope !== undefined) {
			stats.scope(call.scope).fallbacks++;
		}

		return response;
	});

	return [direct, wrapped] as const;
};
