import { classifyStatus } from '../errors/classify.js';
import { scopes } from '../utils/scopes.js';
import type { PolicyContext } from './policy.js';
import { isOffline } from '../utils/online.js';
import type { Clock, Reachability } from './types.js';

/** One attempt in `probeMs` goes out to a scope that is `offline`, to find out whether it really is. */
export const probeMs = 10_000;

/**
 * The key of a client's member no public name reaches: `(follow) => unfollow`, `follow` called at each change of the
 * reachability its `extend()` family shares, also once that client is closed (its `reachability()` still reads the
 * family's), until unfollowed: `followReachability` (steadfetch/tanstack-query). `Symbol.for`, as `resolveUrl`.
 */
export const followReach: unique symbol = Symbol.for('steadfetch.followReach');

interface Seen {
	/** `reachable`, `unreachable`, or `unknown` before any attempt ended either way. */
	state: 'reachable' | 'unreachable' | 'unknown';
	/** Attempts in a row that ended without an HTTP answer. */
	misses: number;
	/** When an attempt last got an HTTP answer (injected clock). */
	answeredAt: number;
	/** When an attempt last went out while the scope was `offline` (see `offline`). */
	triedAt: number;
	/** The state last told in a `reachability` event. */
	told: Reachability;
	/** The last attempt got an answer `classify()` does not call transient (see `scope:back`). */
	good: boolean;
}

/**
 * Per-scope reachability from what the client's own attempts see (API.md "Reachability and
 * recovery"): `reachable` once an attempt got any HTTP answer, `unreachable` once two attempts in a
 * row ended without one (network failure or timeout; a steadfetch service worker's answer saying so: `transport.ts`), a single such failure changing nothing;
 * `navigator.onLine` false is only a hint: `offline` while it is and no attempt got an HTTP answer
 * since it turned false. Tells every change (`reachability`), and the first answer `classify()` does not
 * call transient after attempts that got none or a transient one, or after a stored copy answered (`scope:back`).
 * One for a client and the clients its `extend()` made (API.md: per origin), each told.
 */
export class Reach {
	readonly #clock: Clock;
	/**
	 * How each client that shares it tells: the one that made it and those its `extend()` made (`join`), until
	 * closed; held weakly, so a client made by `extend()` per request and never closed is not kept alive by it.
	 */
	readonly emits = new Set<{ deref(): PolicyContext['emit'] | undefined }>();
	/** What each `followReach` member follows with (`followReachability`), called at each change, whichever client is open. */
	readonly follows = new Set<() => void>();
	/** The size of `emits` at which `join` lets go of the clients collected: twice what it kept at the last look. */
	#sweepAt = 64;
	/** Bounded as every per-scope state is (`scopes`): a forgotten idle scope is `unknown` again. */
	readonly #scopes = scopes((): Seen => ({ state: 'unknown', misses: 0, answeredAt: -Infinity, triedAt: -Infinity, told: 'unknown', good: true }));
	/** When `navigator.onLine` was first seen false since it was last seen true; undefined while online. */
	#offlineSince: number | undefined;

	constructor(clock: Clock) {
		this.#clock = clock;
	}

	/**
	 * A client is told the changes by `emit` until the function returned is called (its `close()`). Those never closed and
	 * collected are let go here too, once they may be half of them (each client looked at once per doubling): a
	 * server's client per request, with no change to tell, leaves no entry per request behind.
	 */
	join(emit: PolicyContext['emit']): () => void {
		// As utils/held.ts holds: not imported from there, which would split the one-line helper into a chunk of its own
		// (the outbox reaches this module for `probeMs`; see breaker/circuits.ts `weakly`).
		const told = typeof WeakRef === 'function' ? new WeakRef(emit) : { deref: () => emit };
		const { emits } = this;
		if (emits.size >= this.#sweepAt) {
			for (const ref of emits) {
				if (!ref.deref()) {
					emits.delete(ref);
				}
			}

			this.#sweepAt = 2 * emits.size + 64;
		}

		emits.add(told);
		return () => emits.delete(told);
	}

	readonly #emit: PolicyContext['emit'] = (type, fields) => {
		// A client collected says nothing; `join` lets it go.
		for (const ref of this.emits) {
			ref.deref()?.(type, fields);
		}
	};

	/**
	 * The scope's state now. A scope asked about is met (bounded as every scope): its changes with
	 * `navigator.onLine` are told (`recheck`) also before any attempt to it (`followReachability`). One first asked about
	 * while `offline` (met offline: a page opened so), nothing told of it yet, was said `offline`: that is what it was
	 * told, so the device back online is a change, told at once (a `followReachability` that met it so resumes TanStack then).
	 */
	state(scope: string): Reachability {
		const seen = this.#scopes.scope(scope);
		if (!this.#offlineNow(seen)) {
			return seen.state;
		}

		if (seen.told === 'unknown') {
			seen.told = 'offline';
		}

		return 'offline';
	}

	/**
	 * Whether an attempt to `scope` must not go out (a read answered by its copy, a write kept queued):
	 * true while the scope is `offline`, except once every `probeMs`, when it answers false and the
	 * attempt goes out to find out (a wrong `navigator.onLine` never blocks a working origin for long).
	 * `untried`: that attempt was refused before it was sent (its identity changed, an open breaker): the slot is free again.
	 */
	offline(scope: string, untried?: boolean): boolean {
		if (untried) {
			// Only the slot: when `navigator.onLine` turned false stays as it was (a scope that answered since is not offline).
			this.#scopes.scope(scope).triedAt = -Infinity;
			return false;
		}

		if (!isOffline()) {
			this.#offlineSince = undefined;
			return false;
		}

		const seen = this.#scopes.scope(scope);
		if (!this.#offlineNow(seen)) {
			return false;
		}

		const now = this.#clock.now();
		if (now - seen.triedAt < probeMs && now >= seen.triedAt) {
			return true;
		}

		seen.triedAt = now;
		return false;
	}

	/**
	 * An attempt to `scope` got an HTTP answer (any status). The first one `classify()` does not call
	 * transient since the scope's attempts got none or a transient one, or since a stored copy answered
	 * a call of it (`late`), fires `scope:back`; not the scope's first answers. `told`: another tab's attempt
	 * (breaker/tabs.ts `hear`) or its breaker probe, heard as the closing it made (circuits.ts): its good answer fires `scope:back` here likewise, once, where this client's
	 * attempts failed or a copy answered; its transient one leaves this client's as it was (no `scope:back` follows for a
	 * tab that had no failure of its own).
	 */
	answered(scope: string, status: number, told?: boolean): void {
		const seen = this.heard(scope);
		const good = !classifyStatus(status)?.transient;
		if (good && !seen.good) {
			this.#emit('scope:back', { scope, status });
		}

		if (good || !told) {
			seen.good = good;
		}
	}

	/**
	 * `scope` answered an attempt: this client's (`answered`), or another tab's of the name whose breaker probe got an
	 * answer (its closing heard here): `reachable`, told at once, so a tab whose TanStack queries are paused on an
	 * `unreachable` scope (`followReachability`) sends them again without an attempt of its own. Its record.
	 */
	heard(scope: string): Seen {
		const seen = this.#scopes.scope(scope);
		// When `navigator.onLine` turned false is noted before the answer's time (if not yet): read after it, on a clock
		// whose millisecond turned in between, it would make this answer older than it, and the scope `offline`.
		this.#offlineNow(seen);
		seen.answeredAt = this.#clock.now();
		seen.misses = 0;
		// Told reachable already: an answer changes nothing (the common case, one check per attempt).
		if (seen.told !== 'reachable') {
			seen.state = 'reachable';
			this.#tell(scope, seen);
		}

		return seen;
	}

	/** An attempt to `scope` ended without an HTTP answer (a network failure or a timeout). */
	missed(scope: string): void {
		const seen = this.#scopes.scope(scope);
		seen.good = false;
		if (++seen.misses >= 2) {
			seen.state = 'unreachable';
		}

		this.#tell(scope, seen);
	}

	/** A stored copy answered a call of `scope` (any reason: `slow`, `offline`, …): its next good answer fires `scope:back`. */
	late(scope: string): void {
		this.#scopes.scope(scope).good = false;
	}

	/** `navigator.onLine` may have changed (an `online` or `offline` event): tell the scopes whose state changed with it. */
	recheck(): void {
		for (const [scope, seen] of this.#scopes.entries()) {
			this.#tell(scope, seen);
		}
	}

	#offlineNow(seen: Seen): boolean {
		if (!isOffline()) {
			this.#offlineSince = undefined;
			return false;
		}

		this.#offlineSince ??= this.#clock.now();
		return seen.answeredAt < this.#offlineSince;
	}

	/** Tell `scope`'s state if it changed (`seen` is its record, which `state(scope)` reads). */
	#tell(scope: string, seen: Seen): void {
		// As `state` says it, nothing noted.
		const state = this.#offlineNow(seen) ? 'offline' : seen.state;
		if (state !== seen.told) {
			const previous = seen.told;
			seen.told = state;
			this.#emit('reachability', { scope, state, previous });
			for (const follow of this.follows) {
				try {
					follow();
				} catch (error) {
					// As the emitter isolates a listener (events.ts): the others are still told, the error still reaches the console.
					queueMicrotask(() => {
						throw error;
					});
				}
			}
		}
	}
}
