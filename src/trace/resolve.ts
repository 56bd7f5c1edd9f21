import type { CoreClientOptions } from '../core/options.js';
import { isPolicy } from '../core/policy.js';
import { trace } from './index.js';

/** The core's options with `trace: true` or trace options turned into the trace policy. */
export const withTrace = <O extends { trace?: unknown }>(options: O): CoreClientOptions => {
	const value = options.trace;
	if (value === true || (typeof value === 'object' && value !== null && !isPolicy(value))) {
		return { ...options, trace: trace(value === true ? {} : value as object) } as CoreClientOptions;
	}

	return options as CoreClientOptions;
};
