import { classify } from '../errors/classify.js';
import type { Health } from './health.js';
import type { Stats } from './stats.js';
import type { CallState } from './types.js';

interface OutcomeDeps {
	readonly stats: Stats;
	readonly health: Health;
	/** Whether a response was made by a policy (a stale copy, a 202 for a queued write): counted apart. */
	substituted(response: Response, counters: ReturnType<Stats['scope']>): void;
	/** With `logger`: one record per call, at its outcome. */
	readonly logCall: ((call: CallState, startedAt: number, response: Response | undefined, error: unknown) => void) | undefined;
}

/**
 * How a call's outcome is counted in `stats()`, health and the log. `call.response` is ky's response
 * (set before `succeeded`): a call that resolved with another one was answered by a policy.
 */
export const createOutcomes = ({ stats, health, substituted, logCall }: OutcomeDeps) => ({
	succeeded(call: CallState, response: Response, startedAt: number): void {
		if (call.scope !== undefined) {
			const counters = stats.scope(call.scope);
			counters.successes++;
			if (response !== call.response && response) {
				substituted(response, counters);
			}

			health.record(call, response);
		}

		logCall?.(call, startedAt, response, undefined);
	},

	/** The caller's abort counts as `ABORTED` (not in health), a queued write apart from failures. */
	failed(call: CallState, error: unknown, startedAt: number): void {
		const aborted = call.signal?.aborted === true;
		if (call.scope !== undefined) {
			const code = aborted ? 'ABORTED' : classify(error).code;
			const counters = stats.scope(call.scope);
			if (code === 'QUEUED') {
				counters.queued++;
			} else {
				counters.failures[code] = (counters.failures[code] ?? 0) + 1;
			}

			if (!aborted) {
				health.record(call, undefined, error);
			}
		}

		logCall?.(call, startedAt, undefined, error);
	},
});
