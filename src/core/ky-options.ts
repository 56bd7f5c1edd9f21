import ky, { replaceOption, type KyInstance, type Options as KyOptions, type RetryOptions } from 'ky';
import { shouldRetry, unsafeRetryMethods } from './should-retry.js';
import type { Accounting } from './accounting.js';
import type { Call, TargetHook } from './call.js';
import { composeLayers } from './compose.js';
import { callKeys, type CallOptions, type CoreClientOptions } from './options.js';
import type { PolicyContext } from './policy.js';
import type { FetchInit, FetchLike, Layer } from './types.js';
import { sentRedirect } from './server-failure.js';
import { stringifying } from './validate-options.js';
import { setOwn, unmarked } from '../utils/validate.js';

/** `totalTimeout` when the client gives none (ms; see `BaseClientOptions.totalTimeout`): every call is bounded. */
export const defaultTotalTimeout = 20_000;

/** The client's retry rules, resolved from its `retry` option once. */
export interface RetryRules {
	/** ky's `retry` for the client: our defaults, the user's rules over them, our `shouldRetry` around the user's. */
	readonly retry: RetryOptions;
	/** Whether POST and PATCH calls join ky's retried methods (the user did not choose `retry.methods`). */
	readonly admitUnsafe: boolean;
	/** `retry.methods` upper-cased: a POST or PATCH call whose method the user listed gets an Idempotency-Key. */
	readonly keyed: readonly string[];
	/** The call's own `retry` options as ky gets them (our `shouldRetry` kept when the call brings its own rules). */
	retryFor(own: unknown): unknown;
}

/**
 * The client's retry rules (`retry`: a number is a limit): ky's with full jitter from the client's
 * `random`, retries on timeout, delays at most 30 s; `ask` is whether the retry ky is deciding may go
 * (the breaker, the retry budget, the request context), `callOf` the call an error of ky's is of.
 */
export const retryRules = (options: CoreClientOptions, context: PolicyContext, { ask: askAt, callOf }: Pick<Accounting, 'ask' | 'callOf'>): RetryRules => {
	const hooks: TargetHook = context.hooks;
	// ky's request names the primary: a retry of a failover mirror's attempt (its Request or failure the call's, `Call.attempt`)
	// asks the mirror's budget (`PolicyHooks.targetOf`), as it is paid from it.
	// A retry the breaker would refuse when it goes (its scope open past ky's delay) ends the call at once, as a spent budget does.
	const ask = (error: Error, request: Request, timed: boolean): boolean => {
		const call = callOf(error) ?? callOf(request);
		const url = (call && hooks.targetOf?.(call, request.url)) ?? request.url;
		return !(call && hooks.refusesRetry?.(call, url, error, timed)) && askAt(error, url, timed);
	};
	// Full jitter from the client's `random`: the default, and `jitter: true` given (ky's would use Math.random).
	const jitter = (delay: number) => context.random() * delay;
	const drawn = (rules: RetryOptions | undefined): RetryOptions | undefined => (rules?.jitter === true ? { ...rules, jitter } : rules);
	// Our defaults under the user's rules (a number is a limit), with our `shouldRetry` around the user's.
	const ruled = (given: unknown): RetryOptions => {
		const rules = drawn(typeof given === 'number' ? { limit: given } : given as RetryOptions ?? {})!;
		return { jitter, retryOnTimeout: true, backoffLimit: 30_000, maxRetryAfter: 30_000, ...rules, shouldRetry: shouldRetry(rules.shouldRetry, rules.retryOnTimeout ?? true, ask, callOf) };
	};
	// A client's `replaceOption()` mark replaces nothing (as in `ky.create`): its value is the client's rules.
	const user = drawn(typeof options.retry === 'number' ? { limit: options.retry } : unmarked(options.retry) as RetryOptions ?? {})!;
	const onTimeout = user.retryOnTimeout ?? true;
	return {
		retry: ruled(user),
		admitUnsafe: user.methods === undefined,
		keyed: (user.methods ?? []).map((method) => method.toUpperCase()),
		retryFor(own) {
			if (typeof own === 'number') {
				return { limit: own };
			}

			// A call's `replaceOption()` mark replaces the client's rules, as in ky; not our defaults nor the retry budget
			// (POST and PATCH among the methods, each retried only with an Idempotency-Key, unless its rules list the methods).
			const inner = unmarked(own);
			if (inner !== own) {
				return replaceOption({ methods: unsafeRetryMethods, ...ruled(inner) });
			}

			const rules = drawn(own as RetryOptions | undefined);
			// A call that brings its own rules gets our `shouldRetry` around them (ky would replace ours).
			return rules && (rules.shouldRetry || rules.retryOnTimeout !== undefined)
				? { ...rules, shouldRetry: shouldRetry(rules.shouldRetry ?? user.shouldRetry, rules.retryOnTimeout ?? onTimeout, ask, callOf) }
				: rules;
		},
	};
};

/**
 * The client's ky instance: the client's options without ours (every call bounded by `totalTimeout`
 * unless they say otherwise) and the client's `retry` rules. No `fetch`: each call brings its own,
 * which carries the call to the layers (`callKyOptions`), so ky merges one key fewer into every call.
 * `stringifyJson`: the client's as ky gets it (`CallKyDeps.stringifyJson`).
 */
export const createKy = (options: CoreClientOptions, ours: ReadonlySet<string>, retry: RetryOptions, stringifyJson: (value: unknown) => string): KyInstance => {
	const kyOptions: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(options)) {
		// `undefined` is not given (API.md "Option values"): ky would read it as removing our default (`totalTimeout`).
		if (value !== undefined && !ours.has(key) && key !== 'fetch' && key !== 'stringifyJson') {
			setOwn(kyOptions, key, value);
		}
	}

	// The client's `beforeError` hooks go with each call instead (`callKyOptions`), after the hook that notes the failure
	// they are handed (`errorHooks`): ky runs the instance's first, before any of a call's.
	const hooks = unmarked(options.hooks) as { beforeError?: unknown[] } | undefined;
	if (hooks?.beforeError?.length) {
		kyOptions['hooks'] = { ...hooks, beforeError: undefined };
	}

	// Our `stringifyJson` goes with the calls that have a `json` body (`callKyOptions`): one key fewer
	// for ky to merge into every call's options. Kept here for a client with hooks, whose `init` hook
	// may give a call a `json` body, and for one with a `json` body of its own (every call's, as ky's
	// defaults go): serialized by the client's `stringifyJson`, one it cannot serialize refused (it went
	// out as `application/json` with an empty body, through ky's `JSON.stringify`).
	if (options.hooks !== undefined || options.json !== undefined) {
		kyOptions['stringifyJson'] = stringifyJson;
	}

	// A `redirect` mode as the runtime's Request takes it (`sentRedirect`: the edge build's `'error'` in workerd).
	sentRedirect(kyOptions);
	return ky.create({
		totalTimeout: defaultTotalTimeout,
		...kyOptions,
		retry,
	} as KyOptions);
};

/** What a call's options for ky need of the client. */
export interface CallKyDeps extends Pick<RetryRules, 'admitUnsafe' | 'retryFor'> {
	readonly layers: readonly Layer[];
	/** The client's `fetch` (the runtime's, or its own) through the layers: what a call without its own `fetch` sends with. */
	readonly fetch: FetchLike;
	/** Whether the client has ky `hooks` (an `init` hook sees a call's options as they are given). */
	readonly hooked: boolean;
	/** The client's keys that are ours (the slots' among them): a call's own slot keys are ours too. */
	readonly ourKeys: ReadonlySet<string>;
	/** Wraps a per-call `fetch` (the layers below ours first): the client's transport normalization. */
	readonly transport: (fetch: FetchLike) => FetchLike;
	/** The client's `stringifyJson` as ky gets it (see `stringifying`), for the calls with a `json` body. */
	readonly stringifyJson: (value: unknown) => string;
	/** The client's ky `beforeError` hooks, which each call's run gets after the one that notes its failure (`errorHooks`). */
	readonly beforeError: readonly unknown[];
}

/**
 * A call's `hooks` for ky when the client's or the call's own have `beforeError` hooks (else undefined): first one that notes
 * the failure ky hands them (`Call.noted`: what the policies decide on, whatever error of the app's the hooks make of it), then
 * the client's (not when the call's hooks replace them: `replaceOption()`, or `beforeError: undefined`), then the call's.
 */
const errorHooks = (client: readonly unknown[], own: unknown, call: Call): unknown => {
	const inner = unmarked(own) as { beforeError?: unknown[] } | undefined;
	const given = inner?.beforeError;
	if (!client.length && !given?.length) {
		return undefined;
	}

	const replacing = inner !== own || (inner !== undefined && Object.hasOwn(inner, 'beforeError') && given === undefined);
	const note = ({ error, options }: { error: unknown; options: { steadfetchRun?: object } }): void => call.noted(error, options.steadfetchRun);
	const hooks = { ...inner, beforeError: [note, ...(replacing ? [] : client), ...(given ?? [])] };
	return inner !== own ? replaceOption(hooks) : hooks;
};

/**
 * A call's own `retry` as ky gets it (`own`: the call's, or what a wrapper gives its run, `next({ retry })`): POST and PATCH
 * (`unsafe`) join ky's retried methods (only `shouldRetry` lets them retry: with an Idempotency-Key), unless the client's
 * rules list the methods; a number is a limit over the client's rules and our defaults (ky would replace them), and our
 * `shouldRetry` stays around one the call brings (`RetryRules.retryFor`).
 */
export const kyRetry = ({ admitUnsafe, retryFor }: Pick<RetryRules, 'admitUnsafe' | 'retryFor'>, own: unknown, unsafe: boolean): unknown => ({
	...(unsafe && admitUnsafe ? { methods: unsafeRetryMethods } : {}),
	...retryFor(own) as object,
});

/**
 * A call's `fetch`: the client's (or the call's own) through the layers, with the call on what ky
 * hands it (`FetchInit.steadfetch`: ky makes that object anew for each attempt). The call goes to
 * the layers this way rather than as an option of its own, which ky would merge into every call's
 * options and copy into each attempt's.
 */
const carrying = (call: Call, fetch: FetchLike): FetchLike => (request, init) => {
	const own: FetchInit = init ?? {};
	own.steadfetch = call;
	return fetch(request, own);
};

/**
 * The `fetch` ky gets for a call (`own`: the call's own, or the one a wrapper gives its run, `next({ fetch })`; else the
 * client's): through the layers, carrying the call. A per-call transport goes through them too, composed again for it: a
 * layer that throws as it is composed (or gives back no function) fails the call's attempts as one that throws then
 * (README: no call throws synchronously).
 */
export const callFetch = (deps: Pick<CallKyDeps, 'layers' | 'transport' | 'fetch'>, call: Call, own: FetchLike | undefined): FetchLike =>
	carrying(call, own ? composeLayers(deps.layers.map((layer): Layer => (next) => {
		try {
			return layer(next);
		} catch (error) {
			return () => Promise.reject(error);
		}
	}), deps.transport(own)) : deps.fetch);

/**
 * What ky gets for one call: the call's options without ours, with a `fetch` through the layers
 * that carries the call to them (`carrying`), the method of the shortcut the caller used (`api.post`;
 * none for a `get` ky would make anyway), the headers carrying its Idempotency-Key (when it has one),
 * its signal (the caller's and its request's end) and its retry rules.
 */
export const callKyOptions = (deps: CallKyDeps) => {
	const { admitUnsafe, hooked } = deps;
	// Ours, kept from ky per call: the client's keys (the slots' among them), the core's per-call keys and
	// `steadfetch` (the layers' door, which only the call's own `fetch` sets: `carrying`).
	const ours: ReadonlySet<string> = new Set([...deps.ourKeys, ...callKeys, 'steadfetch']);
	return (call: Call, callOptions: CallOptions, headers: Headers | undefined, unsafe: boolean, method: string | undefined, replacing?: boolean): Record<string, unknown> => {
		const forKy: Record<string, unknown> = {};
		for (const name in callOptions) {
			const value = callOptions[name as keyof CallOptions];
			// `undefined` is not given (API.md "Option values"): the client's value stands, which ky's merge
			// would remove (its `totalTimeout`, its `retry` rules). Not ky 1's `prefixUrl`: ky refuses its name.
			if ((value !== undefined || name === 'prefixUrl') && Object.hasOwn(callOptions, name) && !ours.has(name)) {
				setOwn(forKy, name, value);
			}
		}

		if (headers) {
			forKy['headers'] = headers;
		}

		sentRedirect(forKy);
		const hooks = errorHooks(deps.beforeError, callOptions.hooks, call);
		if (hooks) {
			forKy['hooks'] = hooks;
		}

		// The call's headers in place of the client's, as the caller marked them (ky's `replaceOption()`).
		if (replacing) {
			forKy['headers'] = replaceOption(forKy['headers']);
		}

		const signal = callOptions.signal;
		if (call.signal !== signal) {
			// The caller's, and the request's end; marked again when the caller marked it (`replaceOption()`: it replaces the client's).
			forKy['signal'] = call.signal && signal && unmarked(signal) !== signal ? replaceOption(call.signal) : call.signal;
		}

		const ownRetry = callOptions.retry;
		if (ownRetry !== undefined || (unsafe && admitUnsafe)) {
			forKy['retry'] = kyRetry(deps, ownRetry, unsafe);
		}

		// Only a call with a `json` body needs a `stringifyJson` (or one with hooks: its `init` hook may add one).
		if (callOptions.stringifyJson) {
			forKy['stringifyJson'] = stringifying(callOptions.stringifyJson);
		} else if (callOptions.json !== undefined || callOptions.hooks !== undefined) {
			forKy['stringifyJson'] = deps.stringifyJson;
		}

		forKy['fetch'] = callFetch(deps, call, callOptions.fetch as FetchLike | undefined);

		// ky's shortcut (`api.get`): its method over the call's, as `ky.get` merges it (one source fewer for
		// ky to merge). Not a `get` that ky would make anyway (no method of the call's or of its Request):
		// each key ky merges costs every call (about 7k instructions for this one), unless an `init` hook
		// would see the options as `ky.get` gives them.
		if (method && (method !== 'get' || callOptions.method !== undefined || call.input instanceof Request || hooked || callOptions.hooks !== undefined)) {
			forKy['method'] = method;
		}

		return forKy;
	};
};
