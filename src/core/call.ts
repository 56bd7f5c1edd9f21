import type { Input, KyInstance, Options as KyOptions, ResponsePromise } from 'ky';
import { classify } from '../errors/classify.js';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { SteadfetchError } from '../errors/SteadfetchError.js';
import { fallbackResponse, type Fallback } from './fallback.js';
import { callerKey } from './idempotency.js';
import type { CallOptions } from './options.js';
import type { PolicyParts } from './policy.js';
import { applyFixed, kyOptionsFor } from './ky-call-options.js';
import { makeResponsePromise } from './response-promise.js';
import type { Health } from './health.js';
import type { Stats } from './stats.js';
import type { CallState, Layer } from './types.js';
import { checkCallOptions } from './validate-options.js';
import { createOutcomes } from './outcome.js';

export interface CallerDeps {
	readonly instance: KyInstance;
	readonly layers: readonly Layer[];
	readonly wrappers: readonly PolicyParts[];
	readonly stats: Stats;
	/** Whether POST and PATCH calls join ky's retried methods (the user did not choose `retry.methods`). */
	readonly admitUnsafe: boolean;
	/** POST and PATCH when the user listed them in `retry.methods`: such calls get an Idempotency-Key. */
	readonly keyed: ReadonlySet<string>;
	/** The client's `identity` option, read at each call. */
	readonly identity: (() => string | undefined) | undefined;
	/** Whether the client was closed. */
	closed(): boolean;
	/** Whether a response was made by a policy (a stale copy, a 202 for a queued write): counted apart. */
	substituted(response: Response, counters: ReturnType<Stats['scope']>): void;
	/** The client-level `fallback`, when the call has none of its own. */
	readonly clientFallback: Fallback | undefined;
	/** The client-level `parseJson`, for responses a policy substituted. */
	readonly parseJson: KyOptions['parseJson'];
	/** Latency, error rate and top errors per scope. */
	readonly health: Health;
	/** With `logger`: one record per call, at its outcome. */
	readonly logCall: ((call: CallState, startedAt: number, response: Response | undefined, error: unknown) => void) | undefined;
	/** Whether anybody listens to `retry` now: only then does a call record the error behind each retry. */
	wantsRetryError(): boolean;
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'query';

const rejected = (error: unknown): ResponsePromise => {
	const promise = Promise.reject(error) as ResponsePromise;
	return makeResponsePromise(promise, undefined, undefined);
};

/**
 * Build the function that runs one call: validate before any I/O, make the call's state, let the
 * outer wrappers that apply run around ky, count the outcome, and give the promise ky's body
 * shortcuts. Made once per client; everything per call happens in the returned function.
 *
 * A call no wrapper applies to and without `fallback` (every call of a client with no outer policy)
 * is ky's own promise: nothing can answer in ky's place, so nothing is wrapped, and its outcome is
 * counted beside it (reactions run in the order they were added: before the caller's).
 */
export const createCaller = ({ instance, layers, wrappers, stats, admitUnsafe, keyed, identity, closed, substituted, clientFallback, parseJson, health, logCall, wantsRetryError }: CallerDeps) => {
	const { succeeded, failed } = createOutcomes({ stats, health, substituted, logCall });
	const startKy = (method: Method | undefined, input: Input, forKy: Record<string, unknown>): ResponsePromise => {
		try {
			return method ? instance[method](input, forKy) : instance(input, forKy);
		} catch (error) {
			// ky builds the Request synchronously: an invalid URL or option lands here, before any I/O.
			const message = error instanceof Error ? error.message : String(error);
			return rejected(new InvalidRequestError(`Invalid request: ${message}`, { cause: error }));
		}
	};

	/** The innermost step of a wrapped call: one ky run (a wrapper may start it again). */
	const runKy = (method: Method | undefined, input: Input, forKy: Record<string, unknown>, state: CallState) => (): Promise<Response> => {
		// A wrapper sending the call again (to a mirror, after a token refresh) is not ky retrying.
		state.restart = state.attempts > 0;
		applyFixed(forKy, state);
		const promise = startKy(method, input, forKy);
		state.kyPromise = promise;
		for (const start of state.onKyStart ?? []) {
			start(promise);
		}

		return promise.then((response) => {
			state.response = response;
			return response;
		});
	};

	return (method: Method | undefined, input: Input, callOptions: CallOptions = {}): ResponsePromise => {
		if (closed()) {
			return rejected(new SteadfetchError('The client is closed', 'CLIENT_CLOSED', false));
		}

		const invalid = checkCallOptions(input, callOptions as Record<string, unknown>);
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
			return rejected(new InvalidRequestError(`The client's identity() failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
		}

		const key = callOptions.idempotencyKey;
		const verb = (method ?? (callOptions.method as string | undefined) ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
		const state: CallState = {
			method: verb,
			input: input as string | URL | Request,
			options: callOptions as Record<string, unknown>,
			signal: callOptions.signal ?? undefined,
			idempotencyKey: key === true ? crypto.randomUUID() : key,
			held: false,
			send: undefined,
			attempts: 0,
			request: undefined,
			scope: undefined,
			identity: who,
			retryError: undefined,
			response: undefined,
			kyPromise: undefined,
			onKyStart: undefined,
			restart: false,
			sentAt: undefined,
			netCode: undefined,
			requestId: undefined,
		};

		const ownMethods = (callOptions.retry as { methods?: unknown } | undefined)?.methods;
		if (state.idempotencyKey === undefined && (verb === 'POST' || verb === 'PATCH')
			&& (keyed.has(verb) || (Array.isArray(ownMethods) && ownMethods.some((method) => String(method).toUpperCase() === verb)))) {
			// The user asked for POST/PATCH retries: a key makes them safe (the caller's own key, if any).
			state.idempotencyKey = callerKey(state) ?? crypto.randomUUID();
		}

		const forKy = kyOptionsFor(callOptions, state, admitUnsafe && (verb === 'POST' || verb === 'PATCH'), layers, health.clock, wantsRetryError());
		const startedAt = logCall ? health.clock.now() : 0;
		const fallback = 'fallback' in callOptions ? (callOptions as { fallback?: Fallback }).fallback : clientFallback;

		let next: (() => Promise<Response>) | undefined;
		for (let index = wrappers.length - 1; index >= 0; index--) {
			const policy = wrappers[index]!;
			if (!policy.appliesTo || policy.appliesTo(state)) {
				const inner = next ?? runKy(method, input, forKy, state);
				next = () => policy.wrap!(state, inner);
			}
		}

		if (next === undefined && fallback === undefined) {
			applyFixed(forKy, state);
			const promise = startKy(method, input, forKy);
			promise.then((response) => {
				state.response = response;
				succeeded(state, response, startedAt);
			}, (error: unknown) => {
				failed(state, error, startedAt);
			});
			return promise;
		}

		const counted = (next ?? runKy(method, input, forKy, state))().then((response) => {
			succeeded(state, response, startedAt);
			return response;
		}, (error: unknown) => {
			failed(state, error, startedAt);
			// The caller's abort rejects with the caller's reason, whatever the runtime's fetch threw.
			if (state.signal?.aborted === true) {
				throw state.signal.reason;
			}

			const { code } = classify(error);
			if (fallback === undefined || code === 'INVALID_REQUEST' || code === 'QUEUED' || code === 'CLIENT_CLOSED') {
				throw error;
			}

			// Nothing else answered (no stale copy): the degraded answer, marked and counted.
			return fallbackResponse(fallback, error, state.request).then((response) => {
				if (state.scope !== undefined) {
					stats.scope(state.scope).fallbacks++;
				}

				return response;
			});
		});

		return makeResponsePromise(counted, state, parseJson);
	};
};
