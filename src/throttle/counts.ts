import type { Fleet } from '../coordinator/fleet.js';
import type { PolicyContext } from '../core/policy.js';
import { isNonNegativeInteger } from '../utils/validate.js';
import { openChannel, type Channel } from '../utils/channel.js';
import { storageError } from '../core/part-store.js';
import { hasTabs } from '../utils/tabs.js';
import { BucketWindow } from '../utils/window.js';
import { scopes, type Scopes } from '../utils/scopes.js';

/** One scope's counts. */
export interface Scope {
	readonly name: string;
	/** This client's attempts (counter 0) and accepts (counter 1). */
	readonly own: BucketWindow;
	/** What the other tabs of the client's name told, counted when it arrived. */
	readonly tabs: BucketWindow;
	/** Counted since the last message to the other tabs. */
	requests: number;
	accepts: number;
	/** When the last message to the other tabs went (epoch ms), and the timer of the next one. */
	told: number;
	timer: ReturnType<typeof setTimeout> | undefined;
	/** Attempts the throttle refused. */
	rejected: number;
}

/** The longest a tab waits to tell the others what it counted, in ms: one message per scope at most this often. */
const tellMs = 1000;
/** The most attempts another tab may tell of in one message (a second's worth): more is malformed. */
const maxTold = 100_000;
/** Scopes another tab's message may add (a tab learns a scope before its first call to it). */
const maxHeard = 64;

/**
 * The adaptive throttle's counts per scope, over its window: this client's, told to the other tabs
 * of the client's name and heard from them (BroadcastChannel, at most a message per scope a
 * second), and with `shared` the fleet's (`Fleet`, the isolate's link to the coordinator).
 */
export class Counts {
	/** Bounded as every per-scope state is (`Scopes`): idle scopes forgotten past 1 000; one waiting to tell the other tabs is kept. */
	readonly #scopes: Scopes<Scope>;
	readonly #context: PolicyContext;
	readonly #fleet: Fleet | undefined;
	#channel: Channel | undefined;

	constructor(context: PolicyContext, windowMs: number, fleet: Fleet | undefined) {
		this.#context = context;
		this.#fleet = fleet;
		this.#scopes = scopes((name) => ({ name, own: new BucketWindow(windowMs), tabs: new BucketWindow(windowMs), requests: 0, accepts: 0, told: 0, timer: undefined, rejected: 0 }), (scope) => scope.timer !== undefined);
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
		const [told, accepted] = scope.tabs.sums(now);
		const known = this.#fleet?.counts(scope.name, now);
		return known && known[0] >= requests + told ? known : [requests + told, accepts + accepted];
	}

	/** Count an attempt that ended (`accepted`: its answer was not a transient failure). */
	count(scope: Scope, accepted: boolean): void {
		const now = this.#context.clock.now();
		scope.own.add(now, 0);
		if (accepted) {
			scope.own.add(now, 1);
		}

		this.#fleet?.add(scope.name, accepted);
		if (this.#channel) {
			scope.requests++;
			scope.accepts += Number(accepted);
			this.#tell(scope);
		}
	}

	/** Send the counts of the last second to the other tabs: now, or when a second has passed since the last message. */
	#tell(scope: Scope): void {
		const post = (): void => {
			scope.timer = undefined;
			scope.told = this.#context.clock.now();
			this.#channel?.post({ scope: scope.name, requests: scope.requests, accepts: scope.accepts });
			scope.requests = 0;
			scope.accepts = 0;
		};

		const wait = scope.told + tellMs - this.#context.clock.now();
		if (scope.timer === undefined) {
			if (wait <= 0) {
				post();
			} else {
				scope.timer = setTimeout(post, wait);
			}
		}
	}

	/**
	 * Another tab's counts, for a scope this client knows or a new one while it knows fewer than
	 * `maxHeard`; anything malformed is ignored and reported, without its content.
	 */
	#receive(data: unknown): void {
		const { scope, requests, accepts } = (data ?? {}) as Record<string, unknown>;
		if (typeof scope === 'string' && isNonNegativeInteger(requests) && requests <= maxTold && isNonNegativeInteger(accepts) && accepts <= requests) {
			const known = this.#scopes.get(scope) !== undefined || this.#scopes.size < maxHeard ? this.scope(scope) : undefined;
			const now = this.#context.clock.now();
			known?.tabs.add(now, 0, requests);
			known?.tabs.add(now, 1, accepts);
		} else {
			storageError(this.#context, 'throttle', 'channel', new TypeError('Ignored a malformed throttle message from another tab'));
		}
	}

	/** Open the channel to the other tabs (where there are tabs). */
	start(): void {
		if (hasTabs()) {
			this.#channel = openChannel(`steadfetch:${this.#context.name}:throttle`, (data) => this.#receive(data));
		}
	}

	close(): void {
		this.#channel?.close();
		this.#channel = undefined;
		for (const [, scope] of this.#scopes.entries()) {
			clearTimeout(scope.timer);
		}
	}
}
