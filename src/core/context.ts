import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import type { RetryBudget } from '../retry/budget.js';
import { hasTabs } from '../utils/tabs.js';
import { thrownText } from '../utils/validate.js';
import { perCallSlots, type Call } from './call.js';
import type { Emitter } from './events.js';
import { invocationOf } from './invocation.js';
import type { CoreClientOptions } from './options.js';
import type { PolicyContext } from './policy.js';
import type { Reach } from './reachability.js';
import type { Clock } from './types.js';
import { worldsOf } from './world.js';

/** What a client's policy context is made of. */
export interface ContextDeps {
	readonly options: CoreClientOptions;
	readonly stores: Map<string, unknown>;
	readonly clock: Clock;
	readonly emit: PolicyContext['emit'];
	readonly emitter: Emitter;
	/** The retry budget, unless it is off. */
	readonly budget: RetryBudget | undefined;
	readonly reach: Reach;
	/** Known once the policies are created and the client assembled: called, never at creation. */
	readonly scopeOf: PolicyContext['scopeOf'];
	/** Known once the client is assembled: called, never at creation. */
	readonly send: PolicyContext['send'];
	/** The client's identity, as read (`identities`). */
	readonly who: Identities;
}

/**
 * What the client's `identity` option says now: a non-empty string, or undefined (none, or no
 * `identity` option). Throws what it throws, and a TypeError for anything else it returns.
 */
export const identityOf = (identity: (() => string | undefined) | undefined): string | undefined => {
	const who = identity?.();
	if (who !== undefined && (typeof who !== 'string' || who.length === 0)) {
		// Its type, never its value (an identity is personal): a Promise (an async identity()), '' and null said as such.
		throw new TypeError(`identity() must return a non-empty string or undefined, at once; got ${(who as unknown) instanceof Promise ? 'a Promise' : who === '' || who === null ? JSON.stringify(who) : typeof who}`);
	}

	return who;
};

/** `identityOf`, its failure an `InvalidRequestError` (what a call, and `cache.list()`, reject with). */
export const knownIdentity = (identity: (() => string | undefined) | undefined): string | undefined => {
	try {
		return identityOf(identity);
	} catch (error) {
		throw new InvalidRequestError(`The client's identity() failed: ${thrownText(error)}`, { cause: error });
	}
};

/** The client's identity, as read (`identities`). */
export interface Identities {
	/** `who` read now: what a call's world started with must still be (`epoch`). */
	saw(who: string | undefined | null): unknown;
	/** Read `identity()` now (`null` when it fails: nobody known). */
	now(): string | undefined | null;
	/** What a call's world compares at each check, `identity()` read now. */
	epoch(): unknown;
}

/** One per `identity` function: every client reading it (an `extend()`ed one, another made with it) sees a change any of them saw. */
const read = new WeakMap<object, Identities>();

/**
 * The client's `identity()` as its calls and policies read it (`now`: `null` when it fails, nobody known), and what a call's
 * world is bound to (src/core/world.ts). Where one user is served (a page, a worker: `hasTabs`), an epoch bumped each time a
 * read gives another answer than the last: alice signed out, bob signed in or `identity()` failing, seen by any read in
 * between (of any client of the same function), and alice back, is another world — her read started before is not stored
 * after. In a server runtime, where concurrent requests may read different users through one `identity()` (an
 * AsyncLocalStorage), the identity itself: one request's user is no change of another's. No allocation per read.
 */
export const identities = (identity: (() => string | undefined) | undefined): Identities => {
	let made = identity && read.get(identity);
	if (!made) {
		const one = hasTabs();
		let seen: string | undefined | null;
		let epoch = 0;
		const saw = (who: string | undefined | null): unknown => {
			if (who !== seen) {
				seen = who;
				epoch++;
			}

			return one ? epoch : who;
		};

		const now = (): string | undefined | null => {
			let who: string | undefined | null = null;
			try {
				who = identityOf(identity);
			} catch {}

			saw(who);
			return who;
		};

		made = { saw, now, epoch: () => saw(now()) };
		identity && read.set(identity, made);
	}

	return made;
};

/**
 * The context each policy is created with (`PolicyContext`): one per client, no handle on the client
 * itself. A call's own state (`answer`, `perCall`) is the call's (src/core/call.ts).
 */
export const policyContext = ({ options, stores, clock, emit, emitter, budget, reach, scopeOf, send, who }: ContextDeps): PolicyContext => {
	// A policy asks it at any time: an identity() that throws, or returns no identity, is none (and a change of it, `who`).
	const identity = (): string | undefined => who.now() ?? undefined;

	return {
		name: options.name ?? 'steadfetch',
		clock,
		random: options.random ?? Math.random,
		options,
		stores,
		hooks: {},
		// The core's own events; the policies' are added once they are made (create-client.ts).
		levels: { 'retry': 'warn', 'budget:exhausted': 'warn', 'storage:error': 'error' },
		identity,
		world: (who) => worldsOf(stores).open(who, () => who),
		cleared: (part, identity) => worldsOf(stores).cleared(part, identity),
		removed: (part, id) => worldsOf(stores).removed(part, id),
		emit,
		listening: (type) => emitter.has(type),
		on: (type, listener) => emitter.on(type, listener),
		scopeOf,
		spendRetry: (scope) => budget?.tryRetry(scope, true, false, undefined, false).allowed ?? true,
		subrequest: (call) => ((call as Call | undefined)?.invocation ?? invocationOf(call?.waitUntil))?.take() ?? true,
		reachability: (scope) => reach.state(scope),
		offline: (scope, untried) => reach.offline(scope, untried),
		late: (scope) => reach.late(scope),
		reached: (scope, status) => {
			if (status) {
				reach.answered(scope, status, true);
			} else {
				reach.heard(scope);
			}
		},
		answer: (call, outcome) => (call as Call).answer(outcome),
		perCall: perCallSlots(),
		send,
	};
};
