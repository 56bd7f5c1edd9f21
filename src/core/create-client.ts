import ky, { type Input, type Options as KyOptions } from 'ky';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { SteadfetchError } from '../errors/SteadfetchError.js';
import { RetryBudget } from '../retry/budget.js';
import { redact } from '../shared/sensitive.js';
import { createShouldRetry } from '../retry/should-retry.js';
import type { KeyValueStore } from '../stores/types.js';
import { createAccounting } from './accounting.js';
import { createCaller } from './call.js';
import type { Client, ClientStats } from './client-types.js';
import { systemClock } from './clock.js';
import { createContext } from './context.js';
import { Emitter } from './events.js';
import { mergeOptions } from './merge-options.js';
import type { CallOptions, CoreClientOptions } from './options.js';
import { isPolicy, slotOrder, type PolicyContext, type PolicyParts } from './policy.js';
import { originOf, requestOrigin } from './scope.js';
import { clientMembers } from './policy-apis.js';
import { Stats } from './stats.js';
import { Health } from './health.js';
import { checkLogger, createLogging, type Logger } from './logger.js';
import { createKy } from './ky-instance.js';
import type { Layer } from './types.js';
import { checkOptionsObject, checkTimeouts } from './validate-options.js';

/** How an entry turns its options into the core's: the main entry builds policies from plain options. */
export type Resolve<O> = (options: O) => CoreClientOptions;

/** Store instances per namespace, shared by clients of one name and store (`extend()`). */
type Registry = Map<string, KeyValueStore>;

const methods = ['get', 'post', 'put', 'patch', 'delete', 'head', 'query'] as const;

/**
 * Assemble a client from an entry's options. `resolve` turns them into the core's (slots filled
 * with policies); `registry` holds the store instances shared with the clients this one extends.
 */
export function assemble<O extends object>(userOptions: O, resolve: Resolve<O>, registry: Registry = new Map()): Client<O> {
	const options = resolve(userOptions);
	checkTimeouts(options as KyOptions);
	const clock = options.clock ?? systemClock;
	const random = options.random ?? Math.random;
	const name = options.name ?? 'steadfetch';
	const emitter = new Emitter();
	const stats = new Stats();
	const health = new Health(options, { clock, emit: (type, fields) => context.emit(type, fields) });
	const budget = options.retryBudget === false ? undefined : new RetryBudget(options.retryBudget ?? {}, clock);
	let closed = false;
	let send: PolicyContext['send'] = () => {
		throw new SteadfetchError('The client is still being created', 'CLIENT_CLOSED', false);
	};

	const context = createContext(options, {
		clock, random, name, emitter, budget, registry,
		scopeOf: (url) => scopeOf(url),
		send: (input, callOptions) => send(input, callOptions),
	});
	const { emit } = context;
	const logger = (options as { logger?: Logger }).logger;
	checkLogger(logger);

	// Each slot's policy, created once, in the library's order.
	const active: PolicyParts[] = [];
	for (const slot of slotOrder) {
		const value = (options as Record<string, unknown>)[slot];
		if (isPolicy(value)) {
			if (value.slot !== slot) {
				throw new RangeError(`\`${slot}\` must be a policy for the ${slot} slot; got one for \`${value.slot}\``);
			}

			const part = value.create(context);
			active.push(part);
		} else if (value !== undefined && value !== false && !(slot === 'cache' && typeof value === 'string')) {
			throw new RangeError(`\`${slot}\` must be a policy (from \`steadfetch/${slot === 'rateLimit' ? 'rate-limit' : slot}\`) or false; got ${typeof value}`);
		}
	}

	const customScope = active.find((part) => part.scopeOf)?.scopeOf;
	const scopeOf = customScope ?? originOf;
	/** The scope of a `Request.url` (normalized by the Request): cheap on every call. */
	const scopeOfRequest = customScope ?? requestOrigin;

	const accounting = createAccounting({
		stats,
		budget,
		scopeOfRequest,
		emitRetry: (fields) => emit('retry', { ...fields, url: redact(fields.url, context.sensitive.params) }),
	});
	const layers: Layer[] = [accounting, ...active.flatMap((part) => part.layer ? [part.layer] : [])];
	const wrappers = active.filter((part) => part.wrap);

	const { instance, retry: userRetry } = createKy(options, {
		layers,
		random,
		clock,
		shouldRetry: createShouldRetry({
			budget,
			scopeOf: scopeOfRequest,
			onRefused(scope, decision) {
				stats.scope(scope).retriesRefused++;
				if (decision.firstRefusal) {
					emit('budget:exhausted', { scope, retries: decision.retries, allowed: decision.limit });
				}
			},
		}),
	});

	const call = createCaller({
		instance,
		layers,
		wrappers,
		stats,
		admitUnsafe: userRetry.methods === undefined,
		keyed: new Set((userRetry.methods ?? []).map((method) => method.toUpperCase()).filter((method) => method === 'POST' || method === 'PATCH')),
		closed: () => closed,
		identity: options.identity,
		substituted: (response, counters) => {
			for (const part of active) {
				const kind = part.substituted?.(response);
				if (kind) {
					counters[kind]++;
					return;
				}
			}
		},
		clientFallback: (options as { fallback?: unknown }).fallback,
		parseJson: options.parseJson,
		health,
		wantsRetryError: () => emitter.has('retry'),
		logCall: logger && createLogging(logger, context.sensitive.params, clock, (type, listener) => emitter.on(type, listener)),
	});

	const client = ((input: Input, callOptions?: CallOptions) => call(undefined, input, callOptions)) as Client<O>;
	for (const method of methods) {
		client[method] = ((input: Input, callOptions?: CallOptions) => call(method, input, callOptions)) as Client['get'];
	}

	send = (input, callOptions) => client(input, callOptions as CallOptions);
	client.extend = (more) => {
		const merged = mergeOptions(userOptions, typeof more === 'function' ? more(userOptions) : more);
		const same = (merged as CoreClientOptions).name === options.name && (merged as CoreClientOptions).store === options.store;
		return assemble(merged, resolve, same ? registry : new Map());
	};

	client.create = (fresh) => {
		checkOptionsObject(fresh);
		return assemble((fresh ?? {}) as O, resolve);
	};

	Object.assign(client, { stop: ky.stop, retry: ky.retry });
	client.on = ((type: string, listener: (event: never) => void) => emitter.on(type as never, listener)) as Client['on'];
	client.stats = () => {
		const result: ClientStats = {};
		for (const [scope, counters] of stats.entries()) {
			const row: ClientStats[string] = { ...counters, failures: { ...counters.failures }, ...health.stats(scope) };
			for (const part of active) {
				Object.assign(row, part.stats?.(scope));
			}

			result[scope] = row;
		}

		return result;
	};

	client.clear = async (clearOptions) => {
		const identity = clearOptions?.identity;
		if (identity !== undefined && (typeof identity !== 'string' || identity.length === 0)) {
			throw new InvalidRequestError(`\`clear({ identity })\` takes a non-empty string; got ${typeof identity}`);
		}

		await Promise.all(active.map(async (part) => part.clear?.(identity === undefined ? undefined : { identity })));
	};

	client.close = () => {
		if (closed) {
			return;
		}

		closed = true;
		for (const part of active) {
			part.close?.();
		}

		emitter.clear();
	};

	clientMembers(client as unknown as Client, active, scopeOf);
	for (const part of active) {
		part.start?.();
	}

	return client;
}
