import type { PolicyContext } from '../core/policy.js';
import type { Channel } from '../utils/channel.js';
import { scopes, type Scopes } from '../utils/scopes.js';
import { serverQuota } from './headers.js';
import { fromOrigin } from '../errors/from-origin.js';
import { linkTabs } from './tabs.js';

/** A scope's limit: its own token bucket, and what the server said. */
export interface Bucket {
	/**
	 * When the bucket's next token is due (epoch ms): each call reserves one, `1000 / perSecond` ms
	 * after the last, and may go `burst - 1` tokens ahead of it (a token bucket kept as GCRA).
	 */
	due: number;
	/** No request before this time (epoch ms): the server said its quota is spent. */
	blockedUntil: number;
	/** Requests the server said it has left until `leftUntil` (epoch ms), less those sent since: none left, the scope waits for `leftUntil`. */
	left: number;
	leftUntil: number;
	/** The server's limit (requests per window; 0: never said) and window (ms: its `RateLimit-Policy` `w`, else its last reset's length). */
	limit: number;
	windowMs: number;
	/**
	 * The server's windows after a block (`index.ts`): `from`, the start of the last one a call took a place in (epoch
	 * ms), `taken` places of it; 0 when no block was waited for.
	 */
	from: number;
	taken: number;
	/**
	 * After a block with no limit said (`limit` 0: a `Retry-After` alone), the first call to go after it goes alone
	 * (`index.ts`): `held`, a call waited for such a block and none went since; `leadUntil`, that first call is
	 * waiting for its answer (the others wait for it), at most until then (epoch ms; 0: none).
	 */
	held: boolean;
	leadUntil: number;
	waits: number;
	/** When the bucket was last looked up (epoch ms, the family's clock): a clock that stepped back since moves its times back with it. */
	seen: number;
	/** The calls waiting for a token of its own (`index.ts`; in a server's window too), made with the first: one that leaves early gives its place to those behind it. */
	waiters?: Set<Waiter>;
	/** The calls waiting for their place in a server's window (`index.ts`), in the order they took them. */
	places?: Set<Place>;
}

/** A call waiting for its place in a server's window: `start`, its window's; `up()` moves it to the window before, false once its wait ended. */
export interface Place {
	start: number;
	up(): boolean;
}

/** A call waiting for its token: `mine`, when the token after it is due; `up()` moves it up one token (its time and `mine`), false once its wait ended. */
export interface Waiter {
	mine: number;
	up(): boolean;
}

/** A bucket's times (epoch ms; 0: none), moved back as the clock steps back (`Buckets.scope`). */
const times = ['due', 'blockedUntil', 'leftUntil', 'from', 'leadUntil'] as const;

/**
 * The scopes' buckets, at most `maxScopes` idle ones (`Scopes`): one with a token reserved ahead (a
 * waiter), a server's block running or a first call after it unanswered is never forgotten. A server's word that its quota is spent
 * blocks the scope here and, told on the channel `steadfetch:<name>:ratelimit`, in the other tabs
 * (tabs.ts: none in the edge build).
 */
/** A family's buckets (see `Buckets`), and the clock their times are on: its first client's. */
export interface Family {
	readonly scopes: Scopes<Bucket>;
	readonly clock: PolicyContext['clock'];
}

export class Buckets {
	readonly #scopes: Scopes<Bucket>;
	/** The family's clock: every time of its buckets is on it, whichever client of the family asks (one given its own `clock` too). */
	readonly clock: PolicyContext['clock'];
	readonly #context: PolicyContext;
	readonly #fromHeaders: boolean;
	readonly #maxResetMs: number;
	#channel: Channel | undefined;

	/**
	 * `families`: the policy object's buckets per family, the clients of one name and store (`context.stores`: a client
	 * and those its `extend()` made) that keep it; each client has its own channel, timers and `close()`.
	 */
	constructor(context: PolicyContext, fromHeaders: boolean, maxResetMs: number, families: WeakMap<object, Family>) {
		const { clock } = context;
		const family = families.get(context.stores) ?? { scopes: scopes((): Bucket => ({ due: 0, blockedUntil: 0, left: 0, leftUntil: 0, limit: 0, windowMs: 0, from: 0, taken: 0, held: false, leadUntil: 0, waits: 0, seen: 0 }), ({ due, blockedUntil, leftUntil, from, windowMs, leadUntil }) => Math.max(due, blockedUntil, leftUntil, from + windowMs, leadUntil) > clock.now()), clock };
		families.set(context.stores, family);
		this.#scopes = family.scopes;
		this.clock = family.clock;
		this.#context = context;
		this.#fromHeaders = fromHeaders;
		this.#maxResetMs = maxResetMs;
	}

	/**
	 * A scope's bucket, made when missing. The clock stepped back since it was last looked up (a device's clock set back):
	 * each of its times moves back as far, so each is as far ahead of now as it was (a token, a server's block: never an
	 * hour's wait after an hour's step back, nor longer than `maxResetMs` for what a server said).
	 */
	scope(name: string): Bucket {
		const bucket = this.#scopes.scope(name);
		const now = this.clock.now();
		const back = bucket.seen - now;
		if (back > 0) {
			for (const key of times) {
				bucket[key] -= bucket[key] && back;
			}
		}

		bucket.seen = now;
		return bucket;
	}

	/** A scope's bucket if it is known (`stats()`). */
	get(name: string): Bucket | undefined {
		return this.#scopes.get(name);
	}

	/** How many scopes have a bucket. */
	get size(): number {
		return this.#scopes.size;
	}

	/**
	 * What an answer says of the scope's quota (its bucket looked up again: the call may have outlived it): the origin's
	 * answer only (`fromOrigin`), never a steadfetch service worker's refusal (its breaker's or limiter's `Retry-After`) nor
	 * its stale copy (the headers stored with it).
	 */
	learn(scope: string, response: Response): void {
		const now = this.clock.now();
		const said = this.#fromHeaders ? serverQuota(response, now) : undefined;
		if (said && fromOrigin(response)) {
			const bucket = this.scope(scope);
			const until = now + Math.min(said.resetMs, this.#maxResetMs);
			bucket.limit = said.limit || bucket.limit;
			bucket.windowMs = Math.min(said.windowMs ?? said.resetMs, this.#maxResetMs);
			if (said.remaining < 1) {
				bucket.blockedUntil = Math.max(bucket.blockedUntil, until);
				this.#channel?.post({ v: 1, scope, blockedUntil: bucket.blockedUntil });
			} else {
				// Requests left: as many more go until the reset. An answer to an earlier request (it says more
				// than the requests sent since leave) never raises what is left in the same window.
				bucket.left = bucket.leftUntil > now ? Math.min(bucket.left, said.remaining) : said.remaining;
				bucket.leftUntil = until;
			}
		}
	}

	/** Open the channel to the other tabs (tabs.ts): `share`, else where there are tabs. */
	start(share: boolean | undefined): void {
		this.#channel = linkTabs(this.#context, share, this, this.#maxResetMs);
	}

	close(): void {
		this.#channel?.close();
		this.#channel = undefined;
	}
}
