import type { Coordinator, Fleet } from '../coordinator/fleet.js';
import type { PolicyContext } from '../core/policy.js';
import { BucketWindow } from '../utils/window.js';
import { scopes, type Scopes } from '../utils/scopes.js';
import { linkTabs, type TabCounts, type TabLink } from './tabs.js';

/** One scope's counts. */
export interface Scope {
	readonly name: string;
	/** This client's attempts (counter 0) and accepts (counter 1). */
	readonly own: BucketWindow;
	/** What it shares with the other tabs of the client's name (tabs.ts): made when it first tells or hears. */
	tabs: TabCounts | undefined;
	/** Attempts the throttle refused. */
	rejected: number;
}

/** A scope's counts heard from no tab. */
const none: readonly [number, number] = [0, 0];

/**
 * The adaptive throttle's counts per scope, over its window: this client's, told to the other tabs
 * of the client's name and heard from them (`linkTabs`, tabs.ts: none in the edge build), and with
 * `shared` the fleet's (`Fleet`, the isolate's link to the coordinator).
 */
export class Counts {
	/** Bounded as every per-scope state is (`Scopes`): idle scopes forgotten past 1 000; one waiting to tell the other tabs is kept. */
	readonly #scopes: Scopes<Scope>;
	readonly #context: PolicyContext;
	/** The isolate's link to the fleet (`shared`). */
	readonly fleet: Fleet | undefined;
	/**
	 * The clients that share these counts (an `extend()` family) started and not closed, each held weakly (a child dropped
	 * unclosed is not kept; let go as the next one starts): the channel is open while there is one, and what it reports is told to each.
	 */
	readonly #running = new Set<{ deref(): PolicyContext | undefined }>();
	readonly #windowMs: number;
	#tabs: TabLink | undefined;

	/** `shared`: the coordinator the link to the fleet is made with, which reports (as the channel does) to every client of the family running. */
	constructor(context: PolicyContext, windowMs: number, shared: Coordinator | undefined) {
		const running = this.#running;
		this.#context = { ...context, emit: (type, fields) => {
			for (const each of running) {
				each.deref()?.emit(type, fields);
			}
		} };
		this.fleet = shared?.fleet(this.#context, windowMs);
		this.#windowMs = windowMs;
		this.#scopes = scopes<Scope>((name) => ({ name, own: new BucketWindow(windowMs), tabs: undefined, rejected: 0 }), (scope) => scope.tabs?.timer !== undefined);
	}

	/** A scope's counts, made when missing. */
	scope(name: string): Scope {
		return this.#scopes.scope(name);
	}

	/** A scope's counts if it is known (`stats()`). */
	get(name: string): Scope | undefined {
		return this.#scopes.get(name);
	}

	/**
	 * The window's requests and accepts: this client's and its tabs', or the fleet's when it knows more. Now on the clock
	 * they are counted on (the family's first client's), whichever client of the family asks.
	 */
	sums(scope: Scope): [number, number] {
		const now = this.#context.clock.now();
		const [requests, accepts] = scope.own.sums(now);
		const [told, accepted] = scope.tabs?.heard.sums(now) ?? none;
		const known = this.fleet?.counts(scope.name, now);
		return known && known[0] >= requests + told ? known : [requests + told, accepts + accepted];
	}

	/**
	 * Count an attempt that ended (`accepted`: its answer was not a transient failure) in its scope's counts as they are now:
	 * those it started with may have been forgotten meanwhile (idle, while 1 000 other scopes were met), its count with them.
	 */
	count(started: Scope, accepted: boolean): void {
		const scope = this.#scopes.scope(started.name);
		const now = this.#context.clock.now();
		scope.own.add(now, 0);
		if (accepted) {
			scope.own.add(now, 1);
		}

		this.fleet?.add(scope.name, accepted);
		this.#tabs?.count(scope, accepted);
	}

	/**
	 * `context`'s client starts: the channel to the other tabs opens (where there are tabs and a channel: `linkTabs`) as
	 * the first of the family does, and what it reports (a malformed message) is told to every client of it running.
	 * Returns what its `close()` calls: the channel closes as the last one started closes.
	 */
	start(context: PolicyContext): () => void {
		const running = this.#running;
		for (const ref of running) {
			if (!ref.deref()) {
				running.delete(ref);
			}
		}

		// As utils/held.ts holds (not imported: see breaker/circuits.ts `weakly`).
		const ref = typeof WeakRef === 'function' ? new WeakRef(context) : { deref: () => context };
		running.add(ref);
		this.#tabs ??= linkTabs(this.#context, this.#scopes, this.#windowMs);
		return () => {
			if (running.delete(ref) && !running.size) {
				this.#tabs?.close();
				this.#tabs = undefined;
			}
		};
	}
}
