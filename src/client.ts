import ky, { type Input, type KyInstance, type Options as KyOptions, type ResponsePromise } from 'ky';
import { systemClock } from './core/clock.js';
import { composeLayers } from './core/compose.js';
import { normalizeTransport } from './core/transport.js';
import { Emitter } from './core/events.js';
import { createBreaker } from './breaker/breaker.js';
import type { EventMap, EventType } from './core/event-types.js';
import type { BreakerFeature, CacheFeature, Feature, FeatureContext, OuterCall, OutboxFeature } from './core/feature.js';
import { makeResponsePromise } from './core/response-promise.js';
import { originOf, requestOrigin } from './core/scope.js';
import { Stats, type ScopeStats } from './core/stats.js';
import type { CallState, FetchLike, Layer } from './core/types.js';
import { check, isNonNegativeFinite, isNonNegativeInteger } from './core/validate.js';
import { classify } from './errors/classify.js';
import { isStale } from './cache/is-stale.js';
import { InvalidRequestError } from './errors/InvalidRequestError.js';
import { SteadfetchError } from './errors/SteadfetchError.js';
import type { CallOptions, ClientOptions } from './options.js';
import { RetryBudget } from './retry/budget.js';
import { createShouldRetry, unsafeRetryMethods } from './retry/should-retry.js';
import { autoStore } from './stores/auto.js';
import { createCache } from './cache/create-cache.js';
import type { KeyValueStore } from './stores/types.js';
import type { Outbox } from './outbox/types.js';
import { createOutbox } from './outbox/outbox.js';

/** The state of one scope's breaker. */
export interface BreakerSnapshot {
	/** The origin by default. */
	scope: string;
	state: 'closed' | 'open' | 'half-open';
	consecutiveFailures: number;
	/** Epoch ms, from the injected clock. */
	openedAt?: number;
	/** Epoch ms, from the injected clock. */
	reopensAt?: number;
}

/** `client.stats()`: counters per scope. */
export type ClientStats = Record<string, ScopeStats & { breaker?: BreakerSnapshot }>;

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head';
type Call = <T = unknown>(input: Input, options?: CallOptions) => ResponsePromise<T>;

/** A steadfetch client: call it like ky. */
export interface Client extends Call {
	get: Call;
	post: Call;
	put: Call;
	patch: Call;
	delete: Call;
	head: Call;
	/** A new client with these options merged over this one's. Shares persisted state only under the same `name`. */
	extend(options: ClientOptions): Client;
	/** The outbox. Throws a `SteadfetchError` (`OUTBOX_DISABLED`) if the client has none. */
	readonly outbox: Outbox;
	/** The breaker of a URL's scope (a closed snapshot when the breaker is off). */
	breaker(urlOrOrigin: string | URL): BreakerSnapshot;
	/** The stale cache. */
	readonly cache: { delete(url: string | URL): Promise<void>; clear(): Promise<void> };
	/** Subscribe to an event; returns the unsubscribe function. */
	on<T extends EventType>(type: T, listener: (event: EventMap[T]) => void): () => void;
	/** Counters per scope. */
	stats(): ClientStats;
	/** Wipe every persisted record of this client: cache, outbox, breaker state. */
	clear(): Promise<void>;
	/** Stop timers, listeners, channels; further calls reject with a `SteadfetchError` (`CLIENT_CLOSED`). */
	close(): void;
}

const ourKeys = ['retryBudget', 'breaker', 'cache', 'outbox', 'store', 'name', 'clock', 'random'] as const;
const methods: Method[] = ['get', 'post', 'put', 'patch', 'delete', 'head'];

/** Shared per-name store instances, so `extend()` under the same name shares persisted state. */
type StoreRegistry = Map<string, KeyValueStore>;

const validateTimeouts = (options: KyOptions): void => {
	for (const key of ['timeout', 'totalTimeout'] as const) {
		const value = options[key];
		if (value !== undefined && value !== false) {
			check(isNonNegativeFinite(value), key, value, 'a non-negative finite number of ms or false');
		}
	}

	const { retry } = options;
	const limit = typeof retry === 'number' ? retry : retry?.limit;
	if (limit !== undefined) {
		check(isNonNegativeInteger(limit), 'retry.limit', limit, 'a non-negative integer');
	}
};

/**
 * Create a client. Every ky option works unchanged; see `ClientOptions` for the rest.
 *
 * @example
 * const api = createClient({ baseUrl: 'https://api.example.com/v1/', timeout: 8_000 });
 * const user = await api.get('users/1').json();
 */
export function createClient(options: ClientOptions = {}): Client {
	return create(options, new Map());
}

/** `createClient`, with the store instances to share (`extend()` under the same name and store). */
function create(options: ClientOptions, registry: StoreRegistry): Client {
	validateTimeouts(options as unknown as KyOptions);
	const clock = options.clock ?? systemClock;
	const random = options.random ?? Math.random;
	const name = options.name ?? 'steadfetch';
	const storeFactory = options.store ?? autoStore;
	const emitter = new Emitter();
	const stats = new Stats();
	const budget = options.retryBudget === false ? undefined : new RetryBudget(options.retryBudget ?? {}, clock);
	const customScope = options.breaker ? options.breaker.scope : undefined;
	const scopeOf = customScope ?? originOf;
	/** The scope of a `Request.url` (normalized by the Request): cheap on every call. */
	const scopeOfRequest = customScope ?? requestOrigin;

	const emit = <T extends EventType>(type: T, fields: Omit<EventMap[T], 'type' | 'time'>): void => {
		if (emitter.has(type)) {
			emitter.emit(type, { type, time: clock.now(), ...fields } as EventMap[T]);
		}
	};

	let self: Client | undefined;
	const context: FeatureContext = {
		name,
		clock,
		random,
		emitter,
		emit,
		scopeOf,
		storeFor(part) {
			const key = `${name}/${part}`;
			let store = registry.get(key);
			if (!store) {
				store = storeFactory(key);
				registry.set(key, store);
			}

			return store;
		},
		storageError(part, operation, error, key) {
			emit('storage:error', { scope: '', part, operation, error, ...(key === undefined ? {} : { key }) });
		},
		client: () => self!,
	};

	// The features, each created once. Wrappers run in this order, outermost first.
	const breaker: BreakerFeature | undefined = options.breaker === false ? undefined : createBreaker(context, options.breaker ?? {}, options.timeout);
	const cache: CacheFeature | undefined = options.cache === false ? undefined : createCache(context, options.cache ?? {});
	const outbox: OutboxFeature | undefined = options.outbox ? createOutbox(context, options.outbox === true ? {} : options.outbox) : undefined;
	const features: Feature[] = [breaker, outbox, cache].filter((feature): feature is NonNullable<typeof feature> => feature !== undefined);

	/**
	 * Retries are told where they happen: each attempt after a call's first is one (exact, after
	 * ky's delay and its `beforeRetry` hooks). ky's error that caused it is handed over by
	 * `shouldRetry`, which ky asks before every retry: an HTTPError carries the call's options;
	 * a TimeoutError the Request that was sent (`sent`); a NetworkError the copy ky will send next
	 * (`upcoming`). No `beforeRetry` hook of ours: ky would merge the hooks into every call's options.
	 */
	const sent = new WeakMap<Request, CallState>();
	const upcoming = new WeakMap<Request, Error>();
	const handOver = (error: Error): void => {
		const { options, request } = error as { options?: { steadfetch?: CallState }; request?: Request };
		const state = options?.steadfetch ?? (request && sent.get(request));
		if (state) {
			state.retryError = error;
		} else if (request) {
			upcoming.set(request, error);
		}
	};

	// Per-attempt accounting: the first attempt of a call counts toward the budget and stats, a later
	// one is a retry.
	const accounting: Layer = (next) => (request, init) => {
		const state = init?.steadfetch;
		if (state) {
			sent.set(request, state);
			if (state.attempts++ === 0) {
				state.request = request;
				const scope = scopeOfRequest(request.url);
				state.scope = scope;
				stats.scope(scope).requests++;
				budget?.recordFirst(scope);
			} else {
				const error = state.retryError ?? upcoming.get(request);
				state.retryError = undefined;
				const scope = scopeOfRequest(request.url);
				stats.scope(scope).retries++;
				emit('retry', { scope, method: request.method, url: request.url, retryCount: state.attempts - 1, code: error ? classify(error).code : 'UNKNOWN', error });
			}
		}

		return next(request, init);
	};

	// The breaker is the innermost layer, next to the transport: it counts only attempts that really
	// go out, so what the outbox and the cache answer without I/O (offline, queued behind, a refresh
	// already running) never reaches it.
	const layers: Layer[] = [accounting];
	for (const feature of [outbox, cache, breaker]) {
		if (feature?.layer) {
			layers.push(feature.layer);
		}
	}

	const wrappers = features.filter((feature) => feature.wrap);

	const kyOptions: Record<string, unknown> = { ...options };
	for (const key of ourKeys) {
		delete kyOptions[key];
	}

	const userRetry = typeof options.retry === 'number' ? { limit: options.retry } : options.retry ?? {};
	/** Unless the user chose `retry.methods`, POST and PATCH calls add them (see `call`). */
	const admitUnsafe = userRetry.methods === undefined;
	const baseFetch: FetchLike = (options.fetch as FetchLike | undefined) ?? ((request, init) => globalThis.fetch(request, init));
	const composedFetch = composeLayers(layers, normalizeTransport(baseFetch));

	const instance: KyInstance = ky.create({
		...kyOptions,
		fetch: composedFetch as typeof fetch,
		retry: {
			jitter: (delay: number) => random() * delay,
			retryOnTimeout: true,
			backoffLimit: 30_000,
			...userRetry,
			shouldRetry: createShouldRetry({
				user: userRetry.shouldRetry,
				budget,
				scopeOf: scopeOfRequest,
				handOver,
				onRefused(scope, decision) {
					stats.scope(scope).retriesRefused++;
					if (decision.firstRefusal) {
						emit('budget:exhausted', { scope, retries: decision.retries, allowed: decision.limit });
					}
				},
			}),
		},
	} as KyOptions);

	let closed = false;

	const startKy = (method: string | undefined, input: Input, callOptions: Record<string, unknown>): ResponsePromise => {
		try {
			return method ? instance[method as Method](input, callOptions) : instance(input, callOptions);
		} catch (error) {
			// ky builds the Request synchronously: an invalid URL or option lands here, before any I/O.
			const message = error instanceof Error ? error.message : String(error);
			return Promise.reject(new InvalidRequestError(`Invalid request: ${message}`, { cause: error })) as ResponsePromise;
		}
	};

	const call = (method: Method | undefined, input: Input, callOptions: CallOptions = {}): ResponsePromise => {
		if (closed) {
			return Promise.reject(new SteadfetchError('The client is closed', 'CLIENT_CLOSED', false)) as ResponsePromise;
		}

		try {
			if (callOptions.timeout !== undefined || callOptions.totalTimeout !== undefined || callOptions.retry !== undefined) {
				validateTimeouts(callOptions as unknown as KyOptions);
			}

			const key = callOptions.idempotencyKey;
			check(key === undefined || key === true || (typeof key === 'string' && key.length > 0 && key.length <= 255 && !/[\r\n]/.test(key)), 'idempotencyKey', key, 'true or a non-empty string of at most 255 characters without line breaks');
		} catch (error) {
			return Promise.reject(new InvalidRequestError((error as Error).message, { cause: error })) as ResponsePromise;
		}

		const { cache: cacheFlag, outbox: outboxFlag, breaker: breakerFlag, idempotencyKey } = callOptions;
		const state: CallState = {
			attempts: 0,
			signal: callOptions.signal ?? undefined,
			cache: cacheFlag === false ? false : undefined,
			breaker: breakerFlag,
			outbox: outboxFlag,
			idempotencyKey: idempotencyKey === true ? crypto.randomUUID() : idempotencyKey,
		};
		// What ky gets: the call's options without ours (a copy: the caller's object is left as it is).
		const forKy: Record<string, unknown> = { ...callOptions, steadfetch: state };
		if (cacheFlag !== undefined || outboxFlag !== undefined || breakerFlag !== undefined || idempotencyKey !== undefined) {
			for (const key of ['cache', 'outbox', 'breaker', 'idempotencyKey']) {
				delete forKy[key];
			}
		}
		if (typeof cacheFlag === 'string') {
			forKy['cache'] = cacheFlag;
			if (cacheFlag === 'no-store') {
				state.cache = false;
			}
		}

		const ownRetry = forKy['retry'];
		const verb = (method ?? (callOptions.method as string | undefined) ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
		const unsafe = admitUnsafe && (verb === 'POST' || verb === 'PATCH');
		if (typeof ownRetry === 'number' || unsafe) {
			// A number merges as a limit (ky would replace our defaults: no jitter, no budget). POST and
			// PATCH join ky's retried methods per call, not in every call's options (ky normalizes
			// them on each attempt), and only `shouldRetry` lets them retry: with an Idempotency-Key.
			forKy['retry'] = {
				...(unsafe ? { methods: unsafeRetryMethods } : {}),
				...(typeof ownRetry === 'number' ? { limit: ownRetry } : ownRetry as object | undefined),
			};
		}

		if (forKy['fetch']) {
			// A per-call transport still goes through the layers.
			forKy['fetch'] = composeLayers(layers, normalizeTransport(forKy['fetch'] as FetchLike));
		}

		const run = (): Promise<Response> => {
			if (state.idempotencyKey !== undefined) {
				// Fixed by now (the outbox's wrapper may pick it before it calls on): a per-call header, so
				// ky's Request and every retry's clone carry it.
				const headers = new Headers(forKy['headers'] as HeadersInit | undefined);
				headers.set('idempotency-key', state.idempotencyKey);
				forKy['headers'] = headers;
			}

			if (state.held) {
				// A wrapper knows the attempt will be held without I/O (the outbox, offline): no retries,
				// so ky does not clone the request (a tee of its body) for them.
				forKy['retry'] = { ...forKy['retry'] as object | undefined, limit: 0 };
			}

			const promise = startKy(method, input, forKy);
			state.kyPromise = promise;
			for (const start of state.onKyStart ?? []) {
				start(promise);
			}

			// Without wrappers, ky's response is the call's: `counted` below records it.
			return wrappers.length === 0 ? promise : promise.then((response) => {
				state.response = response;
				return response;
			});
		};

		let outcome: Promise<Response>;
		if (wrappers.length === 0) {
			outcome = run();
		} else {
			const outer: OuterCall = {
				method: verb,
				input: input as string | URL | Request,
				options: callOptions as Record<string, unknown>,
				state,
			};
			let next = run;
			for (let index = wrappers.length - 1; index >= 0; index--) {
				const feature = wrappers[index]!;
				if (!feature.appliesTo || feature.appliesTo(outer)) {
					const inner = next;
					next = () => feature.wrap!(outer, inner);
				}
			}

			outcome = next();
		}

		const counted = outcome.then((response) => {
			if (wrappers.length === 0) {
				state.response = response;
			}

			if (state.scope !== undefined) {
				const counters = stats.scope(state.scope);
				counters.successes++;
				if (response !== state.response) {
					// A response a wrapper made: a stale copy, or a 202 for a queued mutation.
					if (isStale(response)) {
						counters.stale++;
					} else if (response.status === 202) {
						counters.queued++;
					}
				}
			}

			return response;
		}, (error: unknown) => {
			// The caller's abort rejects with the caller's reason, whatever the runtime's fetch threw.
			const aborted = state.signal?.aborted === true;
			if (state.scope !== undefined) {
				const code = aborted ? 'ABORTED' : classify(error).code;
				const counters = stats.scope(state.scope);
				if (code === 'QUEUED') {
					counters.queued++;
				} else {
					counters.failures[code] = (counters.failures[code] ?? 0) + 1;
				}
			}

			throw aborted ? state.signal!.reason : error;
		});

		return makeResponsePromise(counted, state);
	};

	const client = ((input: Input, callOptions?: CallOptions) => call(undefined, input, callOptions)) as Client;
	for (const method of methods) {
		(client as unknown as Record<string, Call>)[method] = ((input: Input, callOptions?: CallOptions) => call(method, input, callOptions)) as Call;
	}

	client.extend = (more) => create(mergeClientOptions(options, more), (more.name ?? name) === name && (more.store ?? storeFactory) === storeFactory ? registry : new Map());
	client.breaker = (urlOrOrigin) => {
		const scope = typeof urlOrOrigin === 'string' && !urlOrOrigin.includes('://') ? urlOrOrigin : scopeOf(String(urlOrOrigin));
		return breaker?.snapshot(scope) ?? { scope, state: 'closed', consecutiveFailures: 0 };
	};

	client.on = (type, listener) => emitter.on(type, listener);
	client.stats = () => {
		const result: ClientStats = {};
		for (const [scope, counters] of stats.entries()) {
			result[scope] = breaker ? { ...counters, failures: { ...counters.failures }, breaker: breaker.snapshot(scope) } : { ...counters, failures: { ...counters.failures } };
		}

		return result;
	};

	client.clear = async () => {
		await Promise.all(features.map(async (feature) => feature.clear?.()));
	};

	client.close = () => {
		if (closed) {
			return;
		}

		closed = true;
		for (const feature of features) {
			feature.close?.();
		}

		emitter.clear();
	};

	Object.defineProperty(client, 'cache', {
		value: {
			delete: async (url: string | URL) => cache?.deleteUrl(String(url)),
			clear: async () => cache?.clear(),
		},
	});
	Object.defineProperty(client, 'outbox', {
		get() {
			if (!outbox) {
				throw new SteadfetchError('The outbox is disabled: create the client with `outbox: true` or outbox options', 'OUTBOX_DISABLED', false);
			}

			return outbox.outbox;
		},
	});

	self = client;
	for (const feature of features) {
		feature.start?.();
	}

	return client;
}

const mergeClientOptions = (base: ClientOptions, more: ClientOptions): ClientOptions => {
	const merged: Record<string, unknown> = { ...base, ...more };
	const headers = new Headers(base.headers as HeadersInit | undefined);
	new Headers(more.headers as HeadersInit | undefined).forEach((value, key) => headers.set(key, value));
	merged['headers'] = headers;
	for (const key of ['retry', 'retryBudget', 'breaker', 'cache', 'outbox'] as const) {
		const a = base[key];
		const b = more[key];
		if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
			merged[key] = { ...a, ...b };
		} else if (key === 'retry' && typeof a === 'number' && typeof b === 'object') {
			merged[key] = { limit: a, ...b };
		}
	}

	if (base.hooks && more.hooks) {
		const hooks: Record<string, unknown[]> = {};
		for (const source of [base.hooks, more.hooks]) {
			for (const [hook, list] of Object.entries(source)) {
				hooks[hook] = [...(hooks[hook] ?? []), ...(list as unknown[])];
			}
		}

		merged['hooks'] = hooks;
	}

	return merged as ClientOptions;
};

