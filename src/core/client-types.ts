import type { Input, KyInstance, ResponsePromise } from 'ky';
import type { BreakerSnapshot } from '../breaker/snapshot.js';
import type { Outbox } from '../outbox/types.js';
import type { EventMap, EventType } from './event-types.js';
import type { CallOptions } from './options.js';
import type { ScopeStats } from './stats.js';
import type { HealthStats } from './health.js';

/** `client.stats()`: counters per scope, with each policy's view of the scope (e.g. `breaker`). */
export type ClientStats = Record<string, ScopeStats & HealthStats & { breaker?: BreakerSnapshot } & Record<string, unknown>>;

/** One call: `(input, options?)`, as ky's. */
export type Call = <T = unknown>(input: Input, options?: CallOptions) => ResponsePromise<T>;

/** `client.breaker`: a scope's snapshot, and the kill switch. */
export interface BreakerHandle {
	(urlOrOrigin: string | URL): BreakerSnapshot;
	/** Open a scope by hand until `reset` (shared across tabs and persisted). Throws when the client has no breaker. */
	isolate(urlOrScope: string | URL): void;
	/** Close a scope by hand (ends an isolation or an open period at once). */
	reset(urlOrScope: string | URL): void;
}

/** What `client.cache` does. Without a stale cache, every method resolves and does nothing. */
export interface CacheHandle {
	/** Remove the stored copies of an absolute URL. */
	delete(url: string | URL): Promise<void>;
	/** Remove every stored copy (of every identity). */
	clear(): Promise<void>;
	/**
	 * The current identity's stored copies, least recently used first: URL (sensitive query values
	 * removed), status, when stored (epoch ms) and body size.
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

/**
 * A steadfetch client: a ky instance (every member of one, behaving as in ky) plus steadfetch's
 * members. `O` is the options type of the entry that made it (for `extend` and `create`).
 */
export interface Client<O = object> extends Call {
	get: Call;
	post: Call;
	put: Call;
	patch: Call;
	delete: Call;
	head: Call;
	/** The HTTP QUERY method, as ky's `query`. */
	query: Call;
	/**
	 * A new client with these options merged over this one's exactly as ky's `extend` merges (hooks
	 * appended, headers, `context` and `searchParams` merged, `replaceOption` honoured, the function
	 * form given this client's options). A policy slot given anew replaces the parent's. Shares
	 * persisted state only under the same `name` and `store`.
	 */
	extend(options: O | ((parentOptions: O) => O)): Client<O>;
	/** A new client from these options alone (ky's `create`): nothing inherited, nothing shared. */
	create(options?: O): Client<O>;
	/** ky's `stop` symbol: return it from a `beforeRetry` hook to stop retrying. */
	readonly stop: KyInstance['stop'];
	/** ky's `retry()`: return it from an `afterResponse` hook to force a retry. */
	readonly retry: KyInstance['retry'];
	/** The outbox. Throws a `SteadfetchError` (`OUTBOX_DISABLED`) if the client has none. */
	readonly outbox: Outbox;
	/**
	 * The breaker of a URL's scope (a closed snapshot when the breaker is off). `breaker.isolate(url)`
	 * opens the scope by hand until `breaker.reset(url)` — a kill switch, shared across tabs and
	 * persisted; calls to it fail fast with `CircuitOpenError` and no probe goes (`breaker:open`
	 * reason `isolated`, `breaker:closed` reason `reset`).
	 */
	readonly breaker: BreakerHandle;
	/** The stale cache. */
	readonly cache: CacheHandle;
	/**
	 * Resolves once the scope's breaker is closed (at once if it is, or with no breaker), rejects
	 * with a `SteadfetchError` coded `TIMEOUT` (transient) after `timeoutMs` (default 30 000 ms).
	 * An open breaker closes when a probe succeeds: with `breaker.probe`, this sends the probe each
	 * time the breaker lets one through; without it, a caller's call is the probe.
	 */
	waitForHealthy(urlOrScope: string | URL, options?: { timeoutMs?: number }): Promise<void>;
	/** Subscribe to an event (`'*'` for every event); returns the unsubscribe function. */
	on<T extends EventType>(type: T, listener: (event: EventMap[T]) => void): () => void;
	on(type: '*', listener: (event: EventMap[EventType]) => void): () => void;
	/** Counters per scope. */
	stats(): ClientStats;
	/**
	 * Wipe every persisted record of this client (cache, outbox, breaker state), or with
	 * `{ identity }` that identity's cache and outbox only. After it resolves nothing it removed comes
	 * back, and no removed outbox entry is sent.
	 */
	clear(options?: { identity?: string }): Promise<void>;
	/** Stop timers, listeners, channels; further calls reject with a `SteadfetchError` (`CLIENT_CLOSED`). */
	close(): void;
}
