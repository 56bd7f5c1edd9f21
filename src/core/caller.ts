import type { Input, KyInstance, Options as KyOptions, ResponsePromise } from 'ky';
import { classify } from '../errors/classify.js';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { SteadfetchError } from '../errors/SteadfetchError.js';
import { unsafeRetryMethods } from '../retry/should-retry.js';
import { Call, isKys, noteResponse, runKy } from './call.js';
import { composeLayers } from './compose.js';
import { fallbackResponse } from './fallback.js';
import { invocationOf, type Invocation } from './invocation.js';
import { callKeys, type CallOptions } from './options.js';
import type { PolicyParts, RunOptions } from './policy.js';
import { rejectedCall as rejected, responsePromises } from './response-promise.js';
import type { Stats } from './stats.js';
import type { Clock, FetchLike, Layer } from './types.js';
import { checkCallOptions, stringifying } from './validate-options.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'query';

export interface CallerDeps {
	readonly instance: KyInstance;
	readonly layers: readonly Layer[];
	/** Wraps a per-call `fetch` (the layers below ours first): the client's transport normalization. */
	readonly transport: (fetch: FetchLike) => FetchLike;
	/** The policies with an outer wrapper, in slot order. */
	readonly wrappers: readonly PolicyParts[];
	/** The policies that watch outcomes (`settled`). */
	readonly watchers: readonly PolicyParts[];
	readonly stats: Stats;
	/** Whether POST and PATCH calls join ky's retried methods (the user did not choose `retry.methods`). */
	readonly admitUnsafe: boolean;
	/** POST and PATCH when the user listed them in `retry.methods`: such calls get an Idempotency-Key. */
	readonly keyed: ReadonlySet<string>;
	/** The client's `identity` option, read at each call. */
	readonly identity: (() => string | undefined) | undefined;
	/** The client-level `fallback`, when the call has none of its own. */
	readonly fallback: unknown;
	/** The client-level `parseJson`, for responses a policy substituted. */
	readonly parseJson: KyOptions['parseJson'];
	/** Whether the client was closed. */
	closed(): boolean;
	/** With `deadlineHeader`: when a call of `invocation` with this `totalTimeout` must be over (epoch ms), if ever. */
	readonly deadlineOf: ((invocation: Invocation | undefined, totalTimeout: unknown) => number | undefined) | undefined;
	readonly clock: Clock;
	/** How `stats()` counts a response a policy made (a stale copy, a 202 for a queued write). */
	substituted(response: Response): 'stale' | 'queued' | undefined;
	/** The call's own `retry` options as ky gets them (our `shouldRetry` kept when the call brings its own rules). */
	retryFor(own: unknown): unknown;
}

/** Ours, kept from ky; and `steadfetch`, which ky's options of an earlier call carry (reused in a hook). */
const ours = new Set([...callKeys, 'steadfetch']);


/**
 * Build the function that runs one call: validate before any I/O, make the call's state, let the
 * outer wrappers that apply run around ky, count the outcome, give the promise ky's body shortcuts.
 *
 * A call no wrapper applies to and without `fallback` is ky's own promise: nothing can answer in
 * ky's place, so nothing is wrapped; its outcome is counted by a reaction added before the caller's.
 */
export const createCaller = (deps: CallerDeps) => {
	const { instance, layers, wrappers, watchers, stats, admitUnsafe, keyed, identity, closed, parseJson, clock } = deps;
	const withShortcuts = responsePromises(parseJson);

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
				if (code === 'QUEUED') {
					counters.queued++;
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

	const startKy = (method: Method | undefined, input: Input, forKy: Record<string, unknown>): ResponsePromise => {
		try {
			return method ? instance[method](input, forKy) : instance(input, forKy);
		} catch (error) {
			// ky builds the Request synchronously: an invalid URL or option lands here, before any I/O.
			return rejected(new InvalidRequestError(`Invalid request: ${(error as Error)?.message ?? String(error)}`, { cause: error }));
		}
	};

	/** One run of ky for a wrapped call (a wrapper may run it again), with the wrappers' `extras` over its options. */
	const runOf = (method: Method | undefined, input: Input, forKy: Record<string, unknown>, call: Call) => (extras?: readonly RunOptions[]): Promise<Response> => {
		let options = forKy;
		for (const extra of extras ?? []) {
			const headers = extra.headers && new Headers(options['headers'] as HeadersInit | undefined);
			if (headers) {
				new Headers(extra.headers as HeadersInit).forEach((value, name) => {
					headers.set(name, value);
				});
			}

			options = { ...options, ...extra, ...(headers ? { headers } : {}) };
		}

		return runKy(call, () => startKy(method, input, bounded(call, options)));
	};

	/** A run of a call of a request context with a deadline: its `totalTimeout` is what is left then. */
	const bounded = (call: Call, options: Record<string, unknown>): Record<string, unknown> =>
		call.invocation?.deadline === undefined || call.replay ? options : { ...options, totalTimeout: Math.max(0, call.deadline! - clock.now()) };

	return (method: Method | undefined, input: Input, callOptions: CallOptions = {}, replay = false, invocation?: Invocation): ResponsePromise => {
		if (closed()) {
			return rejected(new SteadfetchError('The client is closed', 'CLIENT_CLOSED', false));
		}

		// The request the context serves has ended (its client went away): nothing more goes out for it.
		if (invocation?.signal?.aborted) {
			return rejected(invocation.signal.reason);
		}

		const invalid = checkCallOptions(callOptions as Record<string, unknown>);
		if (invalid) {
			return rejected(invalid);
		}

		let who: string | undefined;
		try {
			who = identity?.();
			if (who !== undefined && (typeof who !== 'string' || who.length === 0)) {
				throw new TypeError(`identity() must return a non-empty string or undefined; got ${typeof who}`);
			}
		} catch (error) {
			return rejected(new InvalidRequestError(`The client's identity() failed: ${(error as Error)?.message ?? String(error)}`, { cause: error }));
		}

		const verb = (method ?? (callOptions.method as string | undefined) ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
		const unsafe = verb === 'POST' || verb === 'PATCH';
		const ownRetry = callOptions.retry;
		let key = callOptions.idempotencyKey === true ? crypto.randomUUID() : callOptions.idempotencyKey;
		let headers: Headers | undefined;
		// The user asked for POST/PATCH retries: a key makes them safe (the caller's own key, if any).
		if (key !== undefined || (unsafe && (keyed.has(verb) || (ownRetry as { methods?: string[] } | undefined)?.methods?.some((name) => name.toUpperCase() === verb)))) {
			try {
				headers = new Headers(callOptions.headers as HeadersInit | undefined);
			} catch (error) {
				return rejected(new InvalidRequestError(`Invalid request: ${(error as Error)?.message ?? String(error)}`, { cause: error }));
			}

			key ??= headers.get('idempotency-key') ?? (input instanceof Request ? input.headers.get('idempotency-key') : null) ?? crypto.randomUUID();
			headers.set('idempotency-key', key);
		}

		// A per-call `waitUntil` names no request (the ambient one of `cloudflare:workers` serves them all):
		// a function of the call's own, so only the calls of one `withContext(ctx)` share one (dedupe, auth);
		// unless it is a request context's own (a replay of the drain a call of it started): then it counts in it.
		const own = callOptions.waitUntil;
		const within = invocation ?? (own && invocationOf(own));
		const waitUntil = own ? (own === within?.waitUntil ? own : (promise: Promise<unknown>) => own(promise)) : within?.waitUntil;
		const call = new Call(verb, input, callOptions as Record<string, unknown>, who, key, replay, waitUntil, within, deps.deadlineOf?.(within, callOptions.totalTimeout));

		// What ky gets: the call's options without ours, with the call for the layers.
		const forKy: Record<string, unknown> = { steadfetch: call };
		for (const name in callOptions) {
			if (Object.hasOwn(callOptions, name) && !ours.has(name)) {
				forKy[name] = callOptions[name as keyof CallOptions];
			}
		}

		if (headers) {
			forKy['headers'] = headers;
		}

		if (call.signal !== callOptions.signal) {
			forKy['signal'] = call.signal; // The caller's, and the request's end.
		}

		if (ownRetry !== undefined || (unsafe && admitUnsafe)) {
			// POST and PATCH join ky's retried methods per call (only `shouldRetry` lets them retry: with
			// an Idempotency-Key); a number is a limit over our defaults (ky would replace them).
			forKy['retry'] = {
				...(unsafe && admitUnsafe ? { methods: unsafeRetryMethods } : {}),
				...deps.retryFor(ownRetry) as object,
			};
		}

		if (callOptions.stringifyJson) {
			forKy['stringifyJson'] = stringifying(callOptions.stringifyJson);
		}

		if (callOptions.fetch) {
			// A per-call transport still goes through the layers.
			forKy['fetch'] = composeLayers(layers, deps.transport(callOptions.fetch as FetchLike));
		}

		const fallback = 'fallback' in callOptions ? callOptions.fallback : deps.fallback;
		// Each level runs its wrapper; what a wrapper adds to its run (`next(extra)`) reaches ky below it.
		let next: ((extras?: readonly RunOptions[]) => Promise<Response>) | undefined;
		for (let index = wrappers.length - 1; index >= 0; index--) {
			const policy = wrappers[index]!;
			if (!policy.appliesTo || policy.appliesTo(call)) {
				const inner = next ?? runOf(method, input, forKy, call);
				next = (extras) => policy.wrap!(call, (extra) => inner(extra ? [...extras ?? [], extra] : extras));
			}
		}

		if (next !== undefined) {
			try {
				// ky would refuse them when it builds the Request; a wrapper may read them first (the outbox
				// stores them): the same typed error on every path, before any I/O. A body of none of fetch's
				// types is converted to a string, as here: a Symbol cannot be.
				if (callOptions.headers && !headers) {
					new Headers(callOptions.headers as HeadersInit);
				}

				void `${callOptions.body as string}`;
			} catch (error) {
				return rejected(new InvalidRequestError(`Invalid request: ${(error as Error)?.message ?? String(error)}`, { cause: error }));
			}
		}

		// A call of a request context with a deadline runs as wrapped: its last attempt's error stands when
		// ky gives a retry up at the deadline (`runKy`).
		if (next === undefined && fallback === undefined && (within?.deadline === undefined || replay)) {
			const promise = startKy(method, input, forKy);
			promise.then((response) => {
				if (response) {
					noteResponse(call, response);
				}

				settle(call, true, response, undefined);
			}, (error: unknown) => {
				settle(call, false, undefined, error);
			});
			return promise;
		}

		const counted = (next ?? runOf(method, input, forKy, call))().then((response) => {
			settle(call, true, response, undefined);
			return response;
		}, async (error: unknown) => {
			settle(call, false, undefined, error);
			// The caller's abort rejects with the caller's reason, whatever the runtime's fetch threw.
			if (call.signal?.aborted) {
				throw call.signal.reason;
			}

			const { code } = classify(error);
			if (fallback === undefined || code === 'INVALID_REQUEST' || code === 'QUEUED' || code === 'CLIENT_CLOSED') {
				throw error;
			}

			// Nothing else answered (no stale copy): the degraded answer, marked and counted.
			const response = await fallbackResponse(fallback, error, call.request);
			if (call.scope !== undefined) {
				stats.scope(call.scope).fallbacks++;
			}

			return response;
		});

		return withShortcuts(counted, call);
	};
};
