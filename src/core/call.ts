import { isTimeoutError, type Input, type ResponsePromise } from 'ky';
import { SubrequestsSpent, type Invocation } from './invocation.js';
import type { PolicyCall } from './policy.js';
import { requestOrigin } from './scope.js';
import type { FetchInit, WaitUntil } from './types.js';
import type { World } from './world.js';

/**
 * What an attempt rejects with when a layer answered it without I/O (`answer`). Not an `Error`: ky
 * passes it through untouched (no `beforeError` hook sees it), and our `shouldRetry` refuses it
 * before asking anybody; the call's run settles with the answer instead.
 */
export const answered: unknown = Object.freeze({ steadfetch: 'answered' });

// The core's writers of a call (declared before the class whose static blocks assign them: no TDZ).

/** Count an attempt starting: the first fixes the call's Request and scope; a restart is the first attempt of a wrapper's new run. */
export let countAttempt: (call: Call, request: Request, scopeOf: (url: string) => string) => 'first' | 'restart' | 'retry';

/** Note the error an attempt failed with (the transport's; ky's HTTPError, from `shouldRetry`). */
export let noteFailure: (call: Call, error: unknown) => void;

/** The error the previous attempt failed with (see `noteFailure`), once: the retry that follows takes it. */
export let takeFailure: (call: Call) => unknown;

/**
 * A layer answers an attempt without I/O (`PolicyContext.answer`): the call's run resolves with
 * `outcome` when it is a Response, rejects with it when it is an error. The attempt itself rejects
 * with `answered`, which ky neither retries nor hands to a hook.
 */
export let answer: (call: Call, outcome: Response | Error) => Promise<never>;

/** A policy's state for this call, made once (by whichever half asks first) and the same for both. */
export let localOf: <S>(call: Call, index: number, make: (call: Call) => S) => S;

/**
 * One run of ky for a wrapped call (a wrapper may run it again): `start` makes it, the body shortcuts
 * asked for so far start with it (ky sets `Accept` before it sends); it settles with ky's response,
 * or with what a layer answered in its place.
 */
export let runKy: (call: Call, start: () => ResponsePromise) => Promise<Response>;

/** ky resolved the call's direct path with this response. */
export let noteResponse: (call: Call, response: Response) => void;

/** Whether the call resolved with ky's own response (not one a policy made). */
export let isKys: (call: Call, response: Response) => boolean;

/** Start `start` with the call's current run (if any) and every later one (see `runKy`). */
export let withRuns: (call: Call, start: (run: ResponsePromise) => void) => void;

/**
 * An attempt of a call of a request context goes out (the transport, just before `fetch`): it is
 * counted as one of the context's subrequests — unless it is one steadfetch adds (a retry, a hedge,
 * a failover attempt: a wrapper's new run to another origin, an outbox replay) and the context has
 * none left: then the reason it is not sent, a `SubrequestsSpent` (the call is `limited`, unless it
 * was a hedge). A hedge's own check (`FetchInit.hedge`) comes after this one, so a refused hedge
 * costs nothing. A new run to the call's own origin (auth's, after a token refresh) is the caller's.
 */
export let admit: (call: Call, request: Request, init: FetchInit | undefined) => unknown;

/** One of the call's retries was refused for its request context's subrequests (`PolicyCall.limited`). */
export let limit: (call: Call) => void;

/**
 * One call. Policies see it as `PolicyCall`, read-only in fact: frozen, the fields the core keeps
 * current behind getters. The core's writes are the functions below, all in this file (assigned in
 * the class's static blocks, the only code besides the getters that reaches the private fields).
 */
export class Call implements PolicyCall {
	#attempts = 0;
	#request: Request | undefined;
	#scope: string | undefined;
	/** The last failed attempt's error (the transport's; ky's HTTPError, from `shouldRetry`). */
	#failure: unknown;
	/** A layer's answer in place of the network: the run resolves with a Response, rejects with an Error. */
	#answer: Response | Error | undefined;
	/** ky's promise for the latest run, and the Response it resolved with (to tell it from a substitute). */
	#run: ResponsePromise | undefined;
	#response: Response | undefined;
	/** Body shortcuts asked for so far: started with each run (a wrapper may run ky again). */
	#shortcuts: Array<(run: ResponsePromise) => void> | undefined;
	/** Set when a wrapper runs ky again (failover, auth): that run's first attempt is not a retry. */
	#restart: boolean | undefined;
	/** Each policy's state for this call, at the index `PolicyContext.perCall` gave the policy. */
	#locals: unknown[] | undefined;
	/**
	 * Bits: `extra` (1), the attempt going out now is one steadfetch adds (a retry, a replay): a request
	 * context may refuse it; `rerun` (2), the attempts going out now are a wrapper's new run (one to
	 * another origin is a failover attempt); `limited` (4), see `PolicyCall.limited`. One field: a call
	 * is made per request, and each field is defined per call.
	 */
	#bits = 0;

	/**
	 * `invocation`: the request context of `client.withContext(ctx, options)` the call counts in (an
	 * outbox replay joins the context of the call that started its drain). `deadline`: when the call
	 * must be over (epoch ms, the client's clock), with `deadlineHeader` only.
	 */
	declare readonly invocation: Invocation | undefined;
	declare readonly deadline: number | undefined;
	// Declared, and assigned in the constructor: no field definitions before them (smaller once minified).
	declare readonly method: string;
	declare readonly input: Input;
	declare readonly options: PolicyCall['options'];
	declare readonly identity: string | undefined;
	declare readonly world: World;
	declare readonly idempotencyKey: string | undefined;
	declare readonly replay: boolean;
	declare readonly waitUntil: WaitUntil | undefined;
	/** The caller's signal; for a call of a request context made with `request`, followed by the request's end too. */
	declare readonly signal: AbortSignal | undefined;

	constructor(method: string, input: Input, options: Readonly<Record<string, unknown>>, world: World, idempotencyKey: string | undefined, replay: boolean, waitUntil: WaitUntil | undefined, invocation?: Invocation, deadline?: number) {
		this.method = method;
		this.input = input;
		this.options = options;
		this.identity = world.identity;
		this.world = world;
		this.idempotencyKey = idempotencyKey;
		this.replay = replay;
		this.waitUntil = waitUntil;
		this.invocation = invocation;
		this.deadline = deadline;
		const own = this.options.signal ?? undefined;
		// The app's calls of a context end with its request (a replay is background work: it does not).
		const ended = replay ? undefined : invocation?.signal;
		this.signal = ended ? (own ? AbortSignal.any([own, ended]) : ended) : own;
		// Read-only in fact: no policy can change a field or shadow a getter.
		Object.freeze(this);
	}

	get limited(): boolean {
		return (this.#bits & 4) !== 0;
	}

	get attempts(): number {
		return this.#attempts;
	}

	get request(): Request | undefined {
		return this.#request;
	}

	get scope(): string | undefined {
		return this.#scope;
	}

	// The call's attempts: counted, admitted into a request context, refused for its subrequests.
	static {
		countAttempt = (call, request, scopeOf) => {
			if (call.#attempts++ === 0) {
				call.#request = request;
				call.#scope = scopeOf(request.url);
				call.#bits = call.replay ? 1 : 0;
				return 'first';
			}

			if (call.#restart) {
				call.#restart = false;
				call.#bits = (call.#bits & 4) | 2;
				call.#failure = undefined; // The previous run's: this run's own failures follow.
				return 'restart';
			}

			call.#bits |= 1;
			return 'retry';
		};

		admit = (call, request, init) => {
			const invocation = call.invocation!;
			const hedge = init?.hedge;
			const bits = call.#bits;
			if ((hedge || (bits & 1) !== 0 || ((bits & 2) !== 0 && requestOrigin(request.url) !== requestOrigin(call.#request!.url))) && invocation.spent) {
				call.#bits |= hedge ? 0 : 4;
				return new SubrequestsSpent('No subrequest left');
			}

			const refused = hedge?.();
			if (!refused) {
				invocation.count++;
			}

			return refused;
		};

		limit = (call) => {
			call.#bits |= 4;
		};
	}

	// What an attempt failed with, or answered without I/O; a policy's state for the call.
	static {
		noteFailure = (call, error) => {
			call.#failure = error;
		};

		takeFailure = (call) => {
			const failure = call.#failure;
			call.#failure = undefined;
			return failure;
		};

		answer = (call, outcome) => {
			call.#answer = outcome;
			return Promise.reject(answered);
		};

		localOf = <S>(call: Call, index: number, make: (call: Call) => S): S => {
			call.#locals ??= [];
			call.#locals[index] ??= make(call);
			return call.#locals[index] as S;
		};
	}

	// ky's runs of the call and what they resolved with.
	static {
		runKy = (call, start) => {
			const run = start();
			call.#restart = call.#attempts > 0;
			call.#run = run;
			call.#answer = undefined;
			for (const shortcut of call.#shortcuts ?? []) {
				shortcut(run);
			}

			return run.then((response) => {
				call.#response = response;
				return response;
			}, (error: unknown) => {
				const outcome = call.#answer;
				if (outcome instanceof Response) {
					return outcome;
				}

				// ky gave up a retry at the request's deadline (waiting for it would pass the deadline): the
				// retry is not made, and the call ends with its last attempt's error.
				const last = call.#failure;
				throw outcome ?? (last !== undefined && call.invocation?.deadline !== undefined && isTimeoutError(error) ? last : error);
			});
		};

		noteResponse = (call, response) => {
			call.#response = response;
		};

		isKys = (call, response) => response === call.#response;

		withRuns = (call, start) => {
			if (call.#run) {
				start(call.#run);
			}

			call.#shortcuts ??= [];
			call.#shortcuts.push(start);
		};
	}
}
