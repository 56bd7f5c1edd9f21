import type { KyInstance } from 'ky';
import { RetryBudget } from '../retry/budget.js';
import { credentialHeaders, redact, redactText, sensitiveParamSet } from '../utils/sensitive.js';
import { Accounting } from './accounting.js';
import { createCaller } from './caller.js';
import { addMembers, bind, closing } from './client.js';
import type { AnyClient } from './client-types.js';
import { composeLayers } from './compose.js';
import { identities, policyContext } from './context.js';
import { redactedEmit } from './emit.js';
import { Emitter } from './events.js';
import { deadlines, stamping } from './invocation.js';
import { createKy, defaultTotalTimeout, retryRules } from './ky-options.js';
import { mergeOptions } from './merge-options.js';
import { clientKeys, type CallOptions, type CoreClientOptions, type WaitUntil } from './options.js';
import type { PolicyParts } from './policy.js';
import { Reach } from './reachability.js';
import { rejectedCall } from './response-promise.js';
import { callUrl, originOf, requestOrigin, urlMessages } from './scope.js';
import { atOnce, byBand, closeAll, createParts, switchable, verdict } from './slots.js';
import { createStats, isCounter, type Counter } from './stats.js';
import { platformFetch, transportOf } from './transport.js';
import { contexts } from './with-context.js';
import { worldsOf } from './world.js';
import type { FetchLike } from './types.js';
import { checkClientOptions, checkOptionsObject, readOptions, stringifying } from './validate-options.js';
import { unmarked } from '../utils/validate.js';

/** What an entry adds: how its options become the core's (the preset builds policies from plain options), and what it adds to each client it makes. */
export interface Entry<O> {
	resolve(options: O): CoreClientOptions;
	/** The slot keys the entry knows (the built-ins'): ours, never ky's, also when empty or `false`. */
	readonly slots: readonly string[];
	/** Checks a call's value (not `false`, given) for one of `slots` the client leaves empty, as its policy would (then ignored). */
	checkEmpty(slot: string, value: unknown): void;
	finish?(client: AnyClient, options: CoreClientOptions): void;
}

/**
 * How `stats()` counts a call's outcome (response or error): as the first policy that made it says. A
 * policy whose `substituted` throws or gives back a promise says nothing (`verdict`), nor does one that
 * names no outcome counter (`true`, `'failures'`, `'requests'`, a typo): its fault never changes what
 * the caller gets (a failure stays one, counted once, and `fallback` answers it).
 */
const substitutedBy = (active: readonly PolicyParts[]) => (outcome: unknown): Counter | undefined => {
	for (const part of active) {
		const kind = verdict(() => part.substituted?.(outcome));
		if (isCounter(kind)) {
			return kind;
		}
	}

	return undefined;
};

/**
 * Assemble a client from an entry's options (see `Entry`); `stores` holds the store instances shared
 * with the clients this one extends, `shared` their reachability, `known` the slots they filled (ours, also turned off). Options checked, the policies created with their context, the
 * per-attempt layers composed around the transport under one ky instance, the call function, the
 * client's members; then the entry finishes it and the policies start.
 */
export function assemble<O extends object>(userOptions: O, entry: Entry<O>, stores = new Map<string, unknown>(), shared?: Reach, family?: RetryBudget, known: readonly string[] = []): AnyClient {
	const options = readOptions(() => {
		const resolved = entry.resolve(userOptions);
		checkClientOptions(resolved as Record<string, unknown>);
		return resolved;
	});
	const clock = options.clock ?? { now: Date.now };
	const emitter = new Emitter();
	// A scope a policy holds (an open breaker, an unhealthy scope, pending outbox entries) keeps its counters; a `holds`
	// that throws or gives back a promise holds nothing (`verdict`): it neither fails the call that turns a generation of scopes nor keeps every scope.
	const stats = createStats((scope) => active.some((part) => verdict(() => part.holds?.(scope))));
	const { retryBudget } = options;
	// The family's (`family`: the parent's, kept by `extend()`), or its own.
	const budget = family ?? (retryBudget === false ? undefined : readOptions(() => new RetryBudget(retryBudget === undefined || retryBudget === true ? {} : retryBudget, clock)));
	// The scope of an event's URL: the origin until the policies are made (one may define scopes).
	let scopeOfEvent: (url: string) => string = originOf;
	// The client's sensitive query parameters: removed from every URL its events show and its delivered writes tell,
	// and from every error it builds from a URL the caller gave (scope.ts `invalidUrl`).
	const params = sensitiveParamSet(options as Readonly<Record<string, unknown>>);
	Object.assign(urlMessages, { params: sensitiveParamSet, redact: redactText });
	// The response headers an event's error never shows (Set-Cookie2: Fetch's other forbidden response header; the answer's
	// own credentials, RFC 9110 11.6.3, 11.7.3: the next nonce, the server's proof), lower-case.
	const emit = redactedEmit(emitter, clock, params, (url) => scopeOfEvent(url), new Set([...credentialHeaders, 'set-cookie2', 'authentication-info', 'proxy-authentication-info', ...(options.sensitiveHeaders as string[] | undefined ?? [])].map((name) => name.toLowerCase())));
	// Per origin for the client and the clients its extend() made (`shared`, the parent's): each is told its changes until closed (`closing`).
	const reach = shared ?? new Reach(clock);
	// `send` and `scopeOf` need the client (`call`, below): asked before (a policy's create(), its layer as it is composed),
	// each says so with a TypeError — `send`'s as its rejection — never the engine's ReferenceError.
	let made = false;
	const early = (member: string): TypeError => new TypeError(`The policies' context.${member}() is for after the client is made (start() or later)`);
	const who = identities(options.identity);
	const context = policyContext({
		who,
		options,
		stores,
		clock,
		emit,
		emitter,
		budget,
		reach,
		scopeOf: (url) => {
			if (!made) {
				throw early('scopeOf');
			}

			return scopeOf(url);
		},
		send: (input, callOptions, replay) => (made ? call(undefined, input, callOptions as CallOptions, { replay }) : rejectedCall(early('send'))),
	});

	// Before any part asks: the world of every client of this name (src/core/world.ts).
	const worlds = worldsOf(stores, context.name);
	const placed = createParts(options, context);
	Object.assign(context.levels, ...placed.map(({ parts }) => parts.levels));
	const active = placed.map(({ parts }) => parts);
	// Our keys, never ky's: the core's, the slots the entry knows, every slot filled, and those its `extend()` family filled
	// (`known`: an app's slot turned off by `extend({ audit: false })` stays ours, as a built-in's `false` does).
	const slots = [...new Set([...known, ...placed.map(({ slot }) => slot)])];
	const ourKeys: ReadonlySet<string> = new Set([...clientKeys, ...entry.slots, ...slots]);
	const custom = placed.find(({ parts }) => parts.scopeOf);
	// A scope the app makes of a URL (the breaker's `scope`) keeps no sensitive query value: it is a store key, a
	// field of every event, log record and error of its calls, a `stats()` key. Only with one: the origin holds none.
	// One given back as a promise (an `async scopeOf`) would make every URL one scope, '[object Promise]': the call fails.
	// No scope given (undefined, null, ''): the URL's own, its origin, never one scope named 'undefined' for all of them.
	const customScope = custom && ((url: string): string => {
		const scope = atOnce(custom.parts.scopeOf!(url), custom.slot, 'scopeOf') as unknown;
		return scope == null || scope === '' ? originOf(url) : redact(String(scope), params);
	});
	const scopeOf = customScope ?? originOf;
	scopeOfEvent = scopeOf;
	/** The scope of a `Request.url` (already normalized): cheap on every attempt. */
	const scopeOfRequest = customScope ?? requestOrigin;
	const accounting = new Accounting({ stats, budget, emit, emitter, clock, scopeOf: scopeOfRequest });
	// A delivered write: told to every client of the name and store, and to the other tabs (src/core/world.ts).
	// Not when a service worker's client of this name delivered it and told it on the name's channel already (`deliveredBy`).
	const toldHere = encodeURIComponent(context.name);
	const delivered = (method: string, url: string, toldBy: string | null, waitUntil: WaitUntil | undefined): void => {
		if (toldBy !== toldHere) {
			worlds.delivered(method, redact(url, params), waitUntil);
		}
	};
	const transport = transportOf(reach, scopeOfRequest, { stamp: stamping(options, clock), hooks: context.hooks }, delivered, options.hooks !== undefined);
	// The per-attempt layers, outermost first: the accounting, then the policies' by their layer bands.
	const layers = [accounting.layer, ...placed.filter(({ parts }) => parts.layer).sort(byBand('layer')).map(switchable)];
	const rules = retryRules(options, context, accounting);
	const totalTimeout = options.totalTimeout ?? defaultTotalTimeout;
	const stringifyJson = stringifying(options.stringifyJson);
	let fetch: FetchLike;
	let instance: KyInstance;
	try {
		fetch = composeLayers(layers, transport((options.fetch as FetchLike | undefined) ?? platformFetch));
		instance = readOptions(() => createKy(options, ourKeys, rules.retry, stringifyJson));
	} catch (error) {
		// A layer that throws as it is composed or gives back no function, an option ky refuses (`context: 5`):
		// as a create() that throws, every part made closed.
		closeAll(active);
		throw error;
	}

	let closed = false;
	// The calls a wrapper holds before its first run, refused at once by `close()` (src/core/call.ts `#bounded`).
	const held = new Set<() => void>();
	const call = createCaller({
		...rules,
		instance,
		params,
		fetch,
		hooked: options.hooks !== undefined,
		inits: Boolean((unmarked(options.hooks) as { init?: unknown[] } | undefined)?.init?.length),
		layers,
		transport,
		stringifyJson,
		beforeError: (unmarked(options.hooks) as { beforeError?: unknown[] } | undefined)?.beforeError ?? [],
		// By their wrap bands (`placed` is in that order), outermost first.
		wrappers: placed.filter(({ parts }) => parts.wrap),
		ourKeys,
		// And the entry's slots the client leaves empty: a call's options mean the same whatever the client fills.
		checks: [...placed.filter(({ parts }) => parts.checkCall), ...entry.slots.filter((slot) => !placed.some((filled) => filled.slot === slot)).map((slot) => ({ slot, parts: { checkCall: (value: unknown) => entry.checkEmpty(slot, value) } }))],
		watchers: placed.filter(({ parts }) => parts.settled),
		stats,
		accounting,
		identity: options.identity,
		worlds,
		who,
		fallback: options.fallback,
		parseJson: options.parseJson,
		onDownloadProgress: options.onDownloadProgress,
		signal: options.signal,
		closed: () => closed,
		held,
		deadlineOf: deadlines(options.deadlineHeader, totalTimeout, clock),
		totalTimeout,
		clock,
		substituted: substitutedBy(active),
		hooks: context.hooks,
		urlScope: (input, own) => {
			try {
				return scopeOfRequest(callUrl(input instanceof Request ? input.url : input, { ...options, ...own }));
			} catch {
				return undefined;
			}
		},
	});

	made = true;
	const client = bind(call);
	client.extend = ((more: O | ((parent: O) => O)) => {
		// The function form gets the parent's options as ky holds them (every hook list, headers merged), as ky's does.
		const given = typeof more === 'function' ? more(mergeOptions(userOptions, undefined, entry.slots)) : more;
		// The child's own `retryBudget` and `clock` read with its options: ones that cannot be read (a Proxy whose `get` trap
		// throws) are refused as `createClient` refuses them ("could not be read"), never with the trap's own error.
		const [merged, own] = readOptions(() => [mergeOptions(userOptions, given, entry.slots), { retryBudget: (given as CoreClientOptions | undefined)?.retryBudget, clock: (given as CoreClientOptions | undefined)?.clock }] as const);
		const same = (merged as CoreClientOptions).name === options.name && (merged as CoreClientOptions).store === options.store;
		// The retry budget is the family's while the child keeps the name, the store, the `retryBudget` and the `clock`
		// (gives none, or the parent's back: the function form), as each traffic policy's state is.
		const keep = same && [undefined, retryBudget].includes(own.retryBudget) && [undefined, options.clock].includes(own.clock);
		return assemble(merged, entry, same ? stores : undefined, reach, keep ? budget : undefined, slots);
	}) as AnyClient['extend'];

	client.create = ((fresh?: O) => {
		checkOptionsObject(fresh);
		return assemble(fresh ?? {} as O, entry);
	}) as AnyClient['create'];

	const shut = closing(reach, emit, active, emitter);
	// Clears and removals heard from the other tabs while the client runs (src/core/world.ts).
	// Writes delivered by any client of the name, here or in another tab: `write:delivered` (`remote` when from another tab).
	const disconnect = worlds.connect(context.name, emit);
	// Request contexts (Workers, Deno): src/core/with-context.ts; the browser build's throws.
	client.withContext = contexts(client, { call, context, placed });
	const close = (): void => {
		if (!closed) {
			closed = true;
			for (const refuse of held) {
				refuse();
			}

			shut();
			disconnect();
		}
	};

	try {
		// Closed, its reachability is still followed while another client of its `extend()` family is open (a collected one is not).
		addMembers(client, { context, params, stats, placed, custom: customScope !== undefined, close, closed: () => closed, followed: () => !closed || [...reach.emits].some((ref) => ref.deref()), reach });
		entry.finish?.(client, options);
		for (const part of active) {
			// An `async start` that rejects is its own too: its rejection handled (createClient has given its client by then).
			(part.start?.() as unknown as Promise<unknown> | undefined)?.then?.(undefined, () => undefined);
		}
	} catch (error) {
		// A policy's member that is the client's already, or a start() that throws: as a create() that throws, createClient throws it, every part closed.
		close();
		throw error;
	}

	return client;
}
