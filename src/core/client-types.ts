import type { Input, KyInstance, ResponsePromise } from 'ky';
import type { EmittedEvent, EventType } from './event-types.js';
import type { CallOptions } from './options.js';
import type { ScopeStats } from './stats.js';

/**
 * Each policy's view of a scope in `client.stats()`, each member there only when the policy runs
 * (the core names none): each policy adds its own where its factory's module is imported
 * (`interface PolicyStats { breaker: BreakerSnapshot }` in src/breaker/index.ts), as `SlotMembers`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by each policy's module (declaration merging), empty for the core alone.
export interface PolicyStats {}

/** `client.stats()`: counters per scope, with each policy's view of the scope (`PolicyStats`: `breaker`, the health figures). */
export type ClientStats = Record<string, ScopeStats & Partial<PolicyStats> & Record<string, unknown>>;

/** `stats()` of a client `withContext` returned: the client's, and the `fetch`es steadfetch made for that request context. */
export type ContextStats = ClientStats & {
	/** Subrequests steadfetch made for this request context: HTTP attempts (the callers' first ones too) and coordinator calls. */
	readonly subrequests: number;
};

/** One call, as ky's: `(input, options?)`. */
export type CallFunction = <T = unknown>(input: Input, options?: CallOptions) => ResponsePromise<T>;

/** A Worker's `ExecutionContext`, or anything with its `waitUntil`. */
export interface ContextLike {
	waitUntil(promise: Promise<unknown>): void;
}

/** What `client.withContext(ctx, options)` knows of the request it serves. */
export interface ContextOptions {
	/**
	 * The `fetch`es this request may make (Cloudflare counts every one of an invocation and fails it
	 * past its plan's limit: 50 on the free plan). Once steadfetch's attempts for this context (HTTP
	 * attempts, the callers' own first ones included, and Durable Object coordinator calls; Cache API
	 * operations are not counted) reach `subrequests − 5` (with 5 or fewer, from the start), it sends no retry, hedge, failover attempt,
	 * probe, outbox replay or coordinator call of its own for the context: a refused retry ends its
	 * call with its last attempt's error (`budget:exhausted` with `reason: 'subrequests'`, once per
	 * context), and a read whose retry or failover attempt was refused is answered by its stored copy
	 * (`detail=subrequests`) when it has one. A caller's first attempt is never refused. A positive
	 * integer, or `Infinity` (`RangeError` otherwise). Counted anyway: `stats().subrequests`. The count
	 * belongs to the `ctx` object: every `withContext(ctx)` for the same `ctx`, of any client of the
	 * isolate, shares it (a helper that calls `withContext(ctx)` per call starts no new budget), and
	 * the first `withContext` for a `ctx` that gives `subrequests` fixes its limit (one that gives none
	 * counts under the default until then). In a Durable Object, whose `this.ctx` lives as long as the
	 * object while Cloudflare counts subrequests per incoming request, give each request an object of its
	 * own (`withContext({ waitUntil: (p) => this.ctx.waitUntil(p) })`): `withContext(this.ctx)` counts
	 * every request the object ever serves in one budget.
	 * @default 50 in workerd (Cloudflare Workers, miniflare, `wrangler dev`); no limit elsewhere
	 */
	subrequests?: number;
	/**
	 * The incoming request. Every call of the context is aborted when its `signal` aborts (the client
	 * went away: workerd sets it with the `enable_request_signal` compatibility flag), and a call made
	 * after rejects before any I/O; with the client's `deadlineHeader`, the deadline the request
	 * carries bounds every call of the context.
	 * @default undefined
	 */
	request?: Request;
}

/**
 * The members each policy gives the client, by its slot's name. The core names none: each policy
 * adds its own where its factory's module is imported (`declare module 'steadfetch/core' { interface
 * SlotMembers { breaker: BreakerMembers } }` in src/breaker/index.ts), so a client's type has the
 * members of the policies its options fill, and a program that imports none knows of none.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by each policy's module (declaration merging), empty for the core alone.
export interface SlotMembers {}

/** Every member of slots `K` in one type (`unknown` for none). */
type MembersIn<K extends keyof SlotMembers> = [K] extends [never] ? unknown
	: (K extends unknown ? (members: SlotMembers[K]) => void : never) extends (members: infer I) => void ? I : never;

/** The slots options `O` fill: with a policy (or, in the preset, `true` or plain options). */
type Filled<O> = { [K in keyof SlotMembers]: [O] extends [{ [key in K]: object | true }] ? K : never }[keyof SlotMembers];

/**
 * The slots whose members a client of the entry with options type `E` always has: those its options
 * fill from `true` (the preset's breaker and stale cache, on by default, with stand-ins when off).
 */
type Always<E> = { [K in keyof SlotMembers]: true extends (E extends { [key in K]?: infer V } ? V : never) ? K : never }[keyof SlotMembers];

/** The slots a client with members `M` has after `extend(O)`: a slot turned off by `false`, on by a policy, else kept. */
type Kept<M, O> = {
	[K in keyof SlotMembers]: [O] extends [{ [key in K]: false }] ? never
		: [O] extends [{ [key in K]: object | true }] ? K
			: [M] extends [SlotMembers[K]] ? K : never;
}[keyof SlotMembers];

/** The members a client of `steadfetch/core` has: those of the policies its options fill. */
export type CoreMembers<O> = MembersIn<Filled<O>>;

/** The members a client made from options `O` alone has (`create`), by the entry whose options type is `E`. */
export type MembersOf<E, O> = MembersIn<Always<E> | Filled<O>>;

/** The members of a client with members `M` extended with options `O`, by the entry whose options type is `E`. */
export type ExtendedMembers<E, M, O> = MembersIn<Always<E> | Kept<M, O>>;

/**
 * A steadfetch client: a ky instance (every member of one, behaving as in ky; assignable to ky's
 * `KyInstance`) plus steadfetch's members. `E` is the options type of the entry that made it (for
 * `extend` and `create`), `M` the members its policies give (`breaker`, `cache`, `outbox`).
 */
export type ClientOf<E = object, M = unknown> = ClientBase<E, M> & M;

export interface ClientBase<E, M> {
	<T = unknown>(input: Input, options?: CallOptions): ResponsePromise<T>;
	get: CallFunction;
	post: CallFunction;
	put: CallFunction;
	patch: CallFunction;
	delete: CallFunction;
	head: (input: Input, options?: CallOptions) => ResponsePromise;
	/** The HTTP QUERY method, as ky's `query`. */
	query: CallFunction;
	/**
	 * A new client with these options merged over this one's exactly as ky's `extend` merges (hooks
	 * appended, headers, `context` and `searchParams` merged, `replaceOption` honoured, the function
	 * form given this client's options). A policy slot given anew replaces the parent's. Shares
	 * persisted state only under the same `name` and `store`.
	 */
	extend<const O extends E>(options: O | ((parentOptions: E) => O)): ClientOf<E, ExtendedMembers<E, M, O>>;
	/** A new client from these options alone (ky's `create`): nothing inherited, nothing shared; its members follow them. */
	create<const O extends E = E>(options?: O): ClientOf<E, MembersOf<E, O>>;
	/** ky's `stop` symbol: return it from a `beforeRetry` hook to stop retrying. */
	readonly stop: KyInstance['stop'];
	/** ky's `retry()`: return it from an `afterResponse` hook to force a retry. */
	readonly retry: KyInstance['retry'];
	/**
	 * This client for one request of a Cloudflare Worker: it shares everything with this client
	 * (policies, state, events) and passes `ctx.waitUntil` to each call, so background work (cache
	 * write-behind, outbox and breaker persistence) outlives the response instead of being dropped.
	 * It keeps the request within a Worker's limits (`options`): the subrequests steadfetch makes for
	 * it, the request's end and its deadline; its `stats().subrequests` counts them. A `TypeError`
	 * for a `ctx` without `waitUntil`, a `request` that is not one, or a `ctx` or options that cannot be read, a `RangeError` naming
	 * `subrequests` for a bad count. Its `extend()` makes a client that stays in this request context
	 * (as ky's `extend` keeps an instance's defaults): the same subrequest count, request's end and deadline.
	 * Its `breaker.isolate` / `reset` (a coordinator's call) and `waitForHealthy` (the `breaker.probe`s it
	 * sends) are subrequests of the context too: counted, and not sent once it has none left.
	 * Its `close()` ends this request's client only: its later calls, a pending `waitForHealthy` made
	 * through it, and what its members would send, store or remove (as after this client's `close()`), reject with a
	 * `SteadfetchError` (`CLIENT_CLOSED`) before any I/O and the listeners added through its `on()` are removed, while this
	 * client, its other request contexts and the calls already made (their background work under
	 * `ctx.waitUntil`) go on; a client its `extend()` made is closed with it (one made after, at once). Closing this client closes them all.
	 * @example
	 * export default { fetch: (request, env, ctx) => handle(api.withContext(ctx, { request }), request) };
	 */
	withContext(ctx: ContextLike, options?: ContextOptions): ContextClient<E, M>;
	/** Subscribe to an event (`'*'` for every event); returns the unsubscribe function. A listener that is not a function is a `TypeError` here. */
	on<T extends EventType>(type: T, listener: (event: EmittedEvent<T>) => void): () => void;
	on(type: '*', listener: (event: EmittedEvent) => void): () => void;
	/**
	 * Counters per scope, with each policy's view of it. A client keeps the state of at most 1,000 idle
	 * scopes (`maxScopes` in src/utils/scopes.ts; one module-level client in a Worker or a crawler
	 * meets many more origins): past them the least recently used idle scope is forgotten, and its
	 * counters are gone from `stats()` (they start from zero if it is called again, as its retry budget
	 * window and its closed breaker do). Never forgotten: a scope with calls in flight or waiting, an
	 * open, half-open or isolated breaker, an unhealthy scope (`health()`), writes pending in the outbox.
	 */
	stats(): ClientStats;
	/**
	 * Wipe every persisted record of this client (cache, outbox, the breakers' learned state), or with
	 * `{ identity }` that identity's cache and outbox only. A kill switch (`breaker.isolate()`) is not
	 * learned state: it stays, in memory, in the store and in the other tabs, until `breaker.reset()`.
	 * After it resolves nothing it removed comes
	 * back, and no removed outbox entry is sent. It rejects when the store did not confirm the removal
	 * (the store's error; a `StorageTimeoutError` past `storageTimeoutMs`): this client then serves no
	 * copy it removed and retries the deletes with its next write, but a reload could still find them —
	 * call it again (at logout, until it resolves).
	 */
	clear(options?: {
		/**
		 * Remove only this identity's stale copies and outbox entries: the value your `identity` option
		 * returned for that user.
		 * @default undefined (everything: every identity's copies and entries, and the breaker state)
		 */
		identity?: string;
	}): Promise<void>;
	/**
	 * Stop timers, listeners, channels; further calls reject with a `SteadfetchError` (`CLIENT_CLOSED`),
	 * and so does a pending `waitForHealthy`, at once, and a call in flight at its next attempt (a retry: the attempt
	 * under way still gives its answer). So do, before any I/O, the members that would send,
	 * store or remove (`outbox.flush` / `retry` / `discard` / `clear`, `breaker.isolate` / `reset`,
	 * `cache.delete` / `clear`, `clear()`); the reads (`stats()`, `breaker(url)`, `outbox.list()`, `cache.list()`) still answer
	 * (`reachability()`: `unknown` once no client of its `extend()` family is open).
	 */
	close(): void;
	/**
	 * Whether the scope of a URL (or a scope named as such) answers, from what this client's own
	 * attempts saw, and those of the clients `extend()` made from it or it from (one state, each told its
	 * changes; not `create()`'s): `reachable` once an attempt got any HTTP answer (a 5xx is the breaker's business),
	 * or once the scope's breaker closed in another tab or the fleet because its probe got an answer (not a reset by hand
	 * nor a `clear()` there, which no answer made: they leave this state as it was);
	 * `unreachable` once two attempts in a row ended without one (a network failure or a timeout), a
	 * single one changing nothing (a steadfetch service worker's `503`/`504` with `Steadfetch-Error: NETWORK` or `TIMEOUT`
	 * is one that ended without one, and so is its stale copy for `network` or `timeout`; its refusal of its client's own, another
	 * code, and its copy for any other reason count neither way); `offline` while `navigator.onLine` is false and no attempt got an
	 * HTTP answer since it turned false (a hint, never trusted over an answer); `unknown` before any
	 * attempt. The `reachability` event tells each change. Throws an `InvalidRequestError` for what is
	 * neither a URL nor a scope. After `close()`, `unknown` once no client sharing the state is open (nothing follows it).
	 */
	reachability(urlOrScope: string | URL): 'reachable' | 'unreachable' | 'offline' | 'unknown';
}

/** A client `withContext` returned: its `stats()` also counts the request context's subrequests. */
export type ContextClient<E = object, M = unknown> = { stats(): ContextStats } & ClientOf<E, M>;

/** The client as the core builds it, every member possible. */
// biome-ignore lint/suspicious/noExplicitAny: the entry's options type is the entry's own; the core builds clients for both.
export type AnyClient = ClientOf<any, Partial<MembersIn<keyof SlotMembers>>>;
