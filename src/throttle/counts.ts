import type { Fleet } from '../coordinator/fleet.js';
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
	/** How many clients that share these counts (an `extend()` family) started and did not close: the channel is open while one does (a count: no client is held). */
	#running = 0;
	readonly #windowMs: number;
	#tabs: TabLink | undefined;

	constructor(context: PolicyContext, windowMs: number, fleet: Fleet | undefined) {
		this.#context = context;
		this.fleet = fleet;
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

	/** The window's requests and accepts: this client's and its tabs', or the fleet's when it knows more. */
	sums(scope: Scope, now: number): [number, number] {
		const [requests, accepts] = scope.own.sums(now);
		const [told, accepted] = scope.tabs?.heard.sums(now) ?? none;
		const known = this.fleet?.counts(scope.name, now);
		return known && known[0] >= requests + told ? known : [requests + told, accepts + accepted];
	}

	/** Count an attempt that ended (`accepted`: its answer was not a transient failure). */
	count(scope: Scope, accepted: boolean): void {
		const now = this.#context.clock.now();
		scope.own.add(now, 0);
		if (accepted) {
			scope.own.add(now, 1);
		}

		this.fleet?.add(scope.name, accepted);
		this.#tabs?.count(scope, accepted);
	}

	/** Open the channel to the other tabs (where there are tabs and a channel: `linkTabs`) as the first client of the family starts. */
	start(): void {
		if (!this.#running++) {
			this.#tabs = linkTabs(this.#context, this.#scopes, this.#windowMs);
		}
	}

	/** Close it as the last one started closes. */
	close(): void {
		if (this.#running > 0 && !--this.#running) {
			this.#tabs?.close();
			this.#tabs = undefined;
		}
	}
}
