import type { Policy, PolicyContext, PolicyParts } from '../core/policy.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';
import { check, isPositiveFinite, isPositiveInteger } from '../core/validate.js';
import { Superseded } from '../shared/superseded.js';

/** Options of hedging (`hedge()` from `steadfetch/hedge`). */
export interface HedgeOptions {
	/**
	 * How long an attempt may go unanswered before one more is sent, in ms. By default the scope's
	 * observed p90 latency (of its last 64 answers), bounded to [50 ms, 2 s]; 2 s until 10 are seen.
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

/** The last answer times of one scope, and what they say. */
class Latency {
	readonly #ring: number[] = [];
	#next = 0;
	hedges = 0;

	add(ms: number): void {
		if (this.#ring.length < samplesKept) {
			this.#ring.push(ms);
		} else {
			this.#ring[this.#next] = ms;
			this.#next = (this.#next + 1) % samplesKept;
		}
	}

	/** The p90 of the kept samples, bounded to [50, 2000] ms; 2000 ms with fewer than 10. */
	delay(): number {
		if (this.#ring.length < 10) {
			return 2000;
		}

		const sorted = [...this.#ring].sort((a, b) => a - b);
		return Math.min(2000, Math.max(50, sorted[Math.floor(sorted.length * 0.9)]!));
	}
}

/** A response that does not win a race: a server error or a rate limit. */
const losing = (response: Response): boolean => response.status >= 500 || response.status === 429;

const create = (context: PolicyContext, delayMs: number | undefined, maxHedges: number): PolicyParts => {
	const scopes = new Map<string, Latency>();
	const { clock } = context;

	const race = (next: FetchLike, request: Request, init: FetchInit | undefined, scope: string, latency: Latency): Promise<Response> => new Promise<Response>((resolve, reject) => {
		const controllers: AbortController[] = [];
		let settled = false;
		let pending = 0;
		let lastFailure: { response?: Response; error?: unknown } | undefined;
		let timer: ReturnType<typeof setTimeout> | undefined;
		const started = clock.now();

		const finish = (winner: AbortController | undefined): void => {
			settled = true;
			clearTimeout(timer);
			for (const controller of controllers) {
				if (controller !== winner) {
					controller.abort(new Superseded('Another attempt answered first'));
				}
			}
		};

		const send = (hedge: number): void => {
			const controller = new AbortController();
			controllers.push(controller);
			pending++;
			const signal = AbortSignal.any([request.signal, controller.signal]);
			next(new Request(request, { signal }), init).then((response) => {
				pending--;
				if (settled) {
					void response.body?.cancel().catch(() => undefined);
					return;
				}

				if (losing(response) && pending > 0) {
					lastFailure = { response };
					return;
				}

				latency.add(clock.now() - started);
				finish(controller);
				void lastFailure?.response?.body?.cancel().catch(() => undefined);
				resolve(response);
			}, (error: unknown) => {
				pending--;
				if (settled) {
					return;
				}

				lastFailure = { error };
				if (pending === 0) {
					finish(undefined);
					if (lastFailure.response) {
						resolve(lastFailure.response);
					} else {
						reject(error);
					}
				}
			});
			if (hedge < maxHedges) {
				timer = setTimeout(() => {
					if (!settled && !request.signal.aborted && context.spendRetry(scope)) {
						latency.hedges++;
						context.emit('hedge', { scope, method: request.method, url: request.url, hedge: hedge + 1 });
						send(hedge + 1);
					}
				}, delayMs ?? latency.delay());
			}
		};

		send(0);
	});

	const layer: Layer = (next) => (request, init) => {
		const { method } = request;
		if (method !== 'GET' && method !== 'HEAD' && !request.headers.has('idempotency-key')) {
			return next(request, init);
		}

		const scope = init?.steadfetch?.scope ?? context.scopeOf(request.url);
		let latency = scopes.get(scope);
		if (!latency) {
			latency = new Latency();
			scopes.set(scope, latency);
		}

		return race(next, request, init, scope, latency);
	};

	return {
		layer,
		stats: (scope) => {
			const latency = scopes.get(scope);
			return latency && { hedge: { hedges: latency.hedges, delayMs: delayMs ?? latency.delay() } };
		},
	};
};

/**
 * Hedging, for the `hedge` slot: a GET, HEAD or keyed attempt unanswered after `delayMs` gets one
 * more (up to `maxHedges`); the first answer that is not 5xx/429 wins and the others are aborted.
 * Each hedge is paid from the retry budget (no budget left, no hedge; with `retryBudget: false`
 * only `maxHedges` limits them), and goes through the breaker: none reaches an open one, and a hedge
 * that lost is not counted as a failure. Bad options throw a `RangeError` naming the option and the value.
 *
 * @example
 * const api = createClient({ hedge: hedge({ delayMs: 200 }) });
 */
export const hedge = (options: HedgeOptions = {}): Policy<'hedge'> => {
	const { delayMs, maxHedges = 1 } = options;
	if (delayMs !== undefined) {
		check(isPositiveFinite(delayMs), 'hedge.delayMs', delayMs, 'a positive finite number of ms');
	}

	check(isPositiveInteger(maxHedges) && maxHedges <= 3, 'hedge.maxHedges', maxHedges, 'an integer from 1 to 3');
	return { slot: 'hedge', create: (context) => create(context, delayMs, maxHedges) };
};
