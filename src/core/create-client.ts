import ky, { ForceRetryError, NetworkError, type Input, type Options as KyOptions, type RetryOptions } from 'ky';
import { classify } from '../errors/classify.js';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { RetryBudget, type RetryDecision } from '../retry/budget.js';
import { shouldRetry } from '../retry/should-retry.js';
import { originPrefixes } from '../shared/origins.js';
import { redact, sensitiveParamSet } from '../shared/sensitive.js';
import { answer, countAttempt, limit, localOf, takeFailure, type Call } from './call.js';
import { createCaller, type Method } from './caller.js';
import type { AnyClient, ClientStats, ContextClient, ContextOptions, ContextStats } from './client-types.js';
import { composeLayers } from './compose.js';
import { Emitter } from './events.js';
import { openInvocation, type Invocation, SubrequestsSpent } from './invocation.js';
import { mergeOptions } from './merge-options.js';
import { clientKeys, type CallOptions, type CoreClientOptions } from './options.js';
import { isPolicy, layerOrder, slotOrder, type PolicyContext, type PolicyParts, type SlotName } from './policy.js';
import { Reach } from './reachability.js';
import { originOf, requestOrigin, scopeFor } from './scope.js';
import { transportOf } from './transport.js';
import { createStats } from './stats.js';
import type { FetchInit, FetchLike, Layer } from './types.js';
import { check, isPositiveFinite } from './validate.js';
import { checkKyOptions, checkOptionsObject, stringifying } from './validate-options.js';

/** What an entry adds: how its options become the core's (the preset builds policies from plain options), and what it adds to each client it makes. */
export interface Entry<O> {
	resolve(options: O): CoreClientOptions;
	finish?(client: AnyClient, options: CoreClientOptions): void;
}

const methods: readonly Method[] = ['get', 'post', 'put', 'patch', 'delete', 'head', 'query'];

/** `totalTimeout` when the client gives none (ms; see `BaseClientOptions.totalTimeout`): every call is bounded. */
const defaultTotalTimeout = 20_000;

/** A retry that would start with less time than this left before the request's deadline is not made (ms; see `deadlineHeader`). */
const lastRetryMs = 50;

/** A header name as fetch takes it (RFC 9110 token). */
const headerName = /^[!#$%&'*+.^_`|~\w-]+$/;

const stringList = (value: unknown): boolean => value === undefined || (Array.isArray(value) && value.every((item) => typeof item === 'string'));

/**
 * Assemble a client from an entry's options (see `Entry`); `stores` holds the store instances shared with the clients this one extends.
 */
export function assemble<O extends object>(userOptions: O, entry: Entry<O>, stores = new Map<string, unknown>()): AnyClient {
	const options = entry.resolve(userOptions);
	checkKyOptions(options as Record<string, unknown>);
	const { storageTimeoutMs, sensitiveParams, sensitiveHeaders, deadlineHeader } = options;
	check(storageTimeoutMs === undefined || isPositiveFinite(storageTimeoutMs), 'storageTimeoutMs', storageTimeoutMs, 'a positive finite number of ms');
	check(deadlineHeader === undefined || (typeof deadlineHeader === 'string' && headerName.test(deadlineHeader)), 'deadlineHeader', deadlineHeader, 'a header name');
	check(stringList(sensitiveParams), 'sensitiveParams', sensitiveParams, 'an array of strings');
	check(stringList(sensitiveHeaders), 'sensitiveHeaders', sensitiveHeaders, 'an array of strings');
	const clock = options.clock ?? { now: () => Date.now() };
	const emitter = new Emitter();
	// A scope a policy holds (an open breaker, an unhealthy scope, pending outbox entries) keeps its counters.
	const stats = createStats((scope) => active.some((part) => part.holds?.(scope)));
	const { retryBudget } = options;
	const budget = retryBudget === false ? undefined : new RetryBudget(retryBudget === undefined || retryBudget === true ? {} : retryBudget, clock);
	let closed = false;
	/** Indexes of the policies' per-call state (`PolicyContext.perCall`). */
	let locals = 0;

	/**
	 * Every URL in an event has its sensitive query values removed (`url`, failover's `mirror`), and so
	 * has an error's message (ky's name the URL). An error of the same class stands in for such an
	 * error, and for any of ky's errors (their `request` and `options` hold the call's headers:
	 * `Authorization`, `Cookie`): without `request` and `options`, with the rest (`response`, `data`,
	 * `cause`) only when its message named no secret.
	 */
	let params: ReadonlySet<string> | undefined;
	const emit: PolicyContext['emit'] = (type, fields) => {
		if (emitter.has(type)) {
			params ??= sensitiveParamSet(context.options);
			const event = { type, time: clock.now(), ...fields } as Record<string, unknown>;
			for (const key of ['url', 'mirror']) {
				if (typeof event[key] === 'string') {
					event[key] = redact(event[key], params);
				}
			}

			const { error } = event;
			if (error instanceof Error) {
				const message = error.message.replace(/\S+\?\S*/g, (url) => redact(url, params!));
				const same = message === error.message;
				if (!same || 'request' in error) {
					// Of the same class (`instanceof HTTPError` holds), without `request` and `options`.
					const stand = Object.create(Object.getPrototypeOf(error) as object) as Record<string, unknown>;
					for (const key in error) {
						if (same && key !== 'request' && key !== 'options') {
							stand[key] = (error as unknown as Record<string, unknown>)[key];
						}
					}

					event['error'] = Object.assign(stand, { name: error.name, message, cause: same ? error.cause : undefined });
				}
			}

			emitter.emit(type, event as never);
		}
	};

	const reach = new Reach(clock, emit);
	const context: PolicyContext = {
		name: options.name ?? 'steadfetch',
		clock,
		random: options.random ?? Math.random,
		options: options as Readonly<Record<string, unknown>>,
		stores,
		hooks: {},
		identity() {
			try {
				const who = options.identity?.();
				return typeof who === 'string' && who.length > 0 ? who : undefined;
			} catch {
				return undefined;
			}
		},
		emit,
		listening: (type) => emitter.has(type),
		on: (type, listener) => emitter.on(type, listener),
		scopeOf: (url) => scopeOf(url),
		spendRetry: (scope) => budget?.tryRetry(scope).allowed ?? true,
		subrequest: (call) => (call as Call | undefined)?.invocation?.take() ?? true,
		reachability: (scope) => reach.state(scope),
		offline: (scope) => reach.holds(scope),
		answer: (call, outcome) => answer(call as Call, outcome),
		perCall: (make) => {
			const index = locals++;
			return (call) => localOf(call as Call, index, make);
		},
		send: (input, callOptions, replay) => call(undefined, input, callOptions as CallOptions, replay),
	};

	// Each slot's policy, created once.
	const parts = new Map<SlotName, PolicyParts>();
	for (const slot of slotOrder) {
		const value = (options as Record<string, unknown>)[slot];
		if (isPolicy(value)) {
			if (value.slot !== slot) {
				throw new RangeError(`\`${slot}\` must be a policy for the ${slot} slot; got one for \`${value.slot}\``);
			}

			parts.set(slot, value.create(context));
		} else {
			check(value === undefined || value === false, slot, value, `a policy (from \`steadfetch/${slot === 'staleCache' ? 'cache' : slot === 'adaptiveThrottle' ? 'throttle' : slot.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}\`) or false`);
		}
	}

	const active = [...parts.values()];
	const customScope = active.find((part) => part.scopeOf)?.scopeOf;
	const scopeOf = customScope ?? originOf;
	/** The scope of a `Request.url` (already normalized): cheap on every attempt. */
	const scopeOfRequest = customScope ?? requestOrigin;
	/** The client's own origins, as `Request.url` starts (`deadlineHeader`'s only destinations). */
	const own = deadlineHeader === undefined ? [] : originPrefixes(undefined, context.options);
	/** The calls of a request context whose attempts failed with an error (ky's `shouldRetry` sees it, or its `NetworkError`'s cause). */
	const owners = new WeakMap<object, Call>();
	const transport = transportOf(reach, scopeOfRequest, {
		stamp(request, deadline) {
			if (own.some((prefix) => request.url.startsWith(prefix))) {
				request.headers.set(deadlineHeader!, String(Math.max(0, Math.floor(deadline - clock.now()))));
			}
		},
		failed(call, failure) {
			if (call.invocation && typeof failure === 'object' && failure !== null) {
				owners.set(failure, call);
			}
		},
	});

	/** Count a retry the budget refused (and say so once per window). */
	const refused = (scope: string, decision: RetryDecision): boolean => {
		if (!decision.allowed) {
			stats.scope(scope).retriesRefused++;
			if (decision.firstRefusal) {
				emit('budget:exhausted', { scope, retries: decision.retries, allowed: decision.limit });
			}
		}

		return !decision.allowed;
	};

	/** Errors a retry attempt was refused with: when ky asks `shouldRetry` about them again, they are not counted twice. */
	const refusedErrors = new WeakSet<object>();

	/**
	 * Whether a retry of a call of a request context may not go (its request's deadline less than
	 * `lastRetryMs` away, or no subrequest left: counted and told once per context as a spent retry
	 * budget is, the call marked `limited`). Asked as ky decides and again as the retry goes out.
	 */
	const stops = (call: Call, scope: string): boolean => {
		const { invocation, deadline } = call;
		if (invocation?.deadline !== undefined && deadline! - clock.now() < lastRetryMs) {
			return true;
		}

		if (!invocation?.spent) {
			return false;
		}

		limit(call);
		stats.scope(scope).retriesRefused++;
		if (!invocation.told) {
			invocation.told = true;
			emit('budget:exhausted', { scope, retries: invocation.count, allowed: invocation.stop, reason: 'subrequests' });
		}

		return true;
	};


	/**
	 * The outermost per-attempt layer. The first attempt of a call fixes its Request and scope and
	 * counts toward `stats()` and the retry budget; a later attempt is a retry ky is sending, except
	 * the first attempt of a run a wrapper started again. A retry spends the retry budget here, where
	 * it really goes out (a retry a `beforeRetry` hook stopped, or a total timeout or abort that ended
	 * the call during the delay, never reaches this layer): when concurrent calls spent the budget
	 * meanwhile, the retry is refused and the call ends with the previous attempt's error (noted on
	 * the call by `shouldRetry` or the transport, or ky's own while somebody listens to `retry`). A
	 * retry the caller forced with `ky.retry()` is paid for, never refused. The caller's abort rejects with
	 * the caller's reason, whatever the runtime's fetch or a layer threw (workerd rejects an aborted
	 * fetch with an error of its own).
	 */
	const accounting: Layer = (next) => (request, init) => {
		const call = init?.steadfetch as Call | undefined;
		if (!call) {
			return next(request, init);
		}

		const kind = countAttempt(call, request, scopeOfRequest);
		const scope = call.scope!;
		if (kind === 'first') {
			stats.scope(scope).requests++;
			budget?.recordFirst(scope);
		} else if (kind === 'retry') {
			const error = takeFailure(call) as Error | undefined;
			const forced = !error || error instanceof ForceRetryError;
			if ((!forced && call.invocation && stops(call, scope)) || (budget && refused(scope, budget.tryRetry(scope, true, forced)))) {
				refusedErrors.add(error!);
				return Promise.reject(error);
			}

			stats.scope(scope).retries++;
			if (emitter.has('retry')) {
				// What ky's hooks see: a raw fetch failure as ky's NetworkError; no failure, a retry forced with `ky.retry()`.
				const shown = error instanceof TypeError ? new NetworkError(request, { cause: error }) : error ?? new ForceRetryError();
				emit('retry', { scope, method: request.method, url: request.url, retryCount: call.attempts - 1, code: classify(shown).code, error: shown });
			}

			if (call.invocation && !forced) {
				// Refused as it goes out after all (another call took the context's last subrequest meanwhile): the call ends with this error.
				return attempt(call, request, init, next).catch((reason: unknown) => {
					if (reason instanceof SubrequestsSpent) {
						stops(call, scope);
						refusedErrors.add(error);
						throw error;
					}

					throw reason;
				});
			}
		}

		return attempt(call, request, init, next);
	};

	/** An attempt sent: the caller's abort rejects with the caller's reason. */
	const attempt = (call: Call, request: Request, init: FetchInit | undefined, next: FetchLike): Promise<Response> => {
		const { signal } = call;
		return signal ? next(request, init).catch((error: unknown) => {
			throw signal.aborted ? signal.reason : error;
		}) : next(request, init);
	};

	const layers: Layer[] = [accounting];
	for (const slot of layerOrder) {
		const layer = parts.get(slot)?.layer;
		if (layer) {
			layers.push(layer);
		}
	}

	const userRetry: RetryOptions = typeof options.retry === 'number' ? { limit: options.retry } : options.retry ?? {};
	const onTimeout = userRetry.retryOnTimeout ?? true;
	/**
	 * Whether the retry ky is deciding (`shouldRetry`, before its delay) may go: the budget allows it
	 * (nothing is spent until it goes out), and the call's request context has time and subrequests
	 * left for it (the call known by ky's options, or by the error its attempt failed with).
	 */
	const ask = (error: object, url: string): boolean => {
		const { cause } = error as { cause?: object };
		if (refusedErrors.has(error) || refusedErrors.has(cause!)) {
			return false;
		}

		const scope = scopeOfRequest(url);
		const call = ((error as { options?: { steadfetch?: Call } }).options?.steadfetch ?? owners.get(error) ?? owners.get(cause!)) as Call | undefined;
		return !(budget && refused(scope, budget.tryRetry(scope, false))) && !(call?.invocation && stops(call, scope));
	};

	const kyOptions: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(options)) {
		if (!clientKeys.includes(key) && !(slotOrder as readonly string[]).includes(key)) {
			kyOptions[key] = value;
		}
	}

	const instance = ky.create({
		totalTimeout: defaultTotalTimeout,
		...kyOptions,
		fetch: composeLayers(layers, transport((options.fetch as FetchLike | undefined) ?? ((request, init) => globalThis.fetch(request, init)))),
		stringifyJson: stringifying(options.stringifyJson),
		retry: {
			jitter: (delay: number) => context.random() * delay,
			retryOnTimeout: true,
			backoffLimit: 30_000,
			maxRetryAfter: 30_000,
			...userRetry,
			shouldRetry: shouldRetry(userRetry.shouldRetry, onTimeout, ask),
		},
	} as KyOptions);

	const wrappers = slotOrder.flatMap((slot) => parts.get(slot)?.wrap ? [parts.get(slot)!] : []);
	const call = createCaller({
		instance,
		layers,
		transport,
		wrappers,
		watchers: active.filter((part) => part.settled),
		stats,
		admitUnsafe: userRetry.methods === undefined,
		keyed: new Set((userRetry.methods ?? []).map((method) => method.toUpperCase()).filter((method) => method === 'POST' || method === 'PATCH')),
		identity: options.identity,
		fallback: options.fallback,
		parseJson: options.parseJson,
		closed: () => closed,
		// With `deadlineHeader`: the call is over at its `totalTimeout`, or at its request's deadline when sooner.
		deadlineOf: deadlineHeader === undefined ? undefined : (invocation, limit = options.totalTimeout ?? defaultTotalTimeout) => {
			const at = Math.min(typeof limit === 'number' ? clock.now() + limit : Number.POSITIVE_INFINITY, invocation?.deadline ?? Number.POSITIVE_INFINITY);
			return at === Number.POSITIVE_INFINITY ? undefined : at;
		},
		clock,
		substituted(response) {
			for (const part of active) {
				const kind = part.substituted?.(response);
				if (kind) {
					return kind;
				}
			}

			return undefined;
		},
		retryFor(own) {
			if (typeof own === 'number') {
				return { limit: own };
			}

			const rules = own as RetryOptions | undefined;
			// A call that brings its own rules gets our `shouldRetry` around them (ky would replace ours).
			return rules && (rules.shouldRetry || rules.retryOnTimeout !== undefined)
				? { ...rules, shouldRetry: shouldRetry(rules.shouldRetry ?? userRetry.shouldRetry, rules.retryOnTimeout ?? onTimeout, ask) }
				: rules;
		},
	});

	/** The client's call functions, each call of the request context `invocation` (`withContext`). */
	const bind = (invocation?: Invocation): AnyClient => {
		const client = ((input: Input, callOptions?: CallOptions) => call(undefined, input, callOptions, false, invocation)) as AnyClient;
		for (const method of methods) {
			client[method] = ((input: Input, callOptions?: CallOptions) => call(method, input, callOptions, false, invocation)) as AnyClient['get'];
		}

		return client;
	};

	const client = bind();
	client.extend = ((more: O | ((parent: O) => O)) => {
		const merged = mergeOptions(userOptions, typeof more === 'function' ? more(userOptions) : more);
		const same = (merged as CoreClientOptions).name === options.name && (merged as CoreClientOptions).store === options.store;
		return assemble(merged, entry, same ? stores : undefined);
	}) as AnyClient['extend'];

	client.create = ((fresh?: O) => {
		checkOptionsObject(fresh);
		return assemble(fresh ?? {} as O, entry);
	}) as AnyClient['create'];

	client.withContext = (ctx, contextOptions?: ContextOptions) => {
		if (typeof ctx?.waitUntil !== 'function') {
			throw new TypeError('`withContext(ctx)` takes an object with a `waitUntil` function (a Worker\'s ExecutionContext)');
		}

		const invocation = openInvocation(ctx, contextOptions, deadlineHeader, clock.now());
		const bound = bind(invocation) as ContextClient;
		bound.stats = () => Object.assign(client.stats(), { subrequests: invocation.count }) as ContextStats;
		// With the members a policy binds to the request (the outbox's: its replays hand their work to its waitUntil).
		return Object.defineProperties(Object.setPrototypeOf(bound, client), Object.getOwnPropertyDescriptors(Object.assign({}, ...active.map((part) => part.membersFor?.(invocation.waitUntil))))) as ContextClient;
	};

	Object.assign(client, { stop: ky.stop, retry: ky.retry });
	client.on = ((type: string, listener: (event: never) => void) => emitter.on(type as never, listener)) as AnyClient['on'];
	client.stats = () => {
		const result: ClientStats = {};
		for (const [scope, counters] of stats.entries()) {
			const row: ClientStats[string] = { ...counters, failures: { ...counters.failures } };
			for (const part of active) {
				Object.assign(row, part.stats?.(scope));
			}

			result[scope] = row;
		}

		return result;
	};

	client.clear = async (clearOptions) => {
		// Nothing (everything), or `{ identity }` alone with a non-empty string: anything else removes nothing.
		const identity = clearOptions?.identity;
		if (clearOptions !== undefined && (typeof identity !== 'string' || identity.length === 0 || Object.keys(Object(clearOptions)).join() !== 'identity')) {
			throw new InvalidRequestError('`clear()` takes nothing or `{ identity }` with a non-empty string: nothing removed');
		}

		await Promise.all(active.map(async (part) => part.clear?.(identity === undefined ? undefined : { identity })));
	};

	// A URL resolved as a call's is (prefix, baseUrl); with a custom `scope`, a string without `://` names a scope.
	client.reachability = (urlOrScope) => reach.state(scopeFor(urlOrScope, scopeOf, options, customScope !== undefined));

	// `navigator.onLine` changed: the scopes whose state follows it say so (`reachability`).
	const recheck = (): void => reach.recheck();
	const target = globalThis as Partial<EventTarget>;
	target.addEventListener?.('online', recheck);
	target.addEventListener?.('offline', recheck);
	client.close = () => {
		if (!closed) {
			closed = true;
			target.removeEventListener?.('online', recheck);
			target.removeEventListener?.('offline', recheck);
			for (const part of active) {
				part.close?.();
			}

			emitter.clear();
		}
	};

	for (const part of active) {
		for (const [name, value] of Object.entries(part.members ?? {})) {
			// `waitForHealthy` stays an assignable method (for spies); the handles are fixed properties.
			Object.defineProperty(client, name, { value, writable: name === 'waitForHealthy', enumerable: true });
		}
	}

	entry.finish?.(client, options);
	for (const part of active) {
		part.start?.();
	}

	return client;
}
