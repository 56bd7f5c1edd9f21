import type { Emitter } from './events.js';
import type { EventMap, EventType } from './event-types.js';
import type { CallState, Clock, Layer } from './types.js';
import type { KeyValueStore } from '../stores/types.js';

/**
 * What the client hands to each feature (breaker, cache, outbox) when it is created.
 * Internal: not exported from the package.
 */
export interface FeatureContext {
	/** The client's `name`: namespace of persisted state and of the BroadcastChannel. */
	readonly name: string;
	readonly clock: Clock;
	readonly random: () => number;
	readonly emitter: Emitter;
	/** Emit an event with `type` and `time` filled in. Skips building it when nobody listens. */
	emit<T extends EventType>(type: T, fields: Omit<EventMap[T], 'type' | 'time'>): void;
	/** The scope of a URL: `breaker.scope(url)` if given, else the origin. */
	scopeOf(url: string): string;
	/** The store of one part of the client (`cache`, `outbox`, `breaker`), created lazily and once. */
	storeFor(part: string): KeyValueStore;
	/** Report a storage failure as a `storage:error` event. Never throws. */
	storageError(part: string, operation: string, error: unknown, key?: string): void;
	/** The client itself (the outbox replays through it so hooks and default headers apply). */
	readonly client: () => import('../client.js').Client;
}

/** One call as the outer wrappers see it. */
export interface OuterCall {
	/** Upper-case method. */
	readonly method: string;
	/** The input as the caller gave it (may be relative to `baseUrl`/`prefix`). */
	readonly input: string | URL | Request;
	/** The per-call options as given (ky's plus ours). */
	readonly options: Record<string, unknown>;
	/** Per-call state; `state.request` is the first attempt's Request once ky has built it. */
	readonly state: CallState;
}

/**
 * Wraps the whole call (all attempts) to see its final outcome. `next()` runs the ky call (and
 * the wrappers inside this one); a wrapper may skip it, replace its result, or recover from its error.
 */
export type OuterWrapper = (call: OuterCall, next: () => Promise<Response>) => Promise<Response>;

/** A feature plugs into the client through these optional parts. */
export interface Feature {
	/** Per-attempt layer, composed into ky's `fetch` once at creation. */
	readonly layer?: Layer;
	/** Outer wrapper; `appliesTo` decides per call whether it runs (keep it cheap). */
	readonly wrap?: OuterWrapper;
	appliesTo?(call: OuterCall): boolean;
	/** Called once after the client is created (start timers, listeners; never at import). */
	start?(): void;
	/** Stop timers, listeners and channels. */
	close?(): void;
	/** Remove every persisted record of this feature. */
	clear?(): Promise<void>;
	/** Add this feature's view of a scope to `client.stats()`. */
	statsFor?(scope: string): Record<string, unknown> | undefined;
}

/** The breaker feature: also answers `client.breaker(url)`. */
export interface BreakerFeature extends Feature {
	snapshot(scope: string): import('../client.js').BreakerSnapshot;
}

/** The stale cache feature: also backs `client.cache`. */
export interface CacheFeature extends Feature {
	deleteUrl(url: string): Promise<void>;
	clear(): Promise<void>;
}

/** The outbox feature: also backs `client.outbox`. */
export interface OutboxFeature extends Feature {
	readonly outbox: import('../outbox/types.js').Outbox;
}
