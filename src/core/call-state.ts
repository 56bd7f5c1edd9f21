import type { Input, ResponsePromise } from 'ky';
import type { PolicyCall } from './policy.js';

type WaitUntil = (promise: Promise<unknown>) => void;

/** The core's access to a call's state, assigned by `CallState`'s static block (declared first: no TDZ). */
export let core: CoreAccess;

/**
 * One call. Policies see it as `PolicyCall`: every field is a getter, so the call is read-only in
 * fact, not only in its type. The core writes through the functions of `core` below (made in the
 * class's static block, the only code that can reach the private fields besides the getters).
 */
export class CallState implements PolicyCall {
	readonly #method: string;
	readonly #input: Input;
	readonly #options: Record<string, unknown>;
	readonly #identity: string | undefined;
	readonly #key: string | undefined;
	readonly #replay: boolean;
	readonly #waitUntil: WaitUntil | undefined;
	#attempts = 0;
	#request: Request | undefined;
	#scope: string | undefined;
	/** ky's error behind the retry about to be sent (recorded by the call's `beforeRetry` hook). */
	#retryError: Error | undefined;
	/** The Response ky resolved with, to tell it apart from one a wrapper made up. */
	#response: Response | undefined;
	/** ky's own promise for the latest run, whose body shortcuts parse ky's response the ky way. */
	#run: ResponsePromise | undefined;
	/** Body shortcuts asked for before a run started (a wrapper awaited first): started with each run. */
	#onRun: Array<(run: ResponsePromise) => void> | undefined;
	/** Set when a wrapper runs ky again (failover, auth): its first attempt is not a retry. */
	#restart = false;

	constructor(method: string, input: Input, options: Record<string, unknown>, identity: string | undefined, key: string | undefined, replay: boolean, waitUntil: WaitUntil | undefined) {
		this.#method = method;
		this.#input = input;
		this.#options = options;
		this.#identity = identity;
		this.#key = key;
		this.#replay = replay;
		this.#waitUntil = waitUntil;
		// Read-only in fact: no policy can shadow a getter (`replay`, `idempotencyKey`) with a field of its own.
		Object.freeze(this);
	}

	get method(): string {
		return this.#method;
	}

	get input(): Input {
		return this.#input;
	}

	get options(): Readonly<Record<string, unknown>> {
		return this.#options;
	}

	get signal(): AbortSignal | undefined {
		return (this.#options['signal'] as AbortSignal | null | undefined) ?? undefined;
	}

	get identity(): string | undefined {
		return this.#identity;
	}

	get idempotencyKey(): string | undefined {
		return this.#key;
	}

	get replay(): boolean {
		return this.#replay;
	}

	get waitUntil(): WaitUntil | undefined {
		return this.#waitUntil;
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

	static {
		core = {
			attempt(call, request, scopeOf) {
				if (call.#attempts++ === 0) {
					call.#request = request;
					call.#scope = scopeOf(request.url);
					return 'first';
				}

				if (call.#restart) {
					call.#restart = false;
					return 'restart';
				}

				return 'retry';
			},
			retryError(call, error) {
				const previous = call.#retryError;
				call.#retryError = error;
				return previous;
			},
			run(call, run) {
				call.#restart = call.#attempts > 0;
				call.#run = run;
				for (const start of call.#onRun ?? []) {
					start(run);
				}
			},
			current: (call) => call.#run,
			onRun(call, start) {
				call.#onRun ??= [];
				call.#onRun.push(start);
			},
			answered(call, response) {
				call.#response = response;
			},
			isKys: (call, response) => response === call.#response,
		};
	}
}

/** The core's access to a call's state (see `CallState`). */
interface CoreAccess {
	/** Count an attempt starting: the first fixes the call's Request and scope; a restart is a wrapper's new run. */
	attempt(call: CallState, request: Request, scopeOf: (url: string) => string): 'first' | 'restart' | 'retry';
	/** Record ky's error behind a retry (or, with `undefined`, take it): returns the one recorded before. */
	retryError(call: CallState, error: Error | undefined): Error | undefined;
	/** A run of ky starts. */
	run(call: CallState, run: ResponsePromise): void;
	/** ky's promise of the latest run. */
	current(call: CallState): ResponsePromise | undefined;
	/** Start `start` with every run, the current one included by the caller. */
	onRun(call: CallState, start: (run: ResponsePromise) => void): void;
	/** ky resolved a run with this response. */
	answered(call: CallState, response: Response): void;
	/** Whether the call resolved with ky's own response (not one a policy made up). */
	isKys(call: CallState, response: Response): boolean;
}

