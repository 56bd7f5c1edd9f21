import type { ResponsePromise } from 'ky';
import type { EventMap, EventType } from './event-types.js';
import type { Clock, Layer } from './types.js';
import type { KeyValueStore, StoreFactory } from '../stores/types.js';

/**
 * The slots a policy can fill, and the order the library runs them in, outermost first — for the
 * outer wrappers and for the per-attempt layers alike. The user's order of options never matters.
 *
 * - `auth` outside everything: a 401 after every other policy has had its say triggers one refresh.
 * - `trace` next: one request id and trace for the whole call, replays included.
 * - `outbox` sees the final outcome of a mutation, after the cache and the retries.
 * - `cache` answers a failed read with a stale copy, looked up and stored by the URL the caller asked for.
 * - `failover` sends a failed read to a mirror, inside the cache: the cache answers stale only when
 *   every mirror failed too, and stores a mirror's answer under the primary URL.
 * - `dedupe` shares one in-flight read between identical callers.
 * - `hedge` sends a second attempt when the first is slow, above the bulkhead and the rate limiter:
 *   a hedge is an attempt like any other, so it takes a slot and a token (none free: no hedge).
 * - `bulkhead`, `rateLimit` hold an attempt before it takes a connection.
 * - `breaker` innermost, next to the transport: it counts only attempts that really go out, so
 *   what the outbox and the cache answer without I/O never reaches it.
 */
export const slotOrder = ['auth', 'trace', 'outbox', 'cache', 'failover', 'dedupe', 'hedge', 'bulkhead', 'rateLimit', 'breaker'] as const;

/** A slot's name: also the option key of the main entry (`breaker`, `cache`, ...). */
export type SlotName = typeof slotOrder[number];

/** Fields of an event as a policy emits it (`type` and `time` are filled in). */
export type EventFields<T extends EventType> = Omit<EventMap[T], 'type' | 'time'>;

/**
 * One call, as policies see it. Created once per call by the core and handed to every wrapper and
 * (as `init.steadfetch`) to every per-attempt layer. A policy keeps its own per-call state in its
 * own structure (a `WeakMap<Call, …>`), never on this object.
 */
export interface Call {
	/** Upper-case method. */
	readonly method: string;
	/** The input as the caller gave it (may be relative to `prefixUrl`/`baseUrl`). */
	readonly input: string | URL | Request;
	/** The per-call options as the caller gave them (ky's plus steadfetch's, e.g. `cache: false`). */
	readonly options: Readonly<Record<string, unknown>>;
	/** The caller's own signal, to tell its abort apart from ky's timeouts. */
	readonly signal: AbortSignal | undefined;
	/** The call's `Idempotency-Key`, once known (a wrapper may fix it before it calls on). */
	idempotencyKey: string | undefined;
	/** Set by a wrapper that knows the first attempt will be held without I/O: ky gets no retries (no body copies). */
	held: boolean;
	/**
	 * Set by a wrapper before it calls on: what the call sends instead of the caller's body, so a
	 * stored copy is byte-identical to it — the JSON text as the wrapper serialized it, or bytes with
	 * their Content-Type (a multipart body with the boundary the wrapper stored).
	 */
	send: { json: string } | { bytes: ArrayBuffer; contentType: string } | undefined;
	/** Attempts made so far (1 during the first). */
	attempts: number;
	/** The first attempt's Request, as ky built it (final URL, merged headers), once it started. */
	request: Request | undefined;
	/** The call's scope, computed at its first attempt. */
	scope: string | undefined;
	/** The call's request id, set by the `trace` slot at its first attempt (undefined without it). */
	requestId: string | undefined;
	/** The client's `identity()` when the call was made (undefined without the option). */
	readonly identity: string | undefined;
}

/** What the client gives each policy when it is created. No handle on the whole client. */
export interface PolicyContext {
	/** The client's `name`: namespace of persisted state and of cross-tab channels. */
	readonly name: string;
	readonly clock: Clock;
	/** Random source in [0, 1). */
	readonly random: () => number;
	/** The client's per-attempt `timeout` (ms), for probes that must time out like an attempt. */
	readonly timeout: number | false | undefined;
	/** The client's `identity()` now (outside a call), undefined without the option or when it fails. */
	identity(): string | undefined;
	/** What is never stored: header names (lower-case, the credential headers included) and query parameter names. */
	readonly sensitive: { readonly headers: ReadonlySet<string>; readonly params: ReadonlySet<string> };
	/** The client's options as given (ky's and steadfetch's), e.g. its `stringifyJson`. */
	readonly options: Readonly<Record<string, unknown>>;
	/** Emit an event with `type` and `time` filled in; skipped cheaply when nobody listens. */
	emit<T extends EventType>(type: T, fields: EventFields<T>): void;
	/** Whether anybody listens to `type` (or `'*'`) now: lets a policy skip building an event on every call. */
	listening(type: EventType): boolean;
	/** Listen to the client's events (policies talk through events, never by importing each other). */
	on<T extends EventType>(type: T, listener: (event: EventMap[T]) => void): () => void;
	/** The scope of an absolute URL (the origin, or what a policy's `scope` function says). */
	scopeOf(url: string): string;
	/**
	 * The store of one part of the client (`cache`, `outbox`, `breaker`), created once on first use
	 * from the client's `store` option, else from `fallback` (the policy's own default).
	 */
	storeFor(part: string, fallback: StoreFactory): KeyValueStore;
	/**
	 * Spend one retry from the scope's retry budget for an extra attempt (a hedge); false when the
	 * budget is spent. Always true with `retryBudget: false`.
	 */
	spendRetry(scope: string): boolean;
	/** Report a storage failure as `storage:error`. Never throws. */
	storageError(part: string, operation: string, error: unknown, key?: string): void;
	/**
	 * Send a request through the client (default headers, hooks and the other policies apply): the
	 * outbox replays this way. Not available while the client is being created.
	 */
	send(input: string, options: Record<string, unknown>): ResponsePromise;
}

/** The parts a policy may declare. All optional; what a policy leaves out costs nothing per call. */
export interface PolicyParts {
	/** Per-attempt layer: composed once into the `fetch` ky calls for every attempt, retries included. */
	readonly layer?: Layer;
	/**
	 * Outer wrapper around the whole call (every attempt): sees the final outcome, may skip `next`,
	 * replace its result or recover from its error. Runs only when `appliesTo(call)` says so.
	 */
	wrap?(call: Call, next: () => Promise<Response>): Promise<Response>;
	/** Whether `wrap` runs for this call. Keep it cheap: it runs on every call. */
	appliesTo?(call: Call): boolean;
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
	 * Members this policy gives the client (`breaker` and `waitForHealthy`, `cache`, `outbox`): each
	 * replaces the core's stand-in, so a client without the policy carries none of its code.
	 */
	readonly members?: Readonly<Record<string, unknown>>;
}

/**
 * A policy: what a slot of `createClient` takes. Made by a factory in the policy's own entry
 * (`breaker()` in `steadfetch/breaker`, ...); the client calls `create` once, with its context.
 */
export interface Policy<S extends SlotName = SlotName, P extends PolicyParts = PolicyParts> {
	/** The slot this policy fills; it decides where the policy runs. */
	readonly slot: S;
	create(context: PolicyContext): P;
}

/** Whether a slot value is a policy (made by a factory) rather than plain options. */
export const isPolicy = (value: unknown): value is Policy =>
	typeof value === 'object' && value !== null && typeof (value as Policy).create === 'function' && typeof (value as Policy).slot === 'string';
