import { isTimeoutError, type Input, type KyInstance, type Options as KyOptions, type ResponsePromise } from 'ky';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { SteadfetchError } from '../errors/SteadfetchError.js';
import { Call, runKy } from './call.js';
import { invocationOf, type Invocation } from './invocation.js';
import { callKyOptions, type CallKyDeps } from './ky-options.js';
import type { CallOptions } from './options.js';
import type { PolicyParts, RunOptions } from './policy.js';
import { rejectedCall as rejected, responsePromises } from './response-promise.js';
import { settling, type SettleDeps } from './settle.js';
import type { Clock } from './types.js';
import type { World } from './world.js';
import { checkCallOptions } from './validate-options.js';
import { monotonicNow as realNow } from '../utils/clock.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'query';

/** What running a call needs of the client (with what counting it and its options for ky need). */
export interface CallerDeps extends SettleDeps, CallKyDeps {
	readonly instance: KyInstance;
	/** The policies with an outer wrapper, in slot order. */
	readonly wrappers: readonly PolicyParts[];
	/** The filled slots whose policy checks its own per-call option (`PolicyParts.checkCall`). */
	readonly checks: ReadonlyArray<readonly [slot: string, check: (value: unknown, options: Readonly<Record<string, unknown>>) => void]>;
	/** `retry.methods` upper-cased: a POST or PATCH call whose method the user listed gets an Idempotency-Key. */
	readonly keyed: readonly string[];
	/** The client's `identity` option, read at each call. */
	readonly identity: (() => string | undefined) | undefined;
	/** The world a call of `identity` starts in, captured as it starts (src/core/world.ts). */
	readonly world: (identity: string | undefined) => World;
	/** The client-level `fallback`, when the call has none of its own. */
	readonly fallback: unknown;
	/** The client-level `parseJson`, for responses a policy substituted. */
	readonly parseJson: KyOptions['parseJson'];
	/** Whether the client was closed. */
	closed(): boolean;
	/** With `deadlineHeader`: when a call of `invocation` with this `totalTimeout` must be over (epoch ms), if ever. */
	readonly deadlineOf: ((invocation: Invocation | undefined, totalTimeout: unknown) => number | undefined) | undefined;
	readonly clock: Clock;
	/** The client's `totalTimeout` (ky's, with the client's default), for a call that gives none. */
	readonly totalTimeout: unknown;
}


/**
 * A call that failed with ky's `TimeoutError` once its `totalTimeout` was spent (within a few ms: a
 * timer may fire that much early) has the error marked `totalTimeoutSpent: true` before the caller
 * sees it: its retries happened inside it, so one who would retry the call (TanStack, through
 * `queryOptionsFor`) knows there is no time left to give. A per-attempt `timeout` with time left is
 * not marked. A reaction added before the caller's, on the same error object.
 */
const markSpent = <P extends Promise<unknown>>(promise: P, began: number, limit: unknown): P => {
	if (typeof limit === 'number') {
		promise.then(undefined, (error: unknown) => {
			if (isTimeoutError(error) && realNow() - began >= limit - 5) {
				(error as { totalTimeoutSpent?: boolean }).totalTimeoutSpent = true;
			}
		});
	}

	return promise;
};

/** Start ky: it builds the Request synchronously, so an invalid URL or option rejects here, before any I/O. */
const starter = (instance: KyInstance) => (method: Method | undefined, input: Input, forKy: Record<string, unknown>): ResponsePromise => {
	try {
		return method ? instance[method](input, forKy) : instance(input, forKy);
	} catch (error) {
		return rejected(invalid(error));
	}
};

const invalid = (error: unknown): InvalidRequestError => new InvalidRequestError(`Invalid request: ${(error as Error)?.message ?? String(error)}`, { cause: error });

/** One run of ky for a wrapped call (a wrapper may run it again), with the wrappers' `extras` over its options. */
const runner = (startKy: ReturnType<typeof starter>, clock: Clock) => {
	/** A run of a call of a request context with a deadline: its `totalTimeout` is what is left then. */
	const bounded = (call: Call, options: Record<string, unknown>): Record<string, unknown> =>
		call.invocation?.deadline === undefined || call.replay ? options : { ...options, totalTimeout: Math.max(0, call.deadline! - clock.now()) };

	return (method: Method | undefined, input: Input, forKy: Record<string, unknown>, call: Call) => (extras?: readonly RunOptions[]): Promise<Response> => {
		let options = forKy;
		for (const extra of extras ?? []) {
			const headers = extra.headers && new Headers(options.headers as HeadersInit | undefined);
			if (headers) {
				new Headers(extra.headers as HeadersInit).forEach((value, name) => {
					headers.set(name, value);
				});
			}

			options = { ...options, ...extra, ...(headers ? { headers } : {}) };
		}

		return runKy(call, () => startKy(method, input, bounded(call, options)));
	};
};

type Run = (extras?: readonly RunOptions[]) => Promise<Response>;

/**
 * The wrappers that apply to a call, each around the next, ky's run innermost: undefined when none
 * applies. What a wrapper adds to its run (`next(extra)`) reaches ky below it.
 */
const chaining = (wrappers: readonly PolicyParts[], runOf: ReturnType<typeof runner>) => (method: Method | undefined, input: Input, forKy: Record<string, unknown>, call: Call): Run | undefined => {
	let next: Run | undefined;
	for (let index = wrappers.length - 1; index >= 0; index--) {
		const policy = wrappers[index]!;
		if (!policy.appliesTo || policy.appliesTo(call)) {
			const inner = next ?? runOf(method, input, forKy, call);
			next = (extras) => policy.wrap!(call, (extra) => inner(extra ? [...extras ?? [], extra] : extras));
		}
	}

	return next;
};

/**
 * What ky would refuse when it builds the Request, for a wrapped call: a wrapper may read it first
 * (the outbox stores them), so the same typed error on every path, before any I/O. A body of none of
 * fetch's types is converted to a string, as here: a Symbol cannot be.
 */
const unsendable = (callOptions: CallOptions, headers: Headers | undefined): InvalidRequestError | undefined => {
	try {
		if (callOptions.headers && !headers) {
			new Headers(callOptions.headers as HeadersInit);
		}

		void `${callOptions.body as string}`;
		return undefined;
	} catch (error) {
		return invalid(error);
	}
};

/**
 * Build the function that runs one call: validate before any I/O, make the call's state, let the
 * outer wrappers that apply run around ky, count the outcome, give the promise ky's body shortcuts.
 *
 * A call no wrapper applies to and without `fallback` is ky's own promise: nothing can answer in
 * ky's place, so nothing is wrapped; its outcome is counted by a reaction added before the caller's.
 */
export const createCaller = (deps: CallerDeps) => {
	const { keyed, identity, closed } = deps;
	const withShortcuts = responsePromises(deps.parseJson);
	const [direct, wrapped] = settling(deps);
	const startKy = starter(deps.instance);
	const runOf = runner(startKy, deps.clock);
	const chain = chaining(deps.wrappers, runOf);
	const kyOptionsOf = callKyOptions(deps);

	return (method: Method | undefined, input: Input, callOptions: CallOptions = {}, replay = false, invocation?: Invocation): ResponsePromise => {
		if (closed()) {
			return rejected(new SteadfetchError('The client is closed', 'CLIENT_CLOSED', false));
		}

		// The request the context serves has ended (its client went away): nothing more goes out for it.
		if (invocation?.signal?.aborted) {
			return rejected(invocation.signal.reason);
		}

		const invalidOptions = checkCallOptions(callOptions as Record<string, unknown>);
		if (invalidOptions) {
			return rejected(invalidOptions);
		}

		// Each policy checks its own per-call option (given, not `false`), before any I/O.
		for (const [slot, check] of deps.checks) {
			const value = (callOptions as Record<string, unknown>)[slot];
			if (value !== undefined && value !== false) {
				try {
					check(value, callOptions as Record<string, unknown>);
				} catch (error) {
					return rejected(new InvalidRequestError((error as Error)?.message ?? String(error), { cause: error }));
				}
			}
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
		let key = callOptions.idempotencyKey === true ? crypto.randomUUID() : callOptions.idempotencyKey;
		let headers: Headers | undefined;
		// The user asked for POST/PATCH retries: a key makes them safe (the caller's own key, if any).
		if (key !== undefined || (unsafe && (keyed.includes(verb) || (callOptions.retry as { methods?: string[] } | undefined)?.methods?.some((name) => name.toUpperCase() === verb)))) {
			try {
				headers = new Headers(callOptions.headers as HeadersInit | undefined);
			} catch (error) {
				return rejected(invalid(error));
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
		const began = realNow();
		const limit = callOptions.totalTimeout === undefined ? deps.totalTimeout : callOptions.totalTimeout;
		const call = new Call(verb, input, callOptions as Record<string, unknown>, deps.world(who), key, replay, waitUntil, within, deps.deadlineOf?.(within, callOptions.totalTimeout));
		const forKy = kyOptionsOf(call, callOptions, headers, unsafe);
		const fallback = 'fallback' in callOptions ? callOptions.fallback : deps.fallback;
		const next = chain(method, input, forKy, call);
		const unfit = next && unsendable(callOptions, headers);
		if (unfit) {
			return rejected(unfit);
		}

		// A call of a request context with a deadline runs as wrapped: its last attempt's error stands when
		// ky gives a retry up at the deadline (`runKy`).
		if (next === undefined && fallback === undefined && (within?.deadline === undefined || replay)) {
			return markSpent(direct(call, startKy(method, input, forKy)), began, limit);
		}

		return markSpent(withShortcuts(wrapped(call, (next ?? runOf(method, input, forKy, call))(), fallback), call), began, limit);
	};
};
