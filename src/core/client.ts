import ky, { type Input } from 'ky';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import type { createCaller, Method } from './caller.js';
import type { AnyClient, ClientStats } from './client-types.js';
import type { Emitter } from './events.js';
import type { Invocation } from './invocation.js';
import type { CallOptions } from './options.js';
import { refuseClosed } from './closing.js';
import { closeAll, type Placed } from './slots.js';
import type { PolicyContext, PolicyParts } from './policy.js';
import { followReach, type Reach } from './reachability.js';
import { followOnline } from '../utils/online.js';
import { callUrl, originOf, resolveUrl, scopeFor, scopeOfUrl } from './scope.js';
import { redact } from '../utils/sensitive.js';
import { hideUserinfo } from '../utils/validate.js';
import { clientName, worldsOf } from './world.js';
import type { Stats } from './stats.js';

type Caller = ReturnType<typeof createCaller>;

const methods: readonly Method[] = ['get', 'post', 'put', 'patch', 'delete', 'head', 'query'];

/** The client's call functions, each call of the request context `invocation` (`withContext`). */
export const bind = (call: Caller, invocation?: Invocation): AnyClient => {
	const calling = (method?: Method) => (input: Input, callOptions?: CallOptions) => call(method, input, callOptions, { invocation });
	const client = calling() as AnyClient;
	for (const method of methods) {
		client[method] = calling(method) as AnyClient['get'];
	}

	return client;
};

/**
 * What closing the client stops: `navigator.onLine`'s changes, which the scopes whose state follows
 * it say (`reachability`), followed from now on (utils/online.ts; none in the edge build); being told
 * the changes of `reach` (shared with the clients of one `extend()` family) by `emit`; the policies; the listeners.
 */
export const closing = (reach: Reach, emit: PolicyContext['emit'], active: readonly PolicyParts[], emitter: Emitter): () => void => {
	const unlisten = followOnline(() => reach.recheck());
	const leave = reach.join(emit);
	return () => {
		leave();
		for (const remove of unlisten) {
			remove();
		}

		// Every part's close() once, even when one throws: a policy's fault stays its own.
		closeAll(active);
		emitter.clear();
	};
};

/** What the client's members are made of (src/core/create-client.ts). */
export interface MemberDeps {
	readonly context: PolicyContext;
	/** The client's sensitive query parameters (`sensitiveParams` and the defaults). */
	readonly params: ReadonlySet<string>;
	readonly stats: Stats;
	/** The filled slots, in wrap order. */
	readonly placed: readonly Placed[];
	/** Whether a policy defines scopes (the breaker's `scope` option). */
	readonly custom: boolean;
	readonly close: () => void;
	/** Whether the client closed: its `clear()` then rejects `CLIENT_CLOSED`. */
	readonly closed: () => boolean;
	/** Whether its reachability is still followed: by the client, or, closed, by another client of its `extend()` family. */
	readonly followed: () => boolean;
	/** The reachability its `extend()` family shares. */
	readonly reach: Reach;
}

/**
 * The client's members besides its calls (`extend` and `create` are the assembly's), from its context,
 * `close` given, the policies' members last.
 * `withContext` is with-context.ts's (none in the browser build).
 */
export const addMembers = (client: AnyClient, { context, params, stats, placed, custom, close, closed, followed, reach }: MemberDeps): void => {
	const active = placed.map(({ parts }) => parts);
	Object.assign(client, { stop: ky.stop, retry: ky.retry });
	client.on = context.on as AnyClient['on'];
	// A copy of each scope's counters, with each policy's view of the scope.
	client.stats = () => {
		const result: ClientStats = {};
		for (const [scope, counters] of stats.entries()) {
			const failures = { ...counters.failures };
			const row: ClientStats[string] = { ...counters, failures };
			for (const part of active) {
				try {
					const view = part.stats?.(scope);
					// An `async stats` adds nothing, its rejection handled.
					(view as unknown as Promise<unknown> | undefined)?.then?.(undefined, () => undefined);
					Object.assign(row, view);
				} catch {
					// A policy's fault stays its own: the counters and the other policies' views are still shown.
				}
			}

			// The core's counters stay the core's: a view that names one (`requests`, `failures`) replaces none of them.
			result[scope] = Object.assign(row, counters, { failures });
		}

		return result;
	};

	client.clear = async (clearOptions) => {
		refuseClosed(closed);
		// Nothing (everything), or `{ identity }` alone with a non-empty string: anything else removes nothing, also options
		// that cannot be read (a Proxy whose traps throw).
		let identity: unknown;
		let taken = clearOptions === undefined;
		try {
			identity = clearOptions?.identity;
			taken ||= typeof identity === 'string' && identity.length > 0 && Object.keys(Object(clearOptions)).join() === 'identity';
		} catch {}

		if (!taken) {
			throw new InvalidRequestError('`clear()` takes nothing or `{ identity }` with a non-empty string: nothing removed');
		}

		// Noted first: work that started before (answered early, still going) writes nothing more (src/core/world.ts).
		const one = identity as string | undefined;
		worldsOf(context.stores).cleared(undefined, one);
		await Promise.all(active.map(async (part) => part.clear?.(one === undefined ? undefined : { identity: one })));
	};

	// A URL resolved as a call's is (prefix, baseUrl); with a custom `scope`, a string without `://` names a scope. A state
	// nothing follows any more (this client closed, and every other one sharing it): `unknown`, never its last state for
	// good (`followReachability` would keep TanStack paused on it).
	client.reachability = (urlOrScope) => {
		const scope = scopeFor(urlOrScope, context.scopeOf, context.options, custom);
		return followed() ? context.reachability(scope) : 'unknown';
	};
	client.close = close;
	Object.defineProperties(client, {
		// Not enumerable, no public name: the URL a call of `input` goes to (queryOptionsFor's `meta.steadfetchUrl`), with the call's own `prefix`/`baseUrl` when it gives them;
		// its sensitive query values removed, as every URL the client shows (an app's persister stores a query's meta). One that
		// does not resolve (the call rejects) is the input as given, those values and a userinfo password removed alike.
		[resolveUrl]: {
			value: (input: string | URL, call?: { prefix?: unknown; baseUrl?: unknown }) => {
				let url: string;
				try {
					url = callUrl(input, { ...context.options, ...call });
				} catch {
					url = hideUserinfo(String(input));
				}

				return redact(url, params);
			},
		},
		// Not enumerable either: the name a service worker's answer says told a delivered write (src/core/world.ts `deliveredBy`).
		[clientName]: { value: context.name },
		// Nor this: the scope of an absolute URL, as the client's events name it (refetchWhenBack's; core/scope.ts `scopeOfUrl`):
		// `originOf` itself without an app's scope (`custom`), so the preset's stand-in breaker tells whether scopes are named.
		[scopeOfUrl]: { value: custom ? context.scopeOf : originOf },
		// Nor this (reachability.ts `followReach`): `followReachability` follows on as `reachability()` reads, after `close()` too.
		[followReach]: {
			value: (follow: () => void) => {
				reach.follows.add(follow);
				return () => reach.follows.delete(follow);
			},
		},
	});
	for (const { slot, parts } of placed) {
		for (const [name, value] of Object.entries(parts.members ?? {})) {
			// A member is one part's: never one of the client's own (`get`, `close`, ky's) nor another policy's; nor `then`,
			// which would make the client a thenable (`await createClient(…)`, an async function's return, would call it).
			if (name in client || name === 'then') {
				throw new TypeError(`The \`${slot}\` policy's member \`${name}\` is already the client's`);
			}

			// `waitForHealthy` stays an assignable method (for spies); the handles are fixed properties.
			Object.defineProperty(client, name, { value, writable: name === 'waitForHealthy', enumerable: true });
		}
	}
};
