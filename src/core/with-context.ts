import type { createCaller } from './caller.js';
import { bind } from './client.js';
import { clientClosed } from './closing.js';
import { rejectedCall } from './response-promise.js';
import type { AnyClient, ContextClient, ContextOptions, ContextStats } from './client-types.js';
import { openInvocation, type Invocation } from './invocation.js';
import type { PolicyContext } from './policy.js';
import type { Placed } from './slots.js';
import { thrownText } from '../utils/validate.js';

/** What a client's request contexts are made of (src/core/create-client.ts). */
export interface ContextDeps {
	readonly call: ReturnType<typeof createCaller>;
	readonly context: PolicyContext;
	/** The filled slots, in wrap order. */
	readonly placed: readonly Placed[];
}

/** The request context an `extend()` of a client of one hands to the client it made, in the options it passes. */
const inherited: unique symbol = Symbol('invocation');

/**
 * `client.withContext(ctx, options)` (API.md "Request contexts"): a client that shares everything
 * with `client`, each call of it in the request context `ctx` (its `waitUntil`, subrequests, end and
 * deadline), its `stats()` with the context's subrequests, and the members a policy binds to the
 * request (`membersFor`: the outbox's replays hand their work to its `waitUntil`); its `close()` the
 * request's own (its calls, the listeners added through it), never `client`'s. The browser build
 * has none (with-context-browser.ts).
 */
export const contexts = (client: AnyClient, { call, context, placed }: ContextDeps): AnyClient['withContext'] => (ctx, contextOptions?: ContextOptions) => {
	let extended: Invocation | undefined;
	let invocation: Invocation;
	try {
		if (typeof ctx?.waitUntil !== 'function') {
			throw new TypeError('`withContext(ctx)` takes an object with a `waitUntil` function (a Worker\'s ExecutionContext)');
		}

		extended = (contextOptions as { [inherited]?: Invocation } | undefined)?.[inherited];
		invocation = extended ?? openInvocation(ctx, contextOptions, context.options.deadlineHeader, context.clock);
	} catch (error) {
		// A `ctx` or options that cannot be read (a Proxy whose traps throw): a TypeError saying so, as for any other wrong value.
		throw error instanceof TypeError || error instanceof RangeError ? error : new TypeError(`\`withContext(ctx, options)\` could not read its arguments: ${thrownText(error)}`, { cause: error });
	}

	// What this request's client ends as it closes (its `close()`, never `client`'s): the listeners added through it, and
	// `client` itself when its `extend()` made it for the request (`extended`: the request's alone). Its calls are refused then.
	let closed = false;
	const ends = extended ? [client.close] : [];
	const bound = bind(((...args) => (closed ? rejectedCall(clientClosed()) : call(...args))) as typeof call, invocation) as ContextClient;
	bound.stats = () => Object.assign(client.stats(), { subrequests: invocation.used.count }) as ContextStats;
	bound.clear = (clearOptions) => (closed ? Promise.reject(clientClosed()) : client.clear(clearOptions));
	bound.on = ((type: never, listener: never) => {
		const off = closed ? () => undefined : client.on(type, listener);
		ends.push(off);
		return off;
	}) as ContextClient['on'];
	bound.close = () => {
		closed = true;
		for (const end of ends.splice(0)) {
			end();
		}
	};
	// As ky's `extend` keeps the instance's defaults, the client it makes stays in this request context
	// (the same one: its subrequests, its request's end, its deadline as of this `withContext`).
	// That client is this request's too: its `close()` closes it (one made after it is closed).
	bound.extend = ((more: never) => {
		const made = client.extend(more).withContext(ctx, { [inherited]: invocation } as ContextOptions);
		ends.push(made.close);
		if (closed) {
			bound.close();
		}

		return made;
	}) as ContextClient['extend'];
	Object.setPrototypeOf(bound, client);
	// A policy's members for the request, in place of its own `members`: never one the client has
	// already (its own, ky's, another policy's), nor `then`, as `createClient` refuses for `members`.
	for (const { slot, parts } of placed) {
		const given = parts.membersFor?.(invocation.waitUntil, (end) => void ends.push(end));
		// An `async membersFor` gives no members, its rejection handled.
		(given as Promise<unknown> | undefined)?.then?.(undefined, () => undefined);
		const members = Object.getOwnPropertyDescriptors(given ?? {});
		for (const name in members) {
			if ((name in bound || name === 'then') && !Object.hasOwn(parts.members ?? {}, name)) {
				throw new TypeError(`The \`${slot}\` policy's member \`${name}\` is already the client's`);
			}
		}

		Object.defineProperties(bound, members);
	}

	return bound;
};
