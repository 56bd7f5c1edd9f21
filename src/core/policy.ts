import type { Options as KyOptions, ResponsePromise } from 'ky';
import type { EventMap, EventType } from './event-types.js';
import type { Clock, Layer, PolicyCall, Reachability, WaitUntil } from './types.js';
import type { World } from './world.js';

export type { PolicyCall } from './types.js';

/**
 * The slots a policy can fill, in the order their outer wrappers run, outermost first. The user's
 * order of options never matters.
 *
 * - `auth` outside everything: a 401 after every other policy has had its say triggers one refresh.
 * - `trace` next: one request id and trace for the whole call (`otel()`'s call span).
 * - `outbox` sees the final outcome of a mutation, after the stale cache and the retries.
 * - `staleCache` answers a failed read with a stale copy, looked up and stored by the URL asked for.
 * - `failover` sends a failed read to a mirror, inside the cache: the cache answers stale only when
 *   every mirror failed too, and stores a mirror's answer under the primary URL.
 * - `dedupe` shares one in-flight read between identical callers.
 * - `hedge` sends a second attempt when the first is slow; above `adaptiveThrottle`, `bulkhead` and
 *   `rateLimit`, so a hedge is judged, takes a slot and a token like any attempt.
 * - `adaptiveThrottle` refuses an attempt locally while the scope rejects much of what it gets:
 *   before it waits for a slot or takes a token.
 * - `bulkhead`, `rateLimit` hold an attempt before it takes a connection.
 * - `breaker` innermost, next to the transport: it counts only attempts that really go out.
 * - `logger` and `health` only watch outcomes.
 */
export const slotOrder = ['auth', 'trace', 'outbox', 'staleCache', 'failover', 'dedupe', 'hedge', 'adaptiveThrottle', 'bulkhead', 'rateLimit', 'breaker', 'logger', 'health'] as const;

/**
 * The order of the per-attempt layers, outermost first: as `slotOrder`, except that `trace` runs
 * inside `hedge` (each hedge is an attempt with its own `traceparent` and `attempt:*` events) and
 * `health` innermost (it times attempts that reached the transport); `logger` outermost (it
 * notes when a call's first attempt starts).
 *
 * `auth` stays above `staleCache`: the cache keys its copies by the request's credentials, so it
 * must see the token (also offline, when it answers before any layer below runs). It therefore
 * judges the primary's URL; `failover`, which re-targets an attempt below it, asks auth again for
 * the mirror's URL (`hooks.tokenGoesTo`) and drops auth's token when the mirror is not one of its
 * origins. `dedupe` and `hedge`, below both, see the request as it goes out (dedupe's key holds its
 * `Authorization`; a hedge copies it to the same URL).
 */
export const layerOrder: readonly SlotName[] = ['logger', 'auth', 'outbox', 'staleCache', 'failover', 'dedupe', 'hedge', 'trace', 'adaptiveThrottle', 'bulkhead', 'rateLimit', 'breaker', 'health'];

/**
 * A slot's name: also its option key of `createClient` (`breaker`, `staleCache`, ...).
 * @experimental `steadfetch/policy`: may change in a minor version.
 */
export type SlotName = typeof slotOrder[number];

/**
 * Fields of an event as a policy emits it (`type` and `time` are filled in).
 * @experimental `steadfetch/policy`: may change in a minor version.
 */
export type EventFields<T extends EventType> = Omit<EventMap[T], 'type' | 'time'>;

/**
 * What the client gives each policy when it is created. No handle on the whole client.
 * @experimental `steadfetch/policy`: may change in a minor version.
 */
export interface PolicyContext {
	/** The client's `name`: namespace of persisted state and of cross-tab channels. */
	readonly name: string;
	readonly clock: Clock;
	/** Random source in [0, 1). */
	readonly random: () => number;
	/** The client's options as given (ky's and steadfetch's), e.g. its `store`, `prefix`, `stringifyJson`. */
	readonly options: Readonly<Record<string, unknown>>;
	/** Store instances by namespace, shared by the clients of one name and store (`extend()`). */
	readonly stores: Map<string, unknown>;
	/**
	 * What one policy offers the others, by documented name, without importing each other. Today:
	 * `validatorOf(url, identity)` — set by the stale cache: the validators (`etag`, `lastModified`)
	 * of the copy it holds for an absolute URL and identity, for the outbox's `conditional` writes.
	 */
	readonly hooks: PolicyHooks;
	/** The client's `identity()` now (outside a call), undefined without the option or when it fails. */
	identity(): string | undefined;
	/**
	 * The world now, for work that starts outside a call and belongs to no user (a coordinator sync):
	 * checked at each later write as `PolicyCall.world` is (src/core/world.ts, API.md "Work that
	 * outlives its caller") — every clear of everything and of its part counts; no identity is bound.
	 */
	world(): World;
	/**
	 * A clear of `part`'s records (every identity's, or `identity`'s) begins: note it before its first
	 * await, so work that started before (its `world`) writes nothing more of them. Shared by the
	 * clients of one name and store; `client.clear()` notes one of every part itself.
	 */
	cleared(part: string, identity?: string): void;
	/** `id` of `part` is being removed (an outbox `discard`): work that started before writes nothing more of it. */
	removed(part: string, id: string): void;
	/** Emit an event with `type` and `time` filled in; skipped cheaply when nobody listens. */
	emit<T extends EventType>(type: T, fields: EventFields<T>): void;
	/** Whether anybody listens to `type` (or `'*'`) now: lets a policy skip building an event. */
	listening(type: EventType): boolean;
	/** Listen to the client's events (policies talk through events, never by importing each other). */
	on<T extends EventType>(type: T, listener: (event: EventMap[T]) => void): () => void;
	/** The scope of an absolute URL (the origin, or what the breaker's `scope` option says). */
	scopeOf(url: string): string;
	/** Spend one retry of the scope's retry budget for an extra attempt (a hedge); false when spent. */
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
	 * the network does not ask: it always sends its attempt.
	 */
	offline(scope: string): boolean;
	/**
	 * A copy answered a call in the place of its attempt, which goes on (a `slow` stale answer): the
	 * scope's next answer `classify()` does not call transient fires `scope:back`, as after a failure
	 * (the app showed a stale copy: `refetchWhenBack` refetches what waits for the scope).
	 */
	late?(scope: string): void;
	/**
	 * The one way a layer ends an attempt without I/O: return `answer(call, outcome)` from the layer
	 * instead of calling `next`. With a Response (a stored copy), the call's run resolves with it as
	 * if the network had answered — no retry, no `afterResponse` hook, nothing counted by the layers
	 * below; with an Error (the outbox holding a write), the run rejects with it, never retried. Only
	 * for a call one of the policy's wrappers applies to (`appliesTo`): a call no wrapper applies to is
	 * ky's own promise, which can only reject.
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
	 * `replay` marks it as an outbox replay (`PolicyCall.replay`).
	 */
	send(input: string, options: Record<string, unknown>, replay?: boolean): ResponsePromise;
}

/**
 * The hooks policies offer each other (see `PolicyContext.hooks`); each may be missing.
 * @experimental `steadfetch/policy`: may change in a minor version.
 */
export interface PolicyHooks {
	validatorOf?(url: string, identity: string | undefined): Promise<{ etag?: string; lastModified?: string } | undefined>;
	/**
	 * Set by `auth`: whether the token it put on the call's current attempt may go to `url` (true when
	 * it put none). `failover` asks it for a mirror: a request re-targeted below auth's layer is
	 * checked again for the URL it really goes to.
	 */
	tokenGoesTo?(call: PolicyCall, url: string): boolean;
	/**
	 * Set by the outbox: how many writes of `identity` to exactly `url` are pending (counted in memory,
	 * never by listing the store). The stale cache marks a copy it serves with it (`pending-writes=N`).
	 */
	pendingWrites?(url: string, identity: string | undefined): number;
}

/**
 * Options a wrapper adds to one run of ky (`next(extra)`): headers are merged, the rest replace.
 * @experimental `steadfetch/policy`: may change in a minor version.
 */
export type RunOptions = Pick<KyOptions, 'headers' | 'body' | 'retry' | 'stringifyJson'>;

/**
 * The parts a policy may declare. All optional; what a policy leaves out costs nothing per call.
 * @experimental `steadfetch/policy`: may change in a minor version.
 */
export interface PolicyParts {
	/** Per-attempt layer: composed once into the `fetch` ky calls for every attempt, retries included. */
	readonly layer?: Layer;
	/**
	 * Outer wrapper around the whole call (every attempt): sees the final outcome, may skip `next`,
	 * replace its result, recover from its error, or run ky again. `next(extra)` runs ky with
	 * `extra` over the call's options. Runs only when `appliesTo(call)` says so.
	 */
	wrap?(call: PolicyCall, next: (extra?: RunOptions) => Promise<Response>): Promise<Response>;
	/** Whether `wrap` runs for this call. Keep it cheap: it runs on every call. */
	appliesTo?(call: PolicyCall): boolean;
	/** Sees every call's outcome once it is settled (its response, or its error). Never throws. */
	settled?(call: PolicyCall, response: Response | undefined, error: unknown): void;
	/** The scope of an absolute URL, when this policy defines scopes (the breaker's `scope` option). */
	readonly scopeOf?: (url: string) => string;
	/** Called once after the client is assembled: open channels, listeners, timers (never at import). */
	start?(): void;
	/** Stop timers, listeners and channels. */
	close?(): void;
	/** Remove the persisted records of this policy (all, or one identity's). */
	clear?(options?: { identity?: string }): Promise<void>;
	/** Whether a response the call resolved with was made by this policy, and how `stats()` counts it. */
	substituted?(response: Response): 'stale' | 'queued' | undefined;
	/** This policy's view of a scope, merged into `client.stats()[scope]`. */
	stats?(scope: string): Record<string, unknown> | undefined;
	/**
	 * Whether this policy holds something of a scope its `stats()` counters must stay for (an open
	 * breaker, an unhealthy scope, pending outbox entries): the client forgets idle scopes past
	 * `maxScopes`, never one a policy holds. A policy keeps its own per-scope state in `scopes()`
	 * (src/utils/scopes.ts), which bounds it the same way.
	 */
	holds?(scope: string): boolean;
	/** Members this policy gives the client (`breaker` and `waitForHealthy`, `cache`, `outbox`). */
	readonly members?: object;
	/**
	 * Members of `client.withContext(ctx)` in place of `members`, bound to the request's `waitUntil`
	 * (the outbox's: its replays hand their background work to it). Called by each `withContext`.
	 */
	membersFor?(waitUntil: WaitUntil): object;
}

/**
 * A policy: what a slot of `createClient` takes. Made by a factory in the policy's own entry
 * (`breaker()` in `steadfetch/breaker`, ...); the client calls `create` once, with its context.
 * @experimental `steadfetch/policy`: may change in a minor version.
 */
export interface Policy<S extends SlotName = SlotName, P extends PolicyParts = PolicyParts> {
	/** The slot this policy fills; it decides where the policy runs. */
	readonly slot: S;
	create(context: PolicyContext): P;
}

/** Whether a slot value is a policy (made by a factory) rather than plain options. */
export const isPolicy = (value: unknown): value is Policy =>
	typeof (value as Policy | undefined)?.create === 'function' && typeof (value as Policy).slot === 'string';
