import { rateLimitAt } from '../bands/bands.js';
import type { Policy, PolicyContext, PolicyParts } from '../core/policy.js';
import { attemptScope } from '../core/scope.js';
import type { Layer } from '../core/types.js';
import type { Call } from '../core/call.js';
import { check, optionsOf, isPositiveFinite, isPositiveTimerMs, maxTimerMs, offOnly, positiveTimerMs } from '../utils/validate.js';
import { RateLimitedError } from '../errors/RateLimitedError.js';
import { isSteadfetchError } from '../errors/SteadfetchError.js';
import { Buckets, type Family, type Place, type Waiter } from './buckets.js';
import type { RateLimitWaitEvent } from './events.js';
import { Closing } from '../core/closing.js';
import { monotonicNow } from '../utils/clock.js';

/** What importing this policy adds to the client's types (`client.on`): its events. */
declare module 'steadfetch/core' {
	/** The `rateLimit` slot of `createClient`. */
	interface Slots {
		rateLimit: Policy<'rateLimit'>;
	}

	interface EventMap {
		'ratelimit:wait': RateLimitWaitEvent;
	}

	interface CallOptions {
		/**
		 * `false`: this call's attempts take no token and never wait (with `rateLimit()`), and what they
		 * are answered teaches the scope's bucket nothing.
		 * @default undefined (each attempt takes a token of its scope)
		 */
		rateLimit?: false;
	}
}

/** Options of the rate limiter (`rateLimit()` from `steadfetch/rate-limit`). */
export interface RateLimitOptions {
	/**
	 * Requests per second per scope of the client's own token bucket. Without it, only what the
	 * server says limits calls.
	 * @default undefined (no bucket of its own)
	 */
	perSecond?: number;
	/**
	 * Requests a scope may send at once before the bucket's rate applies (the bucket's size): at least 1.
	 * @default perSecond (one second's worth), at least 1
	 */
	burst?: number;
	/**
	 * Learn the server's budget from `RateLimit` (both forms of the IETF draft; a policy it gives no
	 * reset is read with its `RateLimit-Policy` window, `w`),
	 * `RateLimit-Remaining`/`RateLimit-Reset` (the draft's earlier fields), `X-RateLimit-Remaining`/`X-RateLimit-Reset`
	 * (every reset seconds from now, or epoch seconds when past 10⁹, or epoch ms when past 10¹²), and `Retry-After` on 429/503: when it says
	 * nothing is left, calls to the scope wait until it resets instead of being sent; when it says N
	 * are left, N more go before the reset, and the next ones wait for it. After a reset, no more calls go
	 * in a window than the limit it said (`RateLimit`'s `limit`, `RateLimit-Policy`'s `q`, `RateLimit-Limit`, `X-RateLimit-Limit`;
	 * the window: the policy's `w`, else the reset's length): the next ones wait for the next window (or
	 * fail with `RateLimitedError` at once past their time budget). Without a limit said (a `Retry-After` alone),
	 * one call goes at the reset, alone, and the others once it is answered: unless that answer says the quota is
	 * spent again (a 429 with a new `Retry-After`), then they wait for that reset (each within its time budget, else
	 * `RateLimitedError`); given no answer (a network failure), the next call goes alone. Only the answers of attempts
	 * that went out are read: one a layer below gave without sending (an app's memo, with the headers it kept) says nothing,
	 * nor does a steadfetch service worker's answer for a refusal of its own client's (its `503` with `Steadfetch-Error` and
	 * the `Retry-After` of its breaker or rate limiter) or its stale copy (the headers stored with it).
	 * @default true
	 */
	fromHeaders?: boolean;
	/**
	 * The longest a server's reset is believed, in ms: a larger one (or a malformed one) is capped.
	 * @default 60_000
	 */
	maxResetMs?: number;
	/**
	 * Tell the other tabs and workers of the origin when a server says its budget is spent
	 * (BroadcastChannel `steadfetch:<name>:ratelimit`), so they wait too. What arrives is bounded by
	 * `maxResetMs` from now. Off in Node unless `true` (an open channel keeps the process alive until
	 * `client.close()`); missing, `true` or not, in the `workerd`/`deno`/`edge-light` build (Cloudflare
	 * Workers, Deno, edge functions: no tab code there, API.md "Builds per runtime").
	 * @default true in pages and workers, false elsewhere
	 */
	share?: boolean;
}

/** How often a call behind the first one after a server's block looks whether that one was answered, in ms. */
const lookMs = 20;

const create = (context: PolicyContext, perSecond: number | undefined, burst: number, fromHeaders: boolean, maxResetMs: number, share: boolean | undefined, families: WeakMap<object, Family>): PolicyParts => {
	const { clock } = context;
	const buckets = new Buckets(context, fromHeaders, maxResetMs, families);
	/**
	 * When each call started on the client's clock: its first attempt's start less what ky's clock (the real one) says
	 * went by since the call began (a `beforeRequest` hook's wait): its `totalTimeout` runs from then, as ky's does.
	 */
	const firstSeen = context.perCall((call) => call.attemptStartedAt - monotonicNow() + (call as Call).began);
	// At most 1e300 ms a token: a `perSecond` under 1e-297 made it `Infinity` (and `(burst - 1) × Infinity` NaN), and every call went.
	const interval = perSecond ? Math.min(1000 / perSecond, 1e300) : 0;
	/** Aborted by the client's `close()`: a call waiting for its token is refused then, never sent later. */
	const closing = new Closing();
	const ahead = (burst - 1) * interval;
	/** The attempts that told their wait (`ratelimit:wait`): one behind the first call after a block is told once. */
	const told = new WeakSet<Request>();

	/**
	 * The longest an attempt of `call` may wait at `now`, in ms: what is left of its per-attempt `timeout` (the wait is
	 * part of the attempt: ky's timer runs through it, and through a wait for a bulkhead slot above, since it started),
	 * and no more than what is left of its `totalTimeout` (since the call began, as ky counts it); the call's own options, else
	 * the client's, else the defaults (ky's 10 s, our 20 s `totalTimeout`: `timeout: false` alone still leaves the call
	 * bounded). With `deadlineHeader`, no more than what is left before the call's deadline (`Call.deadline`).
	 */
	const maxWaitOf = (call: Call | undefined, now: number, run?: object): number => {
		// The client's default `totalTimeout`: core/ky-options.ts `defaultTotalTimeout`.
		const { timeout = context.options.timeout ?? 10_000, totalTimeout = context.options.totalTimeout ?? 20_000 } = call?.options ?? {};
		// The attempt's own start: of its run (`run`, the attempt's `FetchInit.steadfetchRun`), when two runs of the call go at once.
		return Math.min(timeout === false ? Infinity : timeout - now + (call ? call.startAt(run) : now), typeof totalTimeout === 'number' ? totalTimeout - now + (call ? firstSeen(call) : now) : Infinity,
			(call?.deadline ?? Infinity) - now);
	};

	const layer: Layer = (next) => (request, init) => {
		const { signal } = request;
		if (signal.aborted) {
			return Promise.reject(signal.reason);
		}

		const call = init?.steadfetch;
		const hedge = init?.hedge;
		/** Whether the attempt may have gone out: a hedge, once the transport let it (`FetchInit.hedge`). */
		let went = !hedge;
		// The scope of the URL the attempt goes to (a mirror's, when failover re-targeted it): its server's word is its own.
		const scope = attemptScope(context.scopeOf, request.url, call);
		const now = clock.now();
		if (call) {
			firstSeen(call); // Read at every attempt: the first one fixes it.
		}
		const bucket = buckets.scope(scope);
		const { due } = bucket;
		let { leftUntil } = bucket;
		// The server's quota: spent (it said so, or the requests it said were left have gone), none until it resets.
		const blockedUntil = Math.max(bucket.blockedUntil, bucket.left < 1 ? leftUntil : 0);
		// When this call may go: each waiting call has a time of its own, never two on one token.
		// On the family's clock, as its buckets' times are (`now`, the client's, measures the call's own budgets).
		const time = buckets.clock.now();
		let at = Math.max(time, blockedUntil, due - ahead);
		// The server's windows after its block, when it said its limit: a call that waits for the block, or comes while the
		// windows' calls go, takes a place in the first window not full, each of `limit` places and `windowMs` long: never more
		// in a window than the server allows (unknown limit: every waiting call goes at the reset, as each went before).
		if (bucket.limit && blockedUntil > time && bucket.from < blockedUntil) {
			bucket.from = blockedUntil;
			bucket.taken = 0;
		}

		let start = bucket.from + (bucket.taken < (bucket.limit || 1) ? 0 : bucket.windowMs);
		let queued = bucket.from > 0 && at < start + bucket.windowMs;
		// When it would go but for the windows (its token's time): moved up a window (`Place.up`), or a token (`Waiter.up`), it goes at the soonest then.
		let own = at;
		if (queued) {
			at = Math.max(at, start);
		}

		// A block with no limit said (a `Retry-After` alone): the first call to go after it goes alone (`held`), the others
		// once its answer came (`leadUntil`), each looking again every `lookMs` on its own timer (another request's answer
		// cannot wake it), told as a wait once; its answer a new block, they wait for that one.
		const behind = !bucket.limit && bucket.leadUntil > time;
		bucket.held ||= !bucket.limit && bucket.blockedUntil > time;
		if (behind) {
			at = Math.max(at, time + lookMs);
		}

		const waitMs = at - time;
		// A hedge goes now or not at all (FetchInit.hedge). A request dedupe shares waits within the longest budget of its
		// callers still waiting (`FetchInit.callers`): its first caller's timeout is that caller's own. Refused behind the
		// first call, the scope is held until that call's answer, at most to the end of its lead: that is when to come back.
		if (waitMs > 0 && (hedge || waitMs >= Math.max(...(init?.callers?.() ?? [call]).map((one) => maxWaitOf(one as Call | undefined, now, one === call ? init?.steadfetchRun : undefined))))) {
			return Promise.reject(new RateLimitedError(scope, Math.max(waitMs, behind ? bucket.leadUntil - time : 0)));
		}

		if (queued) {
			bucket.taken = start === bucket.from ? bucket.taken + 1 : 1;
			bucket.from = start;
		}

		let mine = Math.max(due, at) + interval;
		bucket.due = mine;
		// One of the server's requests left is this one's (given back only when it never went: never more than it said).
		let took = at < leftUntil;
		if (took) {
			bucket.left--;
		}

		/**
		 * A call that leaves before it goes gives its token back, and the server's request left it took (once): the token is
		 * the bucket's next again, or, when it leaves for good (`early`: its signal aborted, a layer below refused it, a hedge
		 * not sent) and later calls reserved after it, the ones waiting for their tokens behind it move up one each. So with
		 * its place in a server's window: leaving for good, the first waiting in each later window moves up one window (the
		 * last window has a place free), else its window has one free again if it is the last.
		 */
		const giveBack = (early?: boolean): void => {
			if (bucket.due === mine) {
				bucket.due = due;
			} else if (early) {
				for (const other of bucket.waiters ?? []) {
					const last = bucket.due === other.mine;
					if (other.mine > mine && other.up() && last) {
						bucket.due -= interval;
					}
				}
			}

			if (took && bucket.leftUntil === leftUntil) {
				bucket.left++;
			}

			if (queued) {
				let gap = start;
				for (const other of early ? bucket.places ?? [] : []) {
					if (other.start - bucket.windowMs === gap && other.up()) {
						gap += bucket.windowMs;
					}
				}

				if (bucket.from === gap) {
					bucket.taken--;
				}
			}

			took = false;
			queued = false;
		};

		/**
		 * What the attempt's answer teaches the bucket; refused below without I/O (an open breaker, an app's policy: steadfetch's own errors),
		 * or ended while a layer below held it (its signal aborted: no attempt of its run went out meanwhile, its hedges aside), it never went: what it took is given back.
		 * The first call after a block with no limit said (`held`) goes alone: the others go once it is answered; given no answer, the next call is the first.
		 */
		const sent = (sending: () => Promise<Response>): Promise<Response> => {
			const first = bucket.held && !bucket.limit;
			if (first) {
				bucket.held = false;
				bucket.leadUntil = buckets.clock.now() + Math.min(maxResetMs, maxWaitOf(call as Call | undefined, clock.now(), init?.steadfetchRun));
			}

			// The attempts of its run that went out so far, its hedges aside: none more when this one fails, it did not go out
			// (held below until its abort), whatever its hedge or another run of the call sent meanwhile.
			const out = (call as Call | undefined)?.wentOut?.(init?.steadfetchRun);

			return sending().then((response) => {
				if (first) {
					bucket.leadUntil = 0;
				}

				// The server's word only: not an answer a layer below gave without sending the attempt (an app's memo, with the
				// headers it kept), nor a hedge's that never went (nor a steadfetch service worker's stand-in: `Buckets.learn`).
				if (went && (hedge || out === undefined || (call as Call).wentOut(init?.steadfetchRun) !== out)) {
					buckets.learn(scope, response);
				}

				return response;
			}, (error: unknown) => {
				if (first) {
					// The scope's bucket as it is now: the one taken at the start may have been forgotten since this call's lead
					// ended (idle, 1 000 other scopes met), and another first call may lead on the one made since.
					const current = buckets.scope(scope);
					if (current === bucket || current.leadUntil <= buckets.clock.now()) {
						current.leadUntil = 0;
						current.held = true;
					}
				}

				// A hedge the transport did not send (its race answered, its policy refused it: it never reached `hedge()`'s yes),
				// or another attempt that left below without going out (its signal aborted while a layer there held it).
				if (isSteadfetchError(error) || !went || (!hedge && out !== undefined && (call as Call).wentOut(init?.steadfetchRun) === out)) {
					giveBack(true);
				}

				throw error;
			});
		};

		if (waitMs > 0) {
			// A call that told its wait (for a block) and now waits for the first call's answer: told once.
			if (!behind || !told.has(request)) {
				told.add(request);
				bucket.waits++;
				context.emit('ratelimit:wait', { scope, method: request.method, url: request.url, waitMs, reason: behind || at === blockedUntil || (queued && at === start) ? 'server' : 'bucket' });
			}

			// Woken by its own timer, in its own call. One waiting for its token (no lead), in a server's window or not, moves up a
			// token as one before it leaves: in a window, it goes at its token's time or the window's start, whichever is later.
			const [closed, done] = closing.wait();
			const hurry: { by?: ((ms: number) => void) | undefined } = {};
			const floor = Math.max(time, blockedUntil);
			const waiter: Waiter = {
				mine,
				up() {
					if (!hurry.by) {
						return false;
					}

					own = Math.max(floor, own - interval);
					const to = queued ? Math.max(own, start) : own;
					hurry.by(at - to);
					at = to;
					mine = waiter.mine -= interval;
					return true;
				},
			};
			const waiters = interval && own === due - ahead && !behind ? bucket.waiters ?? new Set<Waiter>() : undefined;
			if (waiters) {
				bucket.waiters = waiters.add(waiter);
			}

			// Waiting for its place in a server's window: one before it that leaves moves it up a window.
			const place: Place = {
				start,
				up() {
					if (!hurry.by) {
						return false;
					}

					start = place.start -= bucket.windowMs;
					const to = Math.max(own, start);
					hurry.by(at - to);
					at = to;
					return true;
				},
			};
			const places = queued ? bucket.places ?? new Set<Place>() : undefined;
			if (places) {
				bucket.places = places.add(place);
			}

			return sleep(waitMs, [signal, closed], hurry).finally(() => {
				done();
				waiters?.delete(waiter);
				places?.delete(place);
			}).then(() => {
				// The server said meanwhile that its quota is spent past this call's time (an answer to another call, another tab's
				// word), or how many requests it has left, all taken: not sent now, it takes its turn again (a wait for the reset, or
				// RateLimitedError at once past its budget). Requests left: this call takes one, as one that came after the word would.
				const counted = !took && at < bucket.leftUntil;
				if (bucket.blockedUntil > at || (counted && bucket.left < 1) || bucket.leadUntil > buckets.clock.now()) {
					giveBack();
					return layer(next)(request, init);
				}

				if (counted) {
					({ leftUntil } = bucket);
					took = true;
					bucket.left--;
				}

				return sent(() => next(request, init));
			}, (error: unknown) => {
				giveBack(true);
				throw error;
			});
		}

		return sent(() => next(request, hedge ? {
			...init,
			hedge() {
				const refused = hedge();
				went = !refused;
				return refused;
			},
		} : init));
	};

	return {
		layer,
		checkCall: offOnly('rateLimit'),
		start: () => buckets.start(share),
		close() {
			closing.close();
			buckets.close();
		},
		stats: (scope) => {
			const bucket = buckets.get(scope);
			return bucket && { rateLimit: { waits: bucket.waits, blockedUntil: bucket.blockedUntil } };
		},
	};
};

/**
 * Wait `ms`, or reject with the reason of the first of `signals` that aborts, as soon as it does (at once when one has). A wait longer than a
 * timer holds (`maxTimerMs`: past it, one fires at once) is waited in parts (a token bucket's turn with no time budget).
 * `hurry.by(ms)` ends the wait that much sooner (a waiter before it left), by a timer of the caller's beside its own: one of
 * another request of a Worker's isolate may be cancelled with that request, the wait then ends when it would have.
 */
const sleep = async (ms: number, signals: AbortSignal[], hurry: { by?: ((ms: number) => void) | undefined }): Promise<void> => new Promise<void>((resolve, reject) => {
	// One aborted already (the client closed before a retry came to wait: `Closing.wait()`'s) fires no 'abort' event: its
	// reason, thrown here, rejects the wait.
	for (const signal of signals) {
		signal.throwIfAborted();
	}

	let timer: ReturnType<typeof setTimeout> | undefined;
	let soon: ReturnType<typeof setTimeout> | undefined;
	/** The part waited now, when it began, and how much sooner the wait ends (`hurry`). */
	let part = ms;
	let from = 0;
	let cut = 0;
	const done = (): void => {
		hurry.by = undefined;
		clearTimeout(timer);
		clearTimeout(soon);
		for (const signal of signals) {
			signal.removeEventListener('abort', onAbort);
		}
	};

	const onAbort = function (this: AbortSignal): void {
		done();
		reject(this.reason);
	};

	const end = (): void => {
		done();
		resolve();
	};

	const wait = (left: number): void => {
		part = left;
		from = monotonicNow();
		timer = setTimeout(() => left > maxTimerMs ? wait(left - maxTimerMs) : end(), Math.min(left, maxTimerMs));
	};

	hurry.by = (by) => {
		cut += by;
		const left = Math.max(0, part - (monotonicNow() - from) - cut);
		clearTimeout(soon);
		soon = left > maxTimerMs ? undefined : setTimeout(end, left);
	};
	wait(ms);
	for (const signal of signals) {
		signal.addEventListener('abort', onAbort, { once: true });
	}
});

/**
 * The rate limiter, for the `rateLimit` slot: a token bucket per scope (`perSecond`, `burst`) and
 * what the server says of its budget. A call that would wait less than its time budget (what is
 * left of its `totalTimeout`, capped by its request's deadline with `deadlineHeader`, and never more than what is left of its per-attempt `timeout`, which
 * the wait is part of, as is a wait for a bulkhead slot before it) waits (`ratelimit:wait`), else fails at once with
 * `RateLimitedError` (`retryAfterMs`), no I/O. Waiting calls leave one at a time, each when its own
 * token is due (never several on one refill), woken by their own timers. A waiting call that the server said,
 * meanwhile, it has no request left for at its time (an answer to another call, another tab's word) is not sent then: it
 * waits for the reset, or fails with `RateLimitedError` as it wakes when that is past its budget. Calls that wait for a
 * server's reset go no more than its limit a window, when it said one (`fromHeaders`), and one that leaves its place
 * (its signal aborted, refused below) moves the first waiting in each later window up a window (with `perSecond`, each
 * waiting behind it up a token too, as without a window); when it said none, one goes
 * first, the others once it is answered. Per attempt, so retries,
 * hedges and outbox replays take their turn too (a hedge only if a token is there at once, else it
 * is not sent). An attempt whose signal has aborted is rejected at once with its reason; a waiting
 * one leaves as soon as its signal aborts, and the calls waiting for a token behind it move up a token each. One client serves every request of a Cloudflare Worker's
 * isolate with one budget per scope (state, never a promise: each waiter has its own timer in its
 * own request); a waiting call whose request ends before its token is due never sends, and its token
 * is spent (nothing of an ended request runs to give it back), so it costs at most that one token.
 * An attempt refused below without I/O (an open breaker's `CIRCUIT_OPEN`, a policy's own error), or whose signal aborts while a layer below holds
 * it (a shared breaker's wait for its coordinator, an app's layer) before it goes out (also when its hedge went out and won meanwhile: the hedge took a token of its own),
 * gives its token back, as a hedge not sent does, and the server's request left it took:
 * the calls waiting for a token behind it move up a token each, as behind one whose signal aborted.
 * The client's `close()` refuses every waiting call of its own at once (`CLIENT_CLOSED`, as a call made after it): none is sent after it.
 * A client and the clients its `extend()` makes that keep its `name`, its `store` and this policy object share one
 * bucket per scope (its tokens, what the server said, its `stats()`; its times on the `clock` of the first of them); a child given a `rateLimit()` of its own (or
 * `false`), another `name` or another `store`, and a client `create()` makes, have their own.
 * A clock that steps back (a device's clock set back) moves a scope's times back with it as the scope is next used: a token, a
 * server's block, stay as far ahead of now as they were (never an hour's wait after an hour's step back).
 * Bad options throw a `RangeError` naming the option and the value.
 *
 * @example
 * const api = createClient({ rateLimit: rateLimit({ perSecond: 5 }) });
 */
export const rateLimit = (given?: RateLimitOptions): Policy<'rateLimit'> => {
	const options = optionsOf(given, 'rateLimit');
	const { perSecond, fromHeaders = true, maxResetMs = 60_000, share } = options;
	if (perSecond !== undefined) {
		check(isPositiveFinite(perSecond), 'rateLimit.perSecond', perSecond, 'a positive finite number');
	}

	// `burst` by default: one second's worth, and at least the one token a call takes (`perSecond: 0.5` is a call
	// every 2 s); given as `null`, refused as any other value of the wrong type. After `perSecond`'s check: a BigInt or a
	// Symbol there threw the engine's TypeError ('Cannot convert a BigInt value to a number'), naming no option.
	const { burst = Math.max(perSecond ?? 1, 1) } = options;
	check(isPositiveFinite(burst) && burst >= 1, 'rateLimit.burst', burst, 'a finite number of at least 1');
	check(typeof fromHeaders === 'boolean', 'rateLimit.fromHeaders', fromHeaders, 'a boolean');
	check(isPositiveTimerMs(maxResetMs), 'rateLimit.maxResetMs', maxResetMs, positiveTimerMs);
	check(share === undefined || typeof share === 'boolean', 'rateLimit.share', share, 'a boolean');
	const families = new WeakMap<object, Family>();
	return { slot: 'rateLimit', at: rateLimitAt, create: (context) => create(context, perSecond, burst, fromHeaders, maxResetMs, share, families) };
};
