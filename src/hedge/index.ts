import { hedgeAt } from '../bands/bands.js';
import type { Policy, PolicyContext, PolicyParts } from '../core/policy.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';
import { attemptScope } from '../core/scope.js';
import { check, optionsOf, isPositiveInteger, isPositiveTimerMs, maxTimerMs, offOnly, positiveTimerMs, unmarked } from '../utils/validate.js';
import { classifyStatus } from '../errors/classify.js';
import { fromOrigin } from '../errors/from-origin.js';
import { scopes, type Scopes } from '../utils/scopes.js';
import { Superseded } from '../utils/superseded.js';
import { heldRequest, parseRetryAfter, resetMsOf } from '../utils/runtime.js';
import { callerKeyed } from '../utils/caller-keyed.js';
import type { HedgeEvent } from './events.js';

/** What importing this policy adds to the client's types (`client.on`, a call's options): its events and its per-call option `hedge`. */
declare module 'steadfetch/core' {
	/** The `hedge` slot of `createClient`. */
	interface Slots {
		hedge: Policy<'hedge'>;
	}

	interface EventMap {
		'hedge': HedgeEvent;
	}

	interface CallOptions {
		/**
		 * `false`: this call is never hedged (with `hedge()`).
		 * @default undefined (hedged when slow)
		 */
		hedge?: false;
	}
}

/** Options of hedging (`hedge()` from `steadfetch/hedge`). */
export interface HedgeOptions {
	/**
	 * How long an attempt may go unanswered before one more is sent, in ms (from when it was sent: a hedge
	 * tried while it waited below for a bulkhead slot is tried again). By default the scope's
	 * observed p90 latency (of its last 64 answers, each timed from when its attempt was sent: after any
	 * wait below for a bulkhead slot or a rate-limit token, a winning hedge's without the delay before
	 * it; an answer a layer below gave without sending the attempt, an app's memo, is none), bounded to [50 ms, 2 s]; 2 s until 10 are seen.
	 * @default the scope's p90, in [50, 2_000]
	 */
	delayMs?: number;
	/**
	 * Extra attempts at most per attempt (1 to 3), each paid from the retry budget.
	 * @default 1
	 */
	maxHedges?: number;
}

const samplesKept = 64;

/** A client's running hedge timers, which its `close()` stops; `closed` once it ran: no hedge is armed nor sent after it. */
type Timers = Set<ReturnType<typeof setTimeout>> & { closed?: boolean };

/** The last answer times of one scope, and what they say. */
class Latency {
	readonly #ring: number[] = [];
	#next = 0;
	hedges = 0;
	/**
	 * No hedge goes out before this time (epoch ms, the family's clock, `Family`: a `Retry-After` the scope answered a race's
	 * attempt with). Moved back as the clock steps back (`at`).
	 */
	quiet = 0;
	/** When the pause was last looked at (the family's clock). */
	#seen = 0;

	/**
	 * The latency as of `now`: a clock stepped back since the pause was last looked at (a device's clock set back) moves it
	 * back as far, so it is as far ahead of now as it was (never an hour's pause after an hour's step back), as the rate
	 * limiter's times are.
	 */
	at(now: number): this {
		const back = this.#seen - now;
		if (back > 0 && this.quiet) {
			this.quiet -= back;
		}

		this.#seen = now;
		return this;
	}

	add(ms: number): void {
		if (this.#ring.length < samplesKept) {
			this.#ring.push(ms);
		} else {
			this.#ring[this.#next] = ms;
			this.#next = (this.#next + 1) % samplesKept;
		}
	}

	/** The p90 of the kept samples (nearest rank: the ⌈0.9 n⌉-th smallest), bounded to [50, 2000] ms; 2000 ms with fewer than 10. */
	delay(): number {
		if (this.#ring.length < 10) {
			return 2000;
		}

		const sorted = [...this.#ring].sort((a, b) => a - b);
		return Math.min(2000, Math.max(50, sorted[Math.ceil(sorted.length * 0.9) - 1]!));
	}
}

/** The `maxRetryAfter` of ky's `retry` option (a number: none). */
const bound = (retry: unknown): number | undefined => (unmarked(retry) as { maxRetryAfter?: number } | undefined)?.maxRetryAfter;

/** Let go of a response nobody reads. */
const drop = (response: Response | undefined): void => void response?.body?.cancel().catch(() => undefined);

/**
 * The pause a transient answer asks for, in ms from `now`: its `Retry-After` (a list read whole), and on a 429 (its quota is
 * spent) the longest reset (`reset=`, `t=`: seconds, or epoch seconds past 10⁹, epoch ms past 10¹²: `resetMsOf`) its `RateLimit` (either draft form),
 * `RateLimit-Reset` or `X-RateLimit-Reset` says of a quota not said to have requests left (each policy of `RateLimit` on its own, one
 * starting at its name or where a member repeats, whatever order its members come in; a policy that
 * has, `r=500`, `remaining=500`, or `RateLimit-Remaining`/`X-RateLimit-Remaining: 500` beside its reset, is not what is spent: its day-long reset is no pause;
 * a field sent twice, `100, 0`, read whole, each remaining with its reset) — not on a 5xx, whose reset fields
 * (sent with every answer by many APIs) tell a quota that is not what failed; 0 for none (a malformed value is none).
 */
const pauseOf = ({ status, headers }: Response, now: number): number => {
	let pause = parseRetryAfter(headers.get('retry-after'), now) ?? 0;
	// Each policy's remaining (`r`) and reset (`t`): a policy ends where a member repeats or a name starts the next (rateLimit()'s reading, rate-limit/headers.ts).
	let policy: { r?: number; t?: number } = {};
	const close = (): void => {
		if (policy.t !== undefined && !(policy.r! >= 1)) {
			pause = Math.max(pause, resetMsOf(policy.t, now));
		}

		policy = {};
	};
	// Each field on its own (a policy never takes a member of another); the earlier fields' remaining with their reset
	// (`RateLimit-Remaining: 100` says its reset is no pause): sent twice (`100, 0`), the n-th with the n-th (the last when fewer).
	for (const prefix of status !== 429 ? [] : ['', 'ratelimit-', 'x-ratelimit-']) {
		const [r = [], t = []] = prefix ? ['remaining', 'reset'].map((name) => `${headers.get(prefix + name)}`.split(',')) : [];
		const field = prefix ? (r.length < t.length ? t : r).map((_, index) => `remaining=${r[Math.min(index, r.length - 1)]};reset=${t[Math.min(index, t.length - 1)]}`).join() : headers.get('ratelimit');
		for (const [, name = '', value, named] of `${field}`.matchAll(/(?:^|[\s,;])(t|reset|r|remaining)\s*=\s*(\d+(?:\.\d+)?)\s*(?=[,;]|$)|,\s*("[^"]*"|[^\s=,;"]+)\s*(?=[,;]|$)/gi)) {
			const key = /^r(?:emaining)?$/i.test(name) ? 'r' : 't';
			if (named || key in policy) {
				close();
			}

			if (!named) {
				policy[key] = Number(value);
			}
		}

		close();
	}

	return pause;
};

/**
 * What the clients of one name and store share (`context.stores`: a client and those its `extend()` made, that keep this
 * policy object): the scopes' latencies, and the clock their pauses are on, the first client's (one given its own
 * `clock` reads and sets them on it too: never a pause an hour long on a clock an hour behind).
 */
interface Family {
	readonly latencies: Scopes<Latency>;
	readonly clock: PolicyContext['clock'];
}

/** What is left of `scope`'s pause (an origin's `Retry-After`) on the family's clock, in ms: none when not above 0. */
const pauseLeft = ({ latencies, clock }: Family, scope: string): number => {
	const now = clock.now();
	return latencies.scope(scope).at(now).quiet - now;
};

/** Whether hedge `hedge` goes out now (FetchInit.hedge, called by the transport as it sends): only then is it paid, counted and announced. */
const admit = (settled: boolean, context: PolicyContext, family: Family, request: Request, scope: string, hedge: number): unknown => {
	if (settled || request.signal.aborted || pauseLeft(family, scope) > 0 || !context.spendRetry(scope)) {
		return new Superseded('No hedge now');
	}

	family.latencies.scope(scope).hedges++;
	context.emit('hedge', { scope, method: request.method, url: request.url, hedge });
	return undefined;
};

/**
 * One call's attempts: the first, then one more each `delayMs` unanswered, up to `maxHedges`; the first
 * good answer wins. Its hedge timer is in `timers` while it runs, for the client's `close()` to stop.
 */
const race = (context: PolicyContext, family: Family, timers: Timers, delayMs: number | undefined, maxHedges: number, next: FetchLike, request: Request, init: FetchInit | undefined, scope: string, latency: Latency, maxPause: number): Promise<Response> => new Promise<Response>((resolve, reject) => {
	const controllers: AbortController[] = [];
	let settled = false;
	let pending = 0;
	let lost: Response | undefined;
	/** The error the call fails with when no server answered: the first attempt's (see `failed`). */
	let failure: unknown;
	let timer: ReturnType<typeof setTimeout> | undefined;
	/** Whether a hedge of this race went out. */
	let went = false;
	/** The last hedge sent (0: none); its timer arms the next. */
	let last = 0;
	const { clock } = context;
	const { latencies } = family;
	const keyed = request.headers.has('idempotency-key');
	const sending = init?.sending;
	// A body can be read once: a copy for the next hedge is made before an attempt sends it.
	let source = request;

	const finish = (winner?: AbortController): void => {
		settled = true;
		clearTimeout(timer);
		timers.delete(timer!);
		for (const controller of controllers) {
			if (controller !== winner) {
				controller.abort(new Superseded('Another attempt answered first'));
			}
		}
	};

	const send = (hedge: number): void => {
		last = hedge;
		const controller = new AbortController();
		// Its own answer time is the scope's sample (a hedge's, not the delay before it went: the p90 would climb on it), once
		// it went out (an answer of a layer below that never sent it, an app's memo, is none of the scope's).
		let started = clock.now();
		let out = false;
		const body = source;
		if (hedge < maxHedges && request.body) {
			source = source.clone();
		}

		// fetch resets the referrer and its policy when a Request is re-made with an init: both given again. Held by
		// its signal until it settles (`heldRequest`): the abort of a loser reaches a `fetch` that waits on nothing else.
		const [attempt, release] = heldRequest(body, { signal: AbortSignal.any([request.signal, controller.signal]), referrer: request.referrer, referrerPolicy: request.referrerPolicy });
		controllers.push(controller);
		pending++;
		const failed = (error: unknown): void => {
			// The first attempt's error stands for the call: a hedge's may be its refusal as it was to go out (no budget,
			// no slot, the breaker opened by that first failure), which is no attempt. Once the caller gave up: the abort.
			if (!hedge || request.signal.aborted) {
				failure = error;
			}

			if (--pending === 0 && !settled) {
				finish();
				// The caller gave up (its signal): its abort, never a transient answer held for a better one.
				if (lost && !request.signal.aborted) {
					resolve(lost);
				} else {
					drop(lost);
					reject(failure);
				}
			}
		};

		// The first attempt is timed from when it went out, past a wait below for a bulkhead slot or a rate-limit token
		// (FetchInit.sending: the transport calls it as it sends, also through a layer that passes a copy of the init). A
		// hedge goes at once or not at all.
		next(attempt, hedge ? {
			...init,
			hedge: () => {
				const refused = admit(settled || !!timers.closed, context, family, request, scope, hedge);
				out = !refused;
				went ||= out;
				return refused;
			},
		} : {
			...init,
			sending: () => {
				started = clock.now();
				out = true;
				// Unanswered `delayMs` from then: a hedge tried while it waited (no slot, no token: not sent) is tried again.
				if (timer !== undefined && !went && !settled) {
					arm(0);
				}

				sending?.();
			},
		}).then((response) => {
			release();
			// A layer below that resolves with no Response (an app's that forgot its `return`) fails the attempt as a rejection does.
			if (typeof response?.status !== 'number') {
				failed(new TypeError('A policy\'s layer resolved with no Response'));
				return;
			}

			pending--;
			// The origin asked for a pause (a transient answer's `Retry-After` or rate-limit reset: `pauseOf`; of an attempt that
			// went out: a layer below's own answer is not the origin's, nor a steadfetch service worker's refusal, `fromOrigin`):
			// no further hedge to its scope before it, of this race or another; at most the call's `retry.maxRetryAfter`. Kept on the scope's latency as it is now (the race's may have
			// been forgotten with other scopes meanwhile, while it held no pause).
			const now = family.clock.now();
			const asked = out && classifyStatus(response.status)?.transient ? pauseOf(response, now) : 0;
			const after = asked && fromOrigin(response) ? Math.min(maxPause, asked) : 0;
			if (after) {
				const held = latencies.scope(scope).at(now);
				held.quiet = Math.max(held.quiet, now + after);
			}

			if (settled) {
				drop(response);
			} else if ((classifyStatus(response.status)?.transient || (keyed && (response.status === 409 || response.status === 425))) && pending > 0) {
				// A transient failure (classify(): 408, 429, 5xx) does not win while another attempt may still answer, nor
				// a keyed attempt's 409 or 425: its key is still in progress (the other attempt's, as the Idempotency-Key draft says).
				drop(lost);
				lost = response;
				// This race's next hedge waits for it (then goes, if still unanswered).
				if (after && last < maxHedges) {
					arm(last, after);
				}
			} else {
				if (out) {
					latencies.scope(scope).add(clock.now() - started);
				}

				finish(controller);
				drop(lost);
				resolve(response);
			}
		}, (error: unknown) => {
			release();
			failed(error);
		});
		if (hedge < maxHedges) {
			arm(hedge);
		}
	};

	/** One more attempt after `hedge` once it has gone `delayMs` (and `atLeast` ms: an origin's pause) unanswered (the only timer of the race: the latest). */
	const arm = (hedge: number, atLeast = 0): void => {
		if (timers.closed) {
			return; // An attempt held below that goes out after the client's close() (an app's layer): no hedge of it.
		}

		clearTimeout(timer);
		timers.delete(timer!);
		timer = setTimeout(() => {
			timers.delete(timer!);
			try {
				// Not once the call's identity changed or the client was cleared since it started (src/core/world.ts).
				if (!settled && init?.steadfetch?.world.current() !== false) {
					// What is left of the pause it waits for on the family's clock, which the timer may be ahead of (an injected
					// clock, a timer due a ms early): re-armed for it (at least `delayMs`, as any hedge), else the transport would
					// refuse the hedge for good.
					const rest = atLeast && pauseLeft(family, scope);
					if (rest > 0) {
						arm(hedge, rest);
					} else {
						send(hedge + 1);
					}
				}
			} catch {
				// No hedge, never an error thrown from a timer: the attempts already sent go on.
			}
		}, Math.max(atLeast, delayMs ?? latency.delay()));
		timers.add(timer);
	};

	send(0);
});

const create = (context: PolicyContext, delayMs: number | undefined, maxHedges: number, families: WeakMap<object, Family>): PolicyParts => {
	/**
	 * The scopes' latencies, at most `maxScopes` idle ones (`Scopes`); one whose origin asked for a pause still running
	 * (`quiet`) is never forgotten. A race counts in its scope's as it is when it counts (it may outlive a forgotten one).
	 * One per family (`Family`), its pauses on the family's clock.
	 */
	const { clock } = context;
	const family = families.get(context.stores) ?? { latencies: scopes(() => new Latency(), (latency) => latency.quiet > clock.now()), clock };
	families.set(context.stores, family);
	const { latencies } = family;
	/** The running races' hedge timers: `close()` stops them, so no hedge goes out after it. */
	const timers: Timers = new Set();

	const layer: Layer = (next) => (request, init) => {
		const { method } = request;
		const call = init?.steadfetch;
		// A write only when the caller keyed it: the outbox's key (on its first attempt and every replay) says the
		// write is delivered once in time, not that the caller lets it be sent twice at once.
		if ((method !== 'GET' && method !== 'HEAD' && !(request.headers.has('idempotency-key') && call && !call.replay && callerKeyed(call, context.options.headers))) || call?.options.hedge === false) {
			return next(request, init);
		}

		// The scope of the URL the attempt goes to (a mirror's, when failover re-targeted it): its budget pays, its latency counts.
		const scope = attemptScope(context.scopeOf, request.url, call);
		// A server's pause as ky bounds its wait (`retry.maxRetryAfter`: the call's, else the client's; 30 s by default).
		return race(context, family, timers, delayMs, maxHedges, next, request, init, scope, latencies.scope(scope).at(family.clock.now()), Math.min(bound(call?.options.retry) ?? bound(context.options.retry) ?? 30_000, maxTimerMs));
	};

	return {
		layer,
		checkCall: offOnly('hedge'),
		close() {
			for (const timer of timers) {
				clearTimeout(timer);
			}

			timers.clear();
			timers.closed = true;
		},
		stats: (scope) => {
			const latency = latencies.get(scope);
			return latency && { hedge: { hedges: latency.hedges, delayMs: delayMs ?? latency.delay() } };
		},
	};
};

/**
 * Hedging, for the `hedge` slot: a GET, HEAD or keyed attempt unanswered after `delayMs` gets one
 * more (up to `maxHedges`). Keyed as for failover: an `Idempotency-Key` the caller gave (its `idempotencyKey`,
 * or the header in the call's, its Request's or the client's headers), not one the outbox made for a write it
 * holds; an outbox replay is not hedged (its key may be the outbox's).
 * The first answer that is not a transient failure (as `classify()` says:
 * 408, 429, 5xx; for a keyed call also a 409 or 425, a server's "this key is still in progress", a
 * deliberate difference) wins and the others are aborted; when none wins, the call gets the last server
 * answer (an error only when no server answered: the first attempt's, never a hedge's refusal as it was to go out; or the caller's abort when its signal aborted).
 * A transient answer with a `Retry-After` (seconds or an HTTP-date), or a 429 with a quota reset (`RateLimit`'s `reset`/`t`
 * in either draft form, `RateLimit-Reset`, `X-RateLimit-Reset`: seconds, or epoch seconds past 10⁹, epoch ms past 10¹²; the longest it says
 * of a quota not said to have requests left: `r=500`, `RateLimit-Remaining: 500` or `X-RateLimit-Remaining: 500` beside it is no pause;
 * the origin's answer: a steadfetch service worker's `503` for a refusal of its own client's, with its breaker's `Retry-After`, is none),
 * holds every hedge to its scope until that time has passed (the race's next one waits for it), for at most the call's `retry.maxRetryAfter` (ms, the client's when the
 * call gives none; 30 000 by default), as it bounds a retry's wait: a server's hour, or a date a year ahead, never turns hedging off for longer.
 * Per call, `hedge: false` opts out. Each attempt keeps every property of the call's
 * Request (its `referrerPolicy` and `referrer` too).
 * A hedge is an attempt like any other: it takes a bulkhead slot and a rate-limit token, only if
 * one is free at once (else it is not sent), and goes through the breaker (none reaches an open
 * one; a hedge that lost is not counted as a failure). It is paid from the retry budget, counted
 * and announced (`hedge`) only as it goes out, in the scope it goes to (a failover mirror's own; no budget left, no hedge; with `retryBudget: false`
 * only `maxHedges` limits them). A keyed call with a body is hedged with the same bytes and the same
 * `Idempotency-Key`. No hedge goes out after the client's `close()` (the attempts already sent go on).
 * A client and the clients its `extend()` makes that keep its `name`, its `store` and this policy object
 * share one latency per scope (its samples, the `delayMs` they give, an origin's pause, on the `clock` of the first of them,
 * its `stats()`); a child given a
 * `hedge()` of its own (or `false`), another `name` or another `store`, and a client `create()` makes, have
 * their own; a client's `close()` stops only its own calls' hedges. A clock that steps back moves an origin's pause back
 * with it as the scope is next called: it stays as far ahead of now as it was (never an hour's pause after an hour's step back).
 * Bad options throw a `RangeError` naming the option and the value.
 *
 * @example
 * const api = createClient({ hedge: hedge({ delayMs: 200 }) });
 */
export const hedge = (options?: HedgeOptions): Policy<'hedge'> => {
	const { delayMs, maxHedges = 1 } = optionsOf(options, 'hedge');
	if (delayMs !== undefined) {
		check(isPositiveTimerMs(delayMs), 'hedge.delayMs', delayMs, positiveTimerMs);
	}

	check(isPositiveInteger(maxHedges) && maxHedges <= 3, 'hedge.maxHedges', maxHedges, 'an integer from 1 to 3');
	const families = new WeakMap<object, Family>();
	return { slot: 'hedge', at: hedgeAt, create: (context) => create(context, delayMs, maxHedges, families) };
};
