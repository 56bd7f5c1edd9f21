import type { Input, KyInstance, ResponsePromise } from 'ky';
import type { BreakerSnapshot } from '../breaker/snapshot.js';
import type { Outbox } from '../outbox/types.js';
import type { HealthStats } from '../health/samples.js';
import type { EventMap, EventType } from './event-types.js';
import type { CallOptions } from './options.js';
import type { PolicyParts } from './policy.js';
import type { ScopeStats } from './stats.js';

/** `client.stats()`: counters per scope, with each policy's view of the scope (`breaker`, the health figures). */
export type ClientStats = Record<string, ScopeStats & { breaker?: BreakerSnapshot } & Partial<HealthStats> & Record<string, unknown>>;

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
	 * operations are not counted) reach `subrequests − 5`, it sends no retry, hedge, failover attempt,
	 * probe, outbox replay or coordinator call of its own for the context: a refused retry ends its
	 * call with its last attempt's error (`budget:exhausted` with `reason: 'subrequests'`, once per
	 * context), and a read whose retry or failover attempt was refused is answered by its stored copy
	 * (`detail=subrequests`) when it has one. A caller's first attempt is never refused. A positive
	 * integer, or `Infinity` (`RangeError` otherwise). Counted anyway: `stats().subrequests`.
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

/** `client.breaker`: a scope's snapshot, and the kill switch (with a breaker). */
export interface BreakerHandle {
	/**
	 * The scope's state now, from what this client knows: it cannot wait for the store, so after a
	 * reload it shows the stored state (an open or isolated scope) only once this client has read it
	 * — at the scope's first call or `waitForHealthy` — or heard of a change from another tab; until
	 * then `closed`. `await client.waitForHealthy(url, { timeoutMs: 0 }).catch(() => {})` has it read.
	 */
	(urlOrOrigin: string | URL): BreakerSnapshot;
	/**
	 * Open a scope by hand until `reset` (shared across tabs and persisted); resolves once the state is
	 * stored. Only `reset` lifts it: `client.clear()` does not.
	 */
	isolate(urlOrScope: string | URL): Promise<void>;
	/** Close a scope by hand (ends an isolation or an open period at once); resolves once the state is stored. */
	reset(urlOrScope: string | URL): Promise<void>;
}

/** What `client.cache` does (with the stale cache; the preset's stand-in without one does nothing). */
export interface CacheHandle {
	/**
	 * Remove the stored copies of a URL (every identity and credential). A relative URL is resolved as
	 * a call's input is (`prefix`, `baseUrl`, in a page the page's URL); an absolute one is taken as it
	 * is. Rejects with `InvalidRequestError` when no URL results.
	 */
	delete(url: string | URL): Promise<void>;
	/**
	 * Remove every stored copy (of every identity). Rejects (a `StorageTimeoutError` when the store
	 * did not answer within `storageTimeoutMs`) when the store could not list or confirm a delete: this
	 * client serves none of them again and retries the deletes with its next write, but another client
	 * on the store could still find them, so call it again.
	 */
	clear(): Promise<void>;
	/**
	 * The current identity's stored copies: URL (sensitive query values removed), status, when
	 * stored (epoch ms) and body size.
	 */
	list(): Promise<CachedEntry[]>;
}

/** One stored copy, as `client.cache.list()` shows it. */
export interface CachedEntry {
	url: string;
	status: number;
	storedAt: number;
	bytes: number;
}

/** The members a breaker gives the client. */
export interface BreakerMembers {
	/**
	 * The breaker of a URL's scope. `breaker.isolate(url)` opens the scope by hand until
	 * `breaker.reset(url)` — a kill switch, shared across tabs and persisted; calls to it fail fast
	 * with `CircuitOpenError` and no probe goes (`breaker:open` reason `isolated`, `breaker:closed`
	 * reason `reset`).
	 *
	 * Every member takes any URL of the scope: an absolute URL or origin as it is, a relative URL
	 * resolved as a call's input is (`prefix`, `baseUrl`, in a page the page's URL); with a custom
	 * `breaker.scope`, a string without `://` is a scope itself. A URL no call could go to is an
	 * `InvalidRequestError` (rejected; thrown by `breaker(url)`, which answers at once).
	 */
	readonly breaker: BreakerHandle;
	/**
	 * Resolves once the scope's breaker is closed (at once if it is), rejects with a
	 * `SteadfetchError` coded `TIMEOUT` (transient) after `timeoutMs` (default 30 000 ms). Like a
	 * scope's first call, it first reads the scope's stored state when this client has not yet (after
	 * a reload: an open or isolated scope stays open), bounded by `storageTimeoutMs`; a failing store
	 * leaves what this client knows (`storage:error`). With
	 * `breaker.probe`, this sends the probe each time the breaker lets one through; without it, a
	 * caller's call is the probe. `close()` rejects it at once (`CLIENT_CLOSED`); no probe starts after.
	 */
	waitForHealthy(urlOrScope: string | URL, options?: {
		/**
		 * The longest wait, in ms: past it, rejects with a `SteadfetchError` coded `TIMEOUT`.
		 * @default 30_000
		 */
		timeoutMs?: number;
	}): Promise<void>;
}

/** The member a stale cache gives the client. */
export interface CacheMembers {
	/** The stale cache's stored copies. */
	readonly cache: CacheHandle;
}

/** The member an outbox gives the client. */
export interface OutboxMembers {
	/** The outbox: pending writes, dead letters, `flush()`. */
	readonly outbox: Outbox;
}

/** The members a client of `steadfetch/core` has: those of the policies its options fill. */
export type CoreMembers<O> = ([O] extends [{ breaker: object }] ? BreakerMembers : unknown)
	& ([O] extends [{ staleCache: object }] ? CacheMembers : unknown)
	& ([O] extends [{ outbox: object }] ? OutboxMembers : unknown);

/** The members of a `steadfetch` (preset) client: the breaker's and the cache's always, the outbox's when its slot holds `outbox()`. */
export type PresetMembers<O> = BreakerMembers & CacheMembers & ([O] extends [{ outbox: object }] ? OutboxMembers : unknown);

/** Whether `E` is the preset's options type (its mission slots take `true`), not the core's. */
type IsPreset<E> = true extends (E extends { breaker?: infer B } ? B : never) ? true : false;

/** The members a client made from options `O` alone has (`create`), by the entry whose options type is `E`. */
export type MembersOf<E, O> = IsPreset<E> extends true ? PresetMembers<O> : CoreMembers<O>;

/** One member after `extend(O)`: turned off by `false`, on by a policy (or `true`/options for the preset's breaker and stale cache), else kept. */
type Toggled<M, O, K extends string, Members> = [O] extends [{ [key in K]: false }] ? unknown
	: [O] extends [{ [key in K]: object | true }] ? Members
		: M extends Members ? Members : unknown;

/** The members of a client with members `M` extended with options `O`, by the entry whose options type is `E`. */
export type ExtendedMembers<E, M, O> = IsPreset<E> extends true
	? BreakerMembers & CacheMembers & Toggled<M, O, 'outbox', OutboxMembers>
	: Toggled<M, O, 'breaker', BreakerMembers> & Toggled<M, O, 'staleCache', CacheMembers> & Toggled<M, O, 'outbox', OutboxMembers>;

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
	 * for a `ctx` without `waitUntil` or a `request` that is not one, a `RangeError` naming
	 * `subrequests` for a bad count.
	 * @example
	 * export default { fetch: (request, env, ctx) => handle(api.withContext(ctx, { request }), request) };
	 */
	withContext(ctx: ContextLike, options?: ContextOptions): ContextClient<E, M>;
	/** Subscribe to an event (`'*'` for every event); returns the unsubscribe function. */
	on<T extends EventType>(type: T, listener: (event: EventMap[T]) => void): () => void;
	on(type: '*', listener: (event: EventMap[EventType]) => void): () => void;
	/**
	 * Counters per scope, with each policy's view of it. A client keeps the state of at most 1,000 idle
	 * scopes (`maxScopes` in src/shared/scopes.ts; one module-level client in a Worker or a crawler
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
	 * and so does a pending `waitForHealthy`, at once.
	 */
	close(): void;
	/**
	 * Whether the scope of a URL (or a scope named as such) answers, from what this client's own
	 * attempts saw: `reachable` once an attempt got any HTTP answer (a 5xx is the breaker's business);
	 * `unreachable` once two attempts in a row ended without one (a network failure or a timeout), a
	 * single one changing nothing; `offline` while `navigator.onLine` is false and no attempt got an
	 * HTTP answer since it turned false (a hint, never trusted over an answer); `unknown` before any
	 * attempt. The `reachability` event tells each change. Throws an `InvalidRequestError` for what is
	 * neither a URL nor a scope.
	 */
	reachability(urlOrScope: string | URL): 'reachable' | 'unreachable' | 'offline' | 'unknown';
}

/** A client `withContext` returned: its `stats()` also counts the request context's subrequests. */
export type ContextClient<E = object, M = unknown> = { stats(): ContextStats } & ClientOf<E, M>;

/** The client as the core builds it, every member possible. */
// biome-ignore lint/suspicious/noExplicitAny: the entry's options type is the entry's own; the core builds clients for both.
export type AnyClient = ClientOf<any, Partial<BreakerMembers & CacheMembers & OutboxMembers>>;

/** The breaker's parts: its members for the client. */
export interface BreakerParts extends PolicyParts {
	readonly members: BreakerMembers;
}

/** The stale cache's parts: its member for the client. */
export interface CacheParts extends PolicyParts {
	readonly members: CacheMembers;
}

/** The outbox's parts: its member for the client. */
export interface OutboxParts extends PolicyParts {
	readonly members: OutboxMembers;
}
