import type { RetryBudget } from '../retry/budget.js';
import { answer, localOf, type Call } from './call.js';
import type { Emitter } from './events.js';
import type { CoreClientOptions } from './options.js';
import type { PolicyContext } from './policy.js';
import type { Reach } from './reachability.js';
import type { Clock } from './types.js';
import { worldsOf } from './world.js';

/**
 * The context each policy is created with (`PolicyContext`): one per client, no handle on the client
 * itself. `budget`: the retry budget, unless it is off; `scopeOf` and `send` are known once the
 * policies are created and the client assembled: called, never at creation.
 */
export const policyContext = (options: CoreClientOptions, stores: Map<string, unknown>, clock: Clock, emit: PolicyContext['emit'], emitter: Emitter, budget: RetryBudget | undefined, reach: Reach, scopeOf: PolicyContext['scopeOf'], send: PolicyContext['send']): PolicyContext => {
	/** Indexes of the policies' per-call state (`PolicyContext.perCall`). */
	let locals = 0;
	const identity = (): string | undefined => {
		try {
			const who = options.identity?.();
			return typeof who === 'string' && who.length > 0 ? who : undefined;
		} catch {
			return undefined;
		}
	};

	return {
		name: options.name ?? 'steadfetch',
		clock,
		random: options.random ?? Math.random,
		options,
		stores,
		hooks: {},
		// The core's own events; the policies' are added once they are made (create-client.ts).
		levels: { 'retry': 'warn', 'budget:exhausted': 'warn', 'storage:error': 'error' },
		identity,
		world: () => worldsOf(stores).open(undefined, () => undefined),
		cleared: (part, identity) => worldsOf(stores).cleared(part, identity),
		removed: (part, id) => worldsOf(stores).removed(part, id),
		emit,
		listening: (type) => emitter.has(type),
		on: (type, listener) => emitter.on(type, listener),
		scopeOf,
		spendRetry: (scope) => budget?.tryRetry(scope).allowed ?? true,
		subrequest: (call) => (call as Call | undefined)?.invocation?.take() ?? true,
		reachability: (scope) => reach.state(scope),
		offline: (scope) => reach.offline(scope),
		late: (scope) => reach.late(scope),
		answer: (call, outcome) => answer(call as Call, outcome),
		perCall: (make) => {
			const index = locals++;
			return (call) => localOf(call as Call, index, make);
		},
		send,
	};
};
