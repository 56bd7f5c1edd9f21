import { RetryBudget } from '../retry/budget.js';
import { accounting } from './accounting.js';
import { createCaller } from './caller.js';
import { addMembers, bind, closing } from './client.js';
import type { AnyClient } from './client-types.js';
import { composeLayers } from './compose.js';
import { policyContext } from './context.js';
import { redactedEmit } from './emit.js';
import { Emitter } from './events.js';
import { deadlines, stamping } from './invocation.js';
import { createKy, defaultTotalTimeout, retryRules } from './ky-options.js';
import { mergeOptions } from './merge-options.js';
import type { CallOptions, CoreClientOptions } from './options.js';
import { layerOrder, type PolicyParts } from './policy.js';
import { Reach } from './reachability.js';
import { originOf, requestOrigin } from './scope.js';
import { createParts } from './slots.js';
import { createStats } from './stats.js';
import { transportOf } from './transport.js';
import { worldsOf } from './world.js';
import type { FetchLike } from './types.js';
import { checkClientOptions, checkOptionsObject } from './validate-options.js';

/** What an entry adds: how its options become the core's (the preset builds policies from plain options), and what it adds to each client it makes. */
export interface Entry<O> {
	resolve(options: O): CoreClientOptions;
	finish?(client: AnyClient, options: CoreClientOptions): void;
}

/** How `stats()` counts a response the call resolved with: as the first policy that made it says. */
const substitutedBy = (active: readonly PolicyParts[]) => (response: Response): 'stale' | 'queued' | undefined => {
	for (const part of active) {
		const kind = part.substituted?.(response);
		if (kind) {
			return kind;
		}
	}

	return undefined;
};

/**
 * Assemble a client from an entry's options (see `Entry`); `stores` holds the store instances shared
 * with the clients this one extends. Options checked, the policies created with their context, the
 * per-attempt layers composed around the transport under one ky instance, the call function, the
 * client's members; then the entry finishes it and the policies start.
 */
export function assemble<O extends object>(userOptions: O, entry: Entry<O>, stores = new Map<string, unknown>()): AnyClient {
	const options = entry.resolve(userOptions);
	checkClientOptions(options as Record<string, unknown>);
	const clock = options.clock ?? { now: Date.now };
	const emitter = new Emitter();
	// A scope a policy holds (an open breaker, an unhealthy scope, pending outbox entries) keeps its counters.
	const stats = createStats((scope) => active.some((part) => part.holds?.(scope)));
	const { retryBudget } = options;
	const budget = retryBudget === false ? undefined : new RetryBudget(retryBudget === undefined || retryBudget === true ? {} : retryBudget, clock);
	const emit = redactedEmit(emitter, clock, options as Readonly<Record<string, unknown>>);
	const reach = new Reach(clock, emit);
	const context = policyContext(options, stores, clock, emit, emitter, budget, reach, (url) => scopeOf(url), (input, callOptions, replay) => call(undefined, input, callOptions as CallOptions, replay));

	const parts = createParts(options, context);
	const active = [...parts.values()];
	const customScope = active.find((part) => part.scopeOf)?.scopeOf;
	const scopeOf = customScope ?? originOf;
	/** The scope of a `Request.url` (already normalized): cheap on every attempt. */
	const scopeOfRequest = customScope ?? requestOrigin;
	const [layer, ask, failed] = accounting(stats, budget, emit, emitter, clock, scopeOfRequest);
	const transport = transportOf(reach, scopeOfRequest, { stamp: stamping(options, clock), failed });
	// The per-attempt layers, outermost first: the accounting, then the policies' in `layerOrder`.
	const layers = [layer, ...layerOrder.flatMap((slot) => parts.get(slot)?.layer ?? [])];
	const rules = retryRules(options, context, ask);
	let closed = false;
	const call = createCaller({
		...rules,
		instance: createKy(options, composeLayers(layers, transport((options.fetch as FetchLike | undefined) ?? ((request, init) => globalThis.fetch(request, init)))), rules.retry),
		layers,
		transport,
		wrappers: active.filter((part) => part.wrap),
		watchers: active.filter((part) => part.settled),
		stats,
		identity: options.identity,
		world: (who) => worldsOf(stores).open(who, context.identity),
		fallback: options.fallback,
		parseJson: options.parseJson,
		closed: () => closed,
		deadlineOf: deadlines(options.deadlineHeader, options.totalTimeout ?? defaultTotalTimeout, clock),
		totalTimeout: options.totalTimeout ?? defaultTotalTimeout,
		clock,
		substituted: substitutedBy(active),
	});

	const client = bind(call);
	client.extend = ((more: O | ((parent: O) => O)) => {
		const merged = mergeOptions(userOptions, typeof more === 'function' ? more(userOptions) : more);
		const same = (merged as CoreClientOptions).name === options.name && (merged as CoreClientOptions).store === options.store;
		return assemble(merged, entry, same ? stores : undefined);
	}) as AnyClient['extend'];

	client.create = ((fresh?: O) => {
		checkOptionsObject(fresh);
		return assemble(fresh ?? {} as O, entry);
	}) as AnyClient['create'];

	const shut = closing(reach, active, emitter);
	// Clears and removals heard from the other tabs while the client runs (src/core/world.ts).
	const disconnect = worldsOf(stores).connect(context.name);
	addMembers(client, call, context, stats, active, customScope !== undefined, () => {
		if (!closed) {
			closed = true;
			shut();
			disconnect();
		}
	});

	entry.finish?.(client, options);
	for (const part of active) {
		part.start?.();
	}

	return client;
}
