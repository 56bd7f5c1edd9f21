import type { RetryBudget } from '../retry/budget.js';
import { withDeadline } from '../shared/deadline.js';
import { defaultSensitiveParams, sensitiveParamSet, sensitiveSet } from '../shared/sensitive.js';
import type { KeyValueStore } from '../stores/types.js';
import type { Emitter } from './events.js';
import type { CoreClientOptions } from './options.js';
import type { PolicyContext } from './policy.js';
import type { Clock } from './types.js';
import { check, isPositiveFinite } from './validate.js';

interface ContextDeps {
	readonly clock: Clock;
	readonly random: () => number;
	readonly name: string;
	readonly emitter: Emitter;
	readonly budget: RetryBudget | undefined;
	/** Store instances per namespace, shared by clients of one name and store (`extend()`). */
	readonly registry: Map<string, KeyValueStore>;
	scopeOf(url: string): string;
	send: PolicyContext['send'];
}

/** What the client gives every policy (see `PolicyContext`): made once per client. */
export const createContext = (options: CoreClientOptions, { clock, random, name, emitter, budget, registry, scopeOf, send }: ContextDeps): PolicyContext => {
	const storageTimeoutMs = options.storageTimeoutMs ?? 500;
	check(isPositiveFinite(storageTimeoutMs), 'storageTimeoutMs', storageTimeoutMs, 'a positive finite number of ms');
	const emit: PolicyContext['emit'] = (type, fields) => {
		if (emitter.has(type)) {
			emitter.emit(type, { type, time: clock.now(), ...fields } as never);
		}
	};

	return {
		name,
		clock,
		random,
		timeout: options.timeout,
		options: options as Readonly<Record<string, unknown>>,
		identity() {
			try {
				const who = options.identity?.();
				return typeof who === 'string' && who.length > 0 ? who : undefined;
			} catch {
				return undefined;
			}
		},
		sensitive: {
			headers: sensitiveSet('sensitiveHeaders', options.sensitiveHeaders ?? []),
			params: sensitiveParamSet(options.sensitiveParams ?? defaultSensitiveParams),
		},
		emit,
		listening: (type) => emitter.has(type),
		on: (type, listener) => emitter.on(type, listener),
		scopeOf,
		storeFor(part, fallback) {
			const key = `${name}/${part}`;
			let store = registry.get(key);
			if (!store) {
				store = withDeadline((options.store ?? fallback)(key), storageTimeoutMs);
				registry.set(key, store);
			}

			return store;
		},
		spendRetry: (scope) => budget?.tryRetry(scope).allowed ?? true,
		storageError(part, operation, error, key) {
			emit('storage:error', { scope: '', part, operation, error, ...(key === undefined ? {} : { key }) });
		},
		send,
	};
};
