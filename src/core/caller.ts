import type { Input, Options as KyOptions, ResponsePromise } from 'ky';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { clientClosed } from './closing.js';
import { Call, invalid, type CallClient, type Method } from './call.js';
import { knownIdentity } from './context.js';
import { isMade } from './scope.js';
import { invocationOf, type Invocation } from './invocation.js';
import { callFetch, callKyOptions, kyRetry, type CallKyDeps } from './ky-options.js';
import type { CallOptions } from './options.js';
import { rejectedCall as rejected, responsePromises } from './response-promise.js';
import type { Placed } from './slots.js';
import type { Worlds } from './world.js';
import { checkCallOptions } from './validate-options.js';
import { watchedBody } from './server-failure.js';
import { randomUuid } from '../utils/runtime.js';
import { unmarked } from '../utils/validate.js';

export type { Method } from './call.js';

/** What running a call needs of the client (with what counting it and its options for ky need). */
export interface CallerDeps extends Omit<CallClient, 'withShortcuts' | 'retryOf' | 'fetchFor'>, CallKyDeps {
	/** The filled slots whose policy checks its own per-call option (`PolicyParts.checkCall`), and the entry's empty ones (`Entry.checkEmpty`). */
	readonly checks: ReadonlyArray<Pick<Placed, 'slot' | 'parts'>>;
	/** `retry.methods` upper-cased: a POST or PATCH call whose method the user listed gets an Idempotency-Key. */
	readonly keyed: readonly string[];
	/** The client's `identity` option, read at each call. */
	readonly identity: (() => string | undefined) | undefined;
	/** The worlds of the client's name and store: a call starts in one, captured as it starts (src/core/world.ts). */
	readonly worlds: Worlds;
	/** The client-level `fallback`, when the call has none of its own. */
	readonly fallback: unknown;
	/** The client-level `parseJson`, for responses a policy substituted. */
	readonly parseJson: KyOptions['parseJson'];
	/** With `deadlineHeader`: when a call of `invocation` with this `totalTimeout` must be over (epoch ms), if ever. */
	readonly deadlineOf: ((invocation: Invocation | undefined, totalTimeout: unknown) => number | undefined) | undefined;
}

/** How a call was made: an outbox replay (`PolicyContext.send`), a call of a request context (`withContext`). */
export interface CallWay {
	readonly replay?: boolean | undefined;
	readonly invocation?: Invocation | undefined;
}

/**
 * Build the function that runs one call: validate before any I/O (the core's per-call options, each
 * policy's own, the client's `identity()`), fix the call's Idempotency-Key when it has one, make the
 * call (`Call`, src/core/call.ts: its owner from then on) and run it.
 */
export const createCaller = (deps: CallerDeps) => {
	const { keyed, identity, closed } = deps;
	const client: CallClient = { ...deps, withShortcuts: responsePromises(deps.parseJson), retryOf: (own, unsafe) => kyRetry(deps, own, unsafe), fetchFor: (call, own) => callFetch(deps, call, own) };
	const kyOptionsOf = callKyOptions(deps);

	return (method: Method | undefined, input: Input, given?: CallOptions, way?: CallWay): ResponsePromise => {
		const replay = way?.replay ?? false;
		const invocation = way?.invocation;
		if (closed()) {
			return rejected(clientClosed());
		}

		// The request the context serves has ended (its client went away): nothing more goes out for it.
		if (invocation?.signal?.aborted) {
			return rejected(invocation.signal.reason);
		}

		// The call's own options, as given now and checked (a copy: `checkCallOptions`); a call without options has none to check.
		const checked = given === undefined ? {} : checkCallOptions(given, deps.checks, deps.params);
		if (checked instanceof InvalidRequestError) {
			return rejected(checked);
		}

		const callOptions = checked as CallOptions;
		// A stream body, in the edge build, read through one that notes its read's failure (workerd's `fetch` answers anyway).
		callOptions.body &&= watchedBody(callOptions.body, callOptions);
		// ky's `replaceOption()` mark on the call's headers (sent without the client's): the policies read the
		// headers inside it, ky gets them marked again (`callKyOptions`).
		const marked = callOptions.headers;
		let inner: unknown;
		try {
			inner = unmarked(marked);
		} catch (error) {
			return rejected(invalid(error)); // Headers that cannot be read (a Proxy whose traps throw): refused, never a throw.
		}

		const replacing = inner !== marked;
		if (replacing) {
			callOptions.headers = inner as never;
		}

		let who: string | undefined;
		try {
			who = knownIdentity(identity);
		} catch (error) {
			deps.who.saw(null); // Nobody known: a change of identity for the work in flight.
			return rejected(error);
		}

		// ky's own test, made here: the policies read the input before ky does (a `null` must not throw
		// from a client method), and its error is the one ky's would have been. Also an object that passes for a
		// URL or Request and is none (`Object.create(Request.prototype)`): its getters throw (scope.ts `isMade`).
		if (typeof input !== 'string' && !isMade(input, true)) {
			return rejected(invalid(new TypeError('`input` must be a string, URL, or Request')));
		}

		// A Request input's own body (the call gives none) the same way: its stream of the app's (the edge build's `watchedBody`).
		if (callOptions.body === undefined && callOptions.json === undefined) {
			input = watchedBody(input, callOptions);
		}

		const verb = (method ?? (callOptions.method as string | undefined) ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
		const unsafe = verb === 'POST' || verb === 'PATCH';
		let key = callOptions.idempotencyKey === true ? randomUuid() : callOptions.idempotencyKey;
		let headers: Headers | undefined;
		// The user asked for POST/PATCH retries: a key makes them safe (the caller's own key, if any).
		if (key !== undefined || (unsafe && (keyed.includes(verb) || (unmarked(callOptions.retry) as { methods?: string[] } | undefined)?.methods?.some((name) => name.toUpperCase() === verb)))) {
			try {
				headers = new Headers(callOptions.headers as HeadersInit | undefined);
			} catch (error) {
				return rejected(invalid(error));
			}

			// A key given as `undefined` (ky's way to drop a header, read by `Headers` as 'undefined') is none: a fresh one.
			const own = headers.get('idempotency-key');
			key ??= own === 'undefined' ? randomUuid() : own ?? (input instanceof Request ? input.headers.get('idempotency-key') : null) ?? randomUuid();
			headers.set('idempotency-key', key);
		}

		// A per-call `waitUntil` names no request (the ambient one of `cloudflare:workers` serves them all):
		// a function of the call's own, so only the calls of one `withContext(ctx)` share one (dedupe, auth);
		// unless it is a request context's own (a replay of the drain a call of it started): then it counts in it.
		const own = callOptions.waitUntil;
		const within = invocation ?? (own && invocationOf(own));
		let call: Call;
		try {
			// Its signal merged with the client's and its request's (`AbortSignal.any`): one that is no AbortSignal (`{}`, a
			// Proxy whose traps throw) is refused as ky refuses it without them, never thrown from the client's method.
			call = new Call(client, {
				method: verb,
				input,
				options: callOptions,
				world: deps.worlds.open(who, deps.who.epoch, deps.who.saw(who)),
				idempotencyKey: key,
				replay,
				waitUntil: own ? (own === within?.waitUntil ? own : (promise: Promise<unknown>) => own(promise)) : within?.waitUntil,
				invocation: within,
				// A replay is background work: its request's deadline is not its own (its rate-limit and bulkhead waits, its lease).
				deadline: deps.deadlineOf?.(replay ? undefined : within, callOptions.totalTimeout),
			});
		} catch (error) {
			return rejected(invalid(error));
		}

		// A call's `fallback: undefined` is not given (API.md "Option values"): the client's answers (`null` is a value). Never
		// a replay's: its failure is the outbox's to keep pending, not an answer to take for delivered.
		return call.run(kyOptionsOf(call, callOptions, headers, unsafe, method, replacing), headers, replay ? undefined : callOptions.fallback === undefined ? deps.fallback : callOptions.fallback);
	};
};
