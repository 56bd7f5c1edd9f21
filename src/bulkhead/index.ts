import { bulkheadAt } from '../bands/bands.js';
import type { Policy, PolicyCall, PolicyContext, PolicyParts } from '../core/policy.js';
import { attemptScope } from '../core/scope.js';
import { requestScoped } from '../utils/runtime.js';
import type { Layer } from '../core/types.js';
import { check, optionsOf, isNonNegativeInteger, isPositiveInteger, offOnly } from '../utils/validate.js';
import { BulkheadFullError } from '../errors/BulkheadFullError.js';
import { scopes, type Scopes } from '../utils/scopes.js';
import { Lane, type Lease } from './lane.js';
import type { BulkheadRejectedEvent } from './events.js';
import { monotonicNow, wallNow } from '../utils/clock.js';
import { clientClosed } from '../core/closing.js';
import type { CallOptions } from '../core/options.js';
import type { Call } from '../core/call.js';

/** What importing this policy adds to the client's types (`client.on`): its events. */
declare module 'steadfetch/core' {
	/** The `bulkhead` slot of `createClient`. */
	interface Slots {
		bulkhead: Policy<'bulkhead'>;
	}

	interface EventMap {
		'bulkhead:rejected': BulkheadRejectedEvent;
	}

	interface CallOptions {
		/**
		 * `false`: this call's attempts take no bulkhead slot and never wait for one (with `bulkhead()`).
		 * @default undefined (each attempt takes a slot of its scope)
		 */
		bulkhead?: false;
	}
}

/** Options of the bulkhead (`bulkhead()` from `steadfetch/bulkhead`). */
export interface BulkheadOptions {
	/**
	 * Attempts running at once per scope; more wait their turn. A positive integer.
	 * @default 6 (the browsers' per-host connection limit over HTTP/1.1)
	 */
	maxConcurrent?: number;
	/**
	 * Attempts waiting per scope; one more is refused at once with `BulkheadFullError`, no I/O.
	 * A non-negative integer.
	 * @default 100
	 */
	maxQueue?: number;
}

const create = (context: PolicyContext, maxConcurrent: number, maxQueue: number, families: WeakMap<object, Scopes<Lane>>): PolicyParts => {
	const client = context.options;
	const scoped = requestScoped();
	/**
	 * The scopes' lanes, at most `maxScopes` idle ones (`Scopes`): a lane with a slot held or an attempt waiting is never forgotten.
	 * One per family: the clients of one name and store (`context.stores`: a client and those its `extend()` made) that keep this policy object.
	 */
	const lanes = families.get(context.stores) ?? scopes(() => new Lane(maxConcurrent, scoped), (lane) => {
		lane.settle();
		return lane.running + lane.queued;
	});
	families.set(context.stores, lanes);

	/**
	 * When each call started (the real clock): when its first attempt asked for a slot, less what went by since the call
	 * began (a `beforeRequest` hook's wait): its `totalTimeout` runs from then, as ky's does, a retry's too.
	 */
	/** Set by `close()`: an attempt that would wait for a slot after it is refused (`CLIENT_CLOSED`), never sent later. */
	let closed = false;
	const firstAsk = context.perCall((call) => wallNow() - monotonicNow() + (call as Call).began);

	/**
	 * The latest an attempt of `call` can still be running (epoch ms, the real clock) when it asks at `now`: ky's `timeout`
	 * (10 s unless set; `false`: none) from `now`, bounded by what is left of the call's `totalTimeout` (20 s unless set),
	 * counted from the call's start, as ky's (a retry, a hedge, a new run of a wrapper have less left).
	 */
	const deadlineOf = (call: PolicyCall | undefined, now: number): number => {
		const options: Readonly<CallOptions> = call?.options ?? {};
		const timeout = options.timeout ?? client.timeout ?? 10_000;
		const total = options.totalTimeout ?? client.totalTimeout ?? 20_000; // The client's default (core/ky-options.ts `defaultTotalTimeout`).
		return Math.min(typeof timeout === 'number' ? now + timeout : Infinity, typeof total === 'number' ? (call ? firstAsk(call) : now) + total : Infinity);
	};

	const layer: Layer = (next) => (request, init) => {
		const { signal } = request;
		if (signal.aborted) {
			return Promise.reject(signal.reason);
		}

		const call = init?.steadfetch;
		// The scope of the URL the attempt goes to (a mirror's, when failover re-targeted it).
		const scope = attemptScope(context.scopeOf, request.url, call);
		const lane = lanes.scope(scope);
		// The real clock: the deadline is ky's, whose timers are real (see `Lease`). With `deadlineHeader`, no later than the
		// call's deadline (`Call.deadline`, the client's clock: its `totalTimeout` capped by its request's), when it ends.
		const now = wallNow();
		const until = Math.min(deadlineOf(call, now), now + ((call as Call | undefined)?.deadline ?? Infinity) - context.clock.now());
		const run = (lease: Lease): Promise<Response> => next(request, init).finally(() => lane.release(lease));
		const refused = (): BulkheadFullError => new BulkheadFullError(scope, maxConcurrent, maxQueue);
		/** A refusal that says the scope is full, counted and told: at once (its queue full), or as it waited (see `Lane.wait`). */
		const rejected = (): BulkheadFullError => {
			// The scope's lane as it is now: a waiter's, dropped, may have been forgotten meanwhile (idle, 1 000 other scopes met).
			const now = lanes.scope(scope);
			now.rejected++;
			context.emit('bulkhead:rejected', { scope, method: request.method, url: request.url, running: now.running, queued: now.queued });
			return refused();
		};

		lane.settle();
		const lease = lane.free(until, signal);
		if (lease) {
			return run(lease);
		}

		if (init?.hedge) {
			// A hedge goes now or not at all (FetchInit.hedge): not sent, neither counted nor emitted.
			return Promise.reject(refused());
		}

		if (closed) {
			// Closed: it would wait for a slot (a retry of a call in flight at `close()`), refused as one waiting then was.
			return Promise.reject(clientClosed());
		}

		if (lane.queued >= maxQueue) {
			return Promise.reject(rejected());
		}

		return lane.wait(until, signal, rejected, context).then(run);
	};

	return {
		layer,
		checkCall: offOnly('bulkhead'),
		stats(scope) {
			const lane = lanes.get(scope);
			if (lane) {
				lane.settle();
				return { bulkhead: { running: lane.running, queued: lane.queued, rejected: lane.rejected } };
			}

			return undefined;
		},
		close() {
			closed = true;
			for (const [, lane] of lanes.entries()) {
				lane.close(context);
			}
		},
	};
};

/**
 * The bulkhead, for the `bulkhead` slot: per scope, at most `maxConcurrent` attempts running and
 * `maxQueue` waiting; beyond that `BulkheadFullError` at once with no I/O. A per-attempt policy
 * (it limits connections, so a retry and a hedge take a slot too), just outside the rate limiter and
 * the breaker: a call the cache or the outbox answers without I/O takes none. A hedge takes a slot
 * only when one is free (else it is not sent); an attempt whose signal has aborted is rejected at
 * once with its reason, and a waiting one leaves the queue as soon as its signal aborts. The client's
 * `close()` refuses every waiting attempt of its own at once (`CLIENT_CLOSED`, as a call made after it), and so one that
 * would wait after it (a retry of a call in flight then): none waits to be sent later.
 * A client and the clients its `extend()` makes that keep its `name`, its `store` and this policy object
 * share one bulkhead (its slots, its queues, its `stats()`); a child given a `bulkhead()` of its own (or
 * `false`), another `name` or another `store`, and a client `create()` makes, have their own.
 *
 * A slot is a lease: held until the response's headers arrive (or the attempt fails), and never
 * beyond the attempt's deadline: ky's `timeout` for that attempt (10 s unless set), counted from when the
 * attempt asked for the slot, bounded by what is left of the call's `totalTimeout`, counted from the call's start as
 * ky counts it (a `beforeRequest` hook's wait included; a retry, a hedge or a new run after an `auth` refresh has less left; with `deadlineHeader`, no later than the
 * call's deadline: its `totalTimeout` capped by what is left of its request's). Past it, the attempt has
 * already failed with ky's `TimeoutError`, so its slot is taken back by the next attempt that asks
 * for one (a waiting one sets a timer for it). A request `dedupe()` shares goes on past it while a later
 * caller still waits on it: it keeps its slot until it ends (outside Workers), so `maxConcurrent` stays the bound. This keeps the bulkhead whole in Cloudflare Workers,
 * where one client serves every request of an isolate and a request that ends with an attempt in
 * flight (it answered without awaiting it) never runs that attempt's end: its slot comes back at the
 * attempt's deadline. The limit stays one per isolate and scope, shared by the isolate's requests (it
 * protects the upstream from all of them together), which
 * scoping the bulkhead per request would give up. In Workers a request may not wake another, so a
 * waiting attempt looks for a free slot itself every 10 ms, from its own request: waiters go about,
 * not exactly, in the order they came, and one whose request has ended takes nothing. With
 * `timeout: false` the call's `totalTimeout` (20 s unless set) is the deadline; with `totalTimeout: false`
 * too, an attempt has none: its slot is held until it ends (in Workers, set a timeout).
 * Bad options throw a `RangeError` naming the option and the value.
 *
 * @example
 * const api = createClient({ bulkhead: bulkhead({ maxConcurrent: 4 }) });
 */
export const bulkhead = (options?: BulkheadOptions): Policy<'bulkhead'> => {
	const { maxConcurrent = 6, maxQueue = 100 } = optionsOf(options, 'bulkhead');
	check(isPositiveInteger(maxConcurrent), 'bulkhead.maxConcurrent', maxConcurrent, 'a positive integer');
	check(isNonNegativeInteger(maxQueue), 'bulkhead.maxQueue', maxQueue, 'a non-negative integer');
	const families = new WeakMap<object, Scopes<Lane>>();
	return { slot: 'bulkhead', at: bulkheadAt, create: (context) => create(context, maxConcurrent, maxQueue, families) };
};
