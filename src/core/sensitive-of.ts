import type { PolicyContext } from './policy.js';
import { sensitiveParamSet, sensitiveSet } from '../utils/sensitive.js';

/** What a client never stores or logs: header names (lower-case, credential headers included) and query parameter names. */
export interface Sensitive {
	readonly headers: ReadonlySet<string>;
	readonly params: ReadonlySet<string>;
}

const made = new WeakMap<PolicyContext, Sensitive>();

/** The client's sensitive names (`sensitiveHeaders`, `sensitiveParams`), made once per client by the first part that stores or logs. */
export const sensitiveOf = (context: PolicyContext): Sensitive => {
	let sensitive = made.get(context);
	if (!sensitive) {
		sensitive = {
			headers: sensitiveSet('sensitiveHeaders', context.options.sensitiveHeaders ?? []),
			params: sensitiveParamSet(context.options),
		};
		made.set(context, sensitive);
	}

	return sensitive;
};
