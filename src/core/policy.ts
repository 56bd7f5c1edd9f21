import type { Options as KyOptions, ResponsePromise } from 'ky';
import type { EmittedEvent, EventMap, EventType } from './event-types.js';
import type { CallOptions, CoreClientOptions } from './options.js';
import type { Clock, Layer, PolicyCall, Reachability, WaitUntil } from './types.js';
import type { Counter } from './stats.js';
import type { World } from './world.js';

export type { PolicyCall } from './types.js';

/** A log level of an event (`PolicyParts.levels`). */
export type LogLevel = 'info' | 'warn' | 'error';

/** The `stats()` counters an outcome a policy made in the network's place counts in (`PolicyParts.substituted`): `stale`, `queued`. */
export type { Counter } from './stats.js';

/**
 * The slots of `createClient`, each filled by a policy whose `slot` is its key: every policy adds its
 * own by declaration merging (`declare module 'steadfetch/core' { interface Slots { audit: Policy<'audit'> } }`),
 * the built-ins as an app's own do. The core names none of them. A slot is never one of the client's own options,
 * ky's (`retry`, `headers`, `json`) or a call's (`idempotencyKey`): a policy there is a `TypeError` at `createClient`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging
export interface Slots {}

/**
 * A slot's name: also its option key of `createClient` (`breaker`, `staleCache`, an app's `audit`, ...).
 * `steadfetch/policy`: stable from this version (semver applies).
 */
export type SlotName = keyof Slots & string;

/**
 * Where a policy's parts sit (`Policy.at`): lower outside. Wrap bands (the wrappers around the whole
 * call) and layer bands (the per-attempt layers) are two separate orders; a part without a band sits
 * at 1 000; ties: the slot name that sorts first sits outside. The built-ins' bands lie between 100
 * and 900 (the table in src/bands/bands.ts), so an app's part without a band sits inside every built-in.
 */
export interface PolicyBands {
	/** The band of the policy's wrapper around the whole call (`PolicyParts.wrap`), any finite number. */
	readonly wrap?: number;
	/** The band of the policy's per-attempt layer (`PolicyParts.layer`), any finite number. */
	readonly layer?: number;
}

/**
 * Fields of an event as a policy emits it: `type` and `time` are the context's; `scope` may be left
 * out (the scope of the event's `url`, else the client's `'*'`).
 * `steadfetch/policy`: stable from this version (semver applies).
 */
export type EventFields<T extends EventType> = Omit<EventMap[T], 'type' | 'time' | 'scope'> & { scope?: string };

/**
 * What the client gives each policy when it is created. No handle on the whole client.
 * `steadfetch/policy`: stable from this version (semver applies).
 */
export interface PolicyContext {
	/** The client's `name`: namespace of persisted state and of cross-tab channels. */
	readonly name: string;
	readonly clock: Clock;
	/** Random source in [0, 1). */
	readonly random: () => number;
	/**
	 * The client's options as given (ky's and steadfetch's), e.g. its `store`, `prefix`,
	 * `stringifyJson`, typed by `CoreClientOptions` (its slots as the policies merged them).
	 */
	readonly options: Readonly<CoreClientOptions>;
	/** Store instances by namespace, shared by the clients of one name and store (`extend()`). */
	readonly stores: Map<string, unknown>;
	/**
	 * What one policy offers the others, by documented name, without importing each other: each hook
	 * is declared (`PolicyHooks`) and set by the policy that offers it, and may be missing.
	 */
	readonly hooks: Partial<PolicyHooks>;
	/**
	 * Each event's log level, as the policy that emits it declares it (`PolicyParts.levels`), the
	 * core's own events' (`retry`, `budget:exhausted`, `storage:error`) included: what the `logger`
	 * slot writes, and at which level. Complete once the client is assembled (from `start()` on).
	 */
	readonly levels: Readonly<Partial<Record<EventType, LogLevel>>>;
	/** The client's `identity()` now (outside a call), undefined without the option or when it fails. */
	identity(): string | undefined;
	/**
	 * The world now, for work that starts outside a call and belongs to no user (a coordinator sync):
	 * checked at each later write as `PolicyCall.world` is (src/core/world.ts, API.md "Work that
	 * outlives its caller") — every clear of everything and of its part counts; no identity is bound.
	 * With `identity`, the clears of that identity count too (an outbox pass over its entries), while
	 * a later identity change does not.
	 */
	world(identity?: string): World;
	/**
	 * A clear of `part`'s records (every identity's, or `identity`'s) begins: note it before its first
	 * await, so work that started before (its `world`) writes nothing more of them. Shared by the
	 * clients of one name and store; `client.clear()` notes one of every part itself.
	 */
	cleared(part: string, identity?: string): void;
	/** `id` of `part` is being removed (an outbox `discard`): work that started before writes nothing more of it. */
	removed(part: string, id: string): void;
	/**
	 * Emit an event: `type` and `time` are the context's own (given in `fields`, ignored), `scope` the
	 * one `fields` give, else the scope of `fields.url` when it has one, else the client's `'*'`.
	 * Skipped cheaply when nobody listens; URLs in it have their sensitive values removed (query values, a
	 * password; a `URL` object's `url` or `mirror` shown as its string).
	 */
	emit<T extends EventType>(type: T, fields: EventFields<T>): void;
	/** Whether anybody listens to `type` (or `'*'`) now: lets a policy skip building an event. */
	listening(type: EventType): boolean;
	/** Listen to the client's events (policies talk through events, never by importing each other). */
	on<T extends EventType>(type: T, listener: (event: EmittedEvent<T>) => void): () => void;
	/**
	 * The scope of an absolute URL (the origin, or what the breaker's `scope` option says). Once the client is made
	 * (`start()` or later, a call's layers and wrappers): asked in `create()`, it throws a TypeError saying so.
	 */
	scopeOf(url: string): string;
	/** Spend one retry of the scope's retry budget for an extra attempt (a hedge); false when spent (not told as `budget:exhausted`, which is the retries'). */
	spendRetry(scope: string): boolean;
	/**
	 * Count one `fetch` a policy makes for `call` outside its attempts (the breaker's own probe, a
	 * coordinator call) against the call's request context (`client.withContext(ctx, { subrequests })`):
	 * false, and nothing counted, once the context has no subrequest left for what steadfetch adds.
	 * Always true for a call of no context (or no call). The call's attempts (retries, hedges,
	 * failover attempts, replays) are counted and refused by the core.
	 */
	subrequest(call: PolicyCall | undefined): boolean;
	/** The scope's reachability now (`client.reachability`): from what the client's own attempts saw, `navigator.onLine` a hint. */
	reachability(scope: string): Reachability;
	/**
	 * Whether to hold an attempt to `scope` because the scope is `offline` (a read answered by its
	 * copy, a write kept queued): true while it is, except once every 10 s per scope, when it answers
	 * false and the attempt goes out to find out whether the network is really gone (a wrong
	 * `navigator.onLine` never blocks a working origin for long). A call nothing can answer without
	 * the network does not ask: it always sends its attempt. `untried`: the attempt such a `false` let out was refused
	 * before it was sent (a `SteadfetchError`: its identity changed, an open breaker): the next one may go (answers false).
	 */
	offline(scope: string, untried?: boolean): boolean;
	/**
	 * A stored copy answered a call of `scope` (a stale answer of any reason, a `slow` one while its
	 * attempt goes on): the scope's next answer `classify()` does not call transient fires `scope:back`,
	 * as after a failure (the app showed a stale copy: `refetchWhenBack` refetches what waits for the scope).
	 */
	late?(scope: string): void;
	/**
	 * Another tab (or the fleet) of the name got an HTTP answer from `scope`: its breaker's probe, heard as the scope's
	 * breaker closing here, or (another tab's) as its opening on an HTTP answer (a probe answered 503 re-opens it), or an
	 * attempt of another tab that its breaker counted (breaker/tabs.ts `hear`). The scope is `reachable` here too, told
	 * at once, as after an answer of this client's. With that attempt's `status` (an attempt of another tab, or the probe
	 * whose answer closed the breaker there; a closing by a `reset()` or a `clear()`, which no answer made, is not told): an answer
	 * `classify()` does not call transient fires `scope:back` here where this client's attempts failed or a copy answered.
	 */
	reached?(scope: string, status?: number): void;
	/**
	 * The one way a layer ends an attempt without I/O: return `answer(call, outcome)` from the layer
	 * instead of calling `next`. With a Response (a stored copy), the call's run resolves with it as
	 * if the network had answered — no retry, no `afterResponse` hook, nothing counted by the layers
	 * below; with an Error (the outbox holding a write), the run rejects with it, never retried. Only
	 * for a call one of the policy's wrappers applies to (`appliesTo`): a call no wrapper applies to is
	 * ky's own promise, which can only reject (the attempt fails with the Error, or with a TypeError
	 * that says a Response needs a wrapper). Anything else (nothing, a string, a plain object) answers
	 * with a TypeError saying so.
	 */
	answer(call: PolicyCall, outcome: Response | Error): Promise<never>;
	/**
	 * A policy's state per call, for both its halves: `const stateOf = context.perCall((call) => ({ … }))`
	 * at creation; `stateOf(call)` in the wrapper and in the layer gives the same object, made once
	 * per call by whichever asks first, gone with the call.
	 */
	perCall<S>(make: (call: PolicyCall) => S): (call: PolicyCall) => S;
	/**
	 * Send a request through the client (default headers, hooks and the other policies apply);
	 * `replay` marks it as an outbox replay (`PolicyCall.replay`). Once the client is made (`start()` or later): one
	 * asked in `create()` rejects with a TypeError saying so, nothing sent.
	 */
	send(input: string, options: Record<string, unknown>, replay?: boolean): ResponsePromise;
}

/**
 * The hooks policies offer each other (see `PolicyContext.hooks`), each declared by the policy that
 * sets it, by declaration merging (`declare module 'steadfetch/core' { interface PolicyHooks { … } }`):
 * the stale cache's `validatorOf`, auth's `tokenGoesTo`. Each may be missing (its policy not filled).
 *
 * `steadfetch/policy`: stable from this version (semver applies).
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging
export interface PolicyHooks {}

/**
 * Options a wrapper adds to one run of ky (`next(extra)`), read as the call's own: headers are merged, a `retry` is laid
 * over the client's rules as a call's own `retry` is (a number its limit; a POST or PATCH retried with an Idempotency-Key),
 * a `fetch` goes through the layers as a call's own does, the rest replace the call's; one given as `undefined` is not given
 * (the call's and the client's value stand).
 * `steadfetch/policy`: stable from this version (semver applies).
 */
export type RunOptions = Pick<KyOptions, 'headers' | 'body' | 'retry' | 'stringifyJson'>;

/**
 * The parts a policy may declare. All optional; what a policy leaves out costs nothing per call.
 * `steadfetch/policy`: stable from this version (semver applies).
 */
export interface PolicyParts {
	/**
	 * Per-attempt layer: composed once into the `fetch` ky calls for every attempt, retries included.
	 * One that throws as it is composed, or gives back no function, makes `createClient` throw (a TypeError naming the slot for the latter), every part made closed
	 * (an `async` one's rejection handled); composed again for a call's own `fetch`, it fails that call's attempts so.
	 * The function it gives back returns a promise; a Response given back at once is taken as a promise of it (as a wrap's
	 * is). One that throws, or gives back anything else that is no thenable (a forgotten `return`, a plain value), fails
	 * that attempt only (a TypeError naming the slot for the latter), and the layers above give back what they hold. One
	 * that sends its attempt with a signal of its own and aborts it ends that attempt as `fetch` does (a plain abort is
	 * `ABORTED`, a reason given is that error): no timeout of ky's, which reaches a Request made from the one given unless
	 * the layer gives it another signal.
	 */
	readonly layer?: Layer;
	/**
	 * Outer wrapper around the whole call (every attempt): sees the final outcome, may skip `next`,
	 * replace its result, recover from its error, or run ky again (after its run, or beside it: each run's first attempt is
	 * no retry, neither told, counted nor paid as one). `next(extra)` runs ky with
	 * `extra` over the call's options, and never throws: an `extra` the call's own options would be refused as (no options
	 * object, as `5` or `null`; a value of the wrong type or out of range, as `timeout: 'x'` or `fetch: 5`), headers `Headers`
	 * refuses, or a body over a SharedArrayBuffer, reject it with an `InvalidRequestError`, before any I/O; a run started again, or a first one after the wrapper waited
	 * (a token, a lock), gets what is left of the call's `totalTimeout` (measured from the call's start), never a new one. A wrapper
	 * that waits before its first run (reading no signal, or for ever) never holds the call past the caller's abort (it rejects
	 * with the reason at once), its `totalTimeout` (ky's `TimeoutError`, nothing sent) or the client's `close()` (`CLIENT_CLOSED`,
	 * as a bulkhead's waiter; a run it starts after is refused): what it gives later is nobody's. Runs only when `appliesTo(call)` says so. One that throws at
	 * once (or an `appliesTo` that throws) fails that call only, as a rejection; one that gives back a
	 * Response at once is read as resolving with it (as a layer's is), one that gives back anything else
	 * that is no thenable (a forgotten `return`, a plain value) fails that call only with a `TypeError`
	 * naming the slot; one that resolves with no Response (`undefined`, ky's `stop`, aside) fails that
	 * call with a `TypeError` saying so.
	 */
	wrap?(call: PolicyCall, next: (extra?: RunOptions) => Promise<Response>): Promise<Response>;
	/**
	 * Check this policy's own per-call option (`options[slot]`, given and not `false`) before any I/O:
	 * throw to refuse the call, which then rejects with an `InvalidRequestError` (the thrown error as
	 * its `cause`, its message as the error's); an `Error` given back (a forgotten `throw`) refuses it the same way,
	 * anything else given back refuses nothing. Runs only for calls that give the option, synchronously:
	 * one that gives back a promise (an `async checkCall`) refuses those calls the same way (a TypeError
	 * naming the slot as the cause): none is sent before its answer, and its rejection is never left unhandled.
	 */
	checkCall?(value: unknown, options: Readonly<CallOptions>): void;
	/**
	 * `true` when the policy reads its own per-call `{ [slot]: false }` itself (the stale cache: such a
	 * call is never answered stale nor stored, but a successful write still drops the copies of its
	 * URL); otherwise the core skips its `wrap`, `layer` and `settled` for such a call.
	 */
	readonly ownSwitch?: boolean;
	/**
	 * Whether `wrap` runs for this call. Keep it cheap: it runs on every call. It answers at once: one that
	 * gives back a promise (an `async appliesTo`) fails every call with a TypeError naming the slot before
	 * any I/O (its rejection handled), never taken as "applies" (a promise is truthy). One that throws fails that call only, as a rejection.
	 */
	appliesTo?(call: PolicyCall): boolean;
	/**
	 * Sees every call's outcome once it is settled (its response, or its error), but a call's that turned the policy off
	 * (see `ownSwitch`). Never throws: one that does, or an `async` one that rejects, fails no call (its rejection handled).
	 */
	settled?(call: PolicyCall, response: Response | undefined, error: unknown): void;
	/**
	 * The scope of an absolute URL, when this policy defines scopes (the breaker's `scope` option). It answers at
	 * once: one that gives back a promise (an `async scopeOf`, its rejection handled) fails each call with a
	 * TypeError naming the slot before any I/O, never making every URL one scope (`'[object Promise]'`). No scope
	 * (`undefined`, `null`, `''`) is the default one, the URL's origin.
	 */
	readonly scopeOf?: (url: string) => string;
	/**
	 * The log level of each event this policy emits (`PolicyContext.levels`): an event not listed (or `undefined`) is not
	 * logged. With the `logger` slot filled, a level that is not `'info'`, `'warn'` or `'error'` (`'debug'`, `'WARN'`) is a
	 * `TypeError` naming the event at `createClient` (its `start()`), every part closed.
	 */
	readonly levels?: Readonly<Partial<Record<EventType, LogLevel>>>;
	/**
	 * Called once after the client is assembled: open channels, listeners, timers (never at import).
	 * One that throws makes `createClient` throw it, every part closed; an `async` one that rejects fails nothing (its
	 * rejection handled: `createClient` has given its client by then).
	 */
	start?(): void;
	/** Stop timers, listeners and channels. One that throws, or an `async` one that rejects, is its own: the others still close, the client's `close()` does not throw. */
	close?(): void;
	/** Remove the persisted records of this policy (all, or one identity's). */
	clear?(options?: { identity?: string }): Promise<void>;
	/**
	 * Whether the call's outcome — the response it resolved with, or the error it rejected with — was
	 * this policy's answer in the network's place, and which `stats()` counter counts it: `'stale'` (a
	 * stale copy) or `'queued'` (a write kept queued); a response so counted is a success too. A call
	 * rejected with such an error is not a failure, and `fallback` never answers it. It answers at once:
	 * one that throws, gives back a promise (an `async substituted`, its rejection handled) or anything
	 * but `'stale'` or `'queued'` (`true`, another counter's name) says the outcome is not its own.
	 */
	substituted?(outcome: Response | unknown): Counter | undefined;
	/**
	 * This policy's view of a scope, merged into `client.stats()[scope]` (under its slot's name, as the built-ins do): a
	 * field named as one of the client's counters (`requests`, `failures`, …) replaces none of them. One that throws, or an
	 * `async` one (its rejection handled), adds nothing.
	 */
	stats?(scope: string): Record<string, unknown> | undefined;
	/**
	 * Whether this policy holds something of a scope its `stats()` counters must stay for (an open
	 * breaker, an unhealthy scope, pending outbox entries): the client forgets idle scopes past
	 * `maxScopes`, never one a policy holds. A policy keeps its own per-scope state in `scopes()`
	 * (src/utils/scopes.ts), which bounds it the same way. It answers at once: one that throws, or gives
	 * back a promise (an `async holds`, its rejection handled), holds nothing of that scope.
	 */
	holds?(scope: string): boolean;
	/**
	 * Members this policy gives the client (`breaker` and `waitForHealthy`, `cache`, `outbox`). A name
	 * the client has already (its own, ky's, another policy's), or `then` (it would make the client a thenable, which
	 * `await` calls), is a `TypeError` at `createClient`; in `membersFor`, at that `withContext`.
	 */
	readonly members?: object;
	/**
	 * Members of `client.withContext(ctx)` in place of `members`, bound to the request's `waitUntil`
	 * (the outbox's: its replays hand their background work to it). Called by each `withContext`: one
	 * that throws makes that `withContext` throw it, as a `create()` that throws makes `createClient` throw; an `async` one
	 * gives no members (its rejection handled). `onClose(end)`: `end` is called once, when that request's
	 * client closes (its `close()`, not the client's: that one calls the policy's `close`), so its members
	 * end their pending work as the client's `close()` ends theirs (the breaker's `waitForHealthy`).
	 */
	membersFor?(waitUntil: WaitUntil, onClose: (end: () => void) => void): object;
}

/**
 * A policy: what a slot of `createClient` takes. Made by a factory in the policy's own entry
 * (`breaker()` in `steadfetch/breaker`, ...); the client calls `create` once, with its context.
 * `steadfetch/policy`: stable from this version (semver applies).
 */
export interface Policy<S extends string = string, P extends PolicyParts = PolicyParts> {
	/** The slot this policy fills: the option key of `createClient` it goes under. */
	readonly slot: S;
	/** Where its parts sit in the pipeline (see `PolicyBands`); without it, both at 1 000. */
	readonly at?: PolicyBands;
	create(context: PolicyContext): P;
}

/**
 * Whether a slot value is a policy (made by a factory) rather than plain options. A value that cannot be read (a Proxy
 * whose traps throw) is none: the option it was given as is refused as that option, naming it, never with the trap's error.
 */
export const isPolicy = (value: unknown): value is Policy => {
	try {
		return typeof (value as Policy | undefined)?.create === 'function' && typeof (value as Policy).slot === 'string';
	} catch {
		return false;
	}
};
