import { scopes } from '../shared/scopes.js';
import { isOffline } from './runtime.js';
import type { Clock } from './types.js';

/** What the client knows of a scope's reachability (`client.reachability`). */
export type Reachability = 'reachable' | 'unreachable' | 'offline' | 'unknown';

/** One attempt in `probeMs` goes out to a scope that is `offline`, to find out whether it really is. */
export const probeMs = 10_000;

interface Seen {
	/** `reachable`, `unreachable`, or `unknown` before any attempt ended either way. */
	state: 'reachable' | 'unreachable' | 'unknown';
	/** Attempts in a row that ended without an HTTP answer. */
	misses: number;
	/** When an attempt last got an HTTP answer (injected clock). */
	answeredAt: number;
	/** When an attempt last went out while the scope was `offline` (see `holds`). */
	triedAt: number;
	/** The state last told in a `reachability` event. */
	told: Reachability;
}

/**
 * Per-scope reachability from what the client's own attempts see (API.md "Reachability and
 * recovery"): `reachable` once an attempt got any HTTP answer, `unreachable` once two attempts in a
 * row ended without one (network failure or timeout), a single such failure changing nothing;
 * `navigator.onLine` false is only a hint: `offline` while it is and no attempt got an HTTP answer
 * since it turned false. `changed(scope, state, previous)` is told of every change.
 */
export class Reach {
	readonly #clock: Clock;
	readonly #changed: (scope: string, state: Reachability, previous: Reachability) => void;
	/** Bounded as every per-scope state is (`scopes`): a forgotten idle scope is `unknown` again. */
	readonly #scopes = scopes((): Seen => ({ state: 'unknown', misses: 0, answeredAt: -Infinity, triedAt: -Infinity, told: 'unknown' }));
	/** When `navigator.onLine` was first seen false since it was last seen true; undefined while online. */
	#offlineSince: number | undefined;

	constructor(clock: Clock, changed: (scope: string, state: Reachability, previous: Reachability) => void) {
		this.#clock = clock;
		this.#changed = changed;
	}

	/** The scope's state now. */
	state(scope: string): Reachability {
		const seen = this.#scopes.get(scope);
		return this.#offline(seen) ? 'offline' : seen?.state ?? 'unknown';
	}

	/**
	 * Whether an attempt to `scope` is to be held (a read answered by its copy, a write kept queued):
	 * true while the scope is `offline`, except once every `probeMs`, when it answers false and the
	 * attempt goes out to find out (a wrong `navigator.onLine` never blocks a working origin for long).
	 */
	holds(scope: string): boolean {
		if (!isOffline()) {
			this.#offlineSince = undefined;
			return false;
		}

		const seen = this.#seen(scope);
		if (!this.#offline(seen)) {
			return false;
		}

		const now = this.#clock.now();
		if (now - seen.triedAt < probeMs && now >= seen.triedAt) {
			return true;
		}

		seen.triedAt = now;
		return false;
	}

	/** An attempt to `scope` got an HTTP answer (any status). */
	answered(scope: string): void {
		const seen = this.#seen(scope);
		seen.answeredAt = this.#clock.now();
		seen.misses = 0;
		// Told reachable already: an answer changes nothing (the common case, one check per attempt).
		if (seen.told !== 'reachable') {
			seen.state = 'reachable';
			this.#tell(scope, seen);
		}
	}

	/** An attempt to `scope` ended without an HTTP answer (a network failure or a timeout). */
	missed(scope: string): void {
		const seen = this.#seen(scope);
		if (++seen.misses >= 2) {
			seen.state = 'unreachable';
		}

		this.#tell(scope, seen);
	}

	/** `navigator.onLine` may have changed (an `online` or `offline` event): tell the scopes whose state changed with it. */
	recheck(): void {
		for (const [scope, seen] of this.#scopes.entries()) {
			this.#tell(scope, seen);
		}
	}

	#offline(seen: Seen | undefined): boolean {
		if (!isOffline()) {
			this.#offlineSince = undefined;
			return false;
		}

		this.#offlineSince ??= this.#clock.now();
		return seen === undefined || seen.answeredAt < this.#offlineSince;
	}

	#seen(scope: string): Seen {
		return this.#scopes.scope(scope);
	}

	#tell(scope: string, seen: Seen): void {
		const state = this.#offline(seen) ? 'offline' : seen.state;
		if (state !== seen.told) {
			const previous = seen.told;
			seen.told = state;
			this.#changed(scope, state, previous);
		}
	}
}
