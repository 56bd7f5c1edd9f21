import { classify } from '../errors/classify.js';
import { BucketWindow } from '../shared/window.js';
import { check, isPositiveFinite } from './validate.js';
import type { CallState, Clock } from './types.js';

/** Latency, error rate and most frequent errors of one scope, as `client.stats()` shows them. */
export interface HealthStats {
	/** Percentiles of the time from a call's first attempt on the network to its outcome, in ms (0 before any). */
	latency: { p50: number; p95: number; p99: number };
	/** Transient failures over calls that reached the network, over `healthWindowMs` (0 to 1). */
	errorRate: number;
	/** Failed calls by code over `healthWindowMs`, the most frequent first (at most 5). */
	topErrors: Array<{ code: string; count: number }>;
}

/** Samples kept per scope for percentiles and top errors: memory stays bounded at any call rate. */
const kept = 512;
const transientStatus = (status: number): string | undefined =>
	status >= 500 ? 'HTTP_5XX' : status === 429 ? 'HTTP_429' : status === 408 ? 'HTTP_408' : undefined;

/** The code of an attempt's outcome at the transport: undefined for an answer that is not a failure. */
export const transportCode = (response: Response | undefined, error?: unknown): string | undefined =>
	response ? transientStatus(response.status) : classify(error).code;

class ScopeHealth {
	readonly window: BucketWindow;
	/** Ring of the last samples: [time, ms] pairs and the failure code (undefined for a success). */
	readonly times = new Float64Array(kept * 2);
	readonly codes: Array<string | undefined> = [];
	next = 0;
	size = 0;
	unhealthy = false;

	constructor(windowMs: number) {
		this.window = new BucketWindow(windowMs);
	}
}

export interface HealthDeps {
	readonly clock: Clock;
	emit(type: 'scope:unhealthy' | 'scope:healthy', fields: { scope: string; errorRate: number; calls: number }): void;
}

/**
 * Per-scope health over a sliding window: error rate and call count in the shared bucketed window
 * (exact at any rate), latency percentiles and top errors from the last 512 calls within the window.
 * `scope:unhealthy` fires when the error rate reaches `threshold` over at least 10 calls;
 * `scope:healthy` when it falls under half of it.
 */
export class Health {
	readonly #scopes = new Map<string, ScopeHealth>();
	readonly #windowMs: number;
	readonly #threshold: number;
	readonly #deps: HealthDeps;
	/** The client's clock (the per-call transport of a call's own `fetch` reads it too). */
	readonly clock: Clock;

	constructor(options: { healthWindowMs?: number; healthThreshold?: number }, deps: HealthDeps) {
		const { healthWindowMs = 30_000, healthThreshold = 0.5 } = options;
		check(isPositiveFinite(healthWindowMs), 'healthWindowMs', healthWindowMs, 'a positive finite number of ms');
		check(typeof healthThreshold === 'number' && healthThreshold > 0 && healthThreshold <= 1, 'healthThreshold', healthThreshold, 'a number in (0, 1]');
		this.#windowMs = healthWindowMs;
		this.#threshold = healthThreshold;
		this.#deps = deps;
		this.clock = deps.clock;
	}

	/**
	 * Count a call that reached the network (`call.sentAt` set), at its outcome: the response it
	 * resolved with (a policy's substitute — stale, queued — counts as the network's failure) or its error.
	 */
	record(call: CallState, response: Response | undefined, error?: unknown): void {
		const { sentAt, scope } = call;
		if (sentAt === undefined || scope === undefined) {
			return;
		}

		let code: string | undefined;
		let transient = true;
		if (response) {
			code = response === call.response ? transientStatus(response.status) ?? (response.status >= 400 ? 'HTTP_4XX' : undefined) : call.netCode ?? 'UNKNOWN';
			transient = code !== 'HTTP_4XX';
		} else {
			const classified = classify(error);
			transient = classified.transient || classified.code === 'QUEUED';
			code = classified.code === 'QUEUED' || classified.code === 'CIRCUIT_OPEN' ? call.netCode ?? classified.code : classified.code;
		}

		const now = this.#deps.clock.now();
		let health = this.#scopes.get(scope);
		if (!health) {
			health = new ScopeHealth(this.#windowMs);
			this.#scopes.set(scope, health);
		}

		health.window.add(now, 0);
		if (code !== undefined && transient) {
			health.window.add(now, 1);
		}

		const slot = health.next;
		health.times[slot * 2] = now;
		health.times[slot * 2 + 1] = Math.max(0, now - sentAt);
		health.codes[slot] = code;
		health.next = (slot + 1) % kept;
		health.size = Math.min(kept, health.size + 1);

		const [calls, failures] = health.window.sums(now);
		const errorRate = calls === 0 ? 0 : failures / calls;
		if (!health.unhealthy && calls >= 10 && errorRate >= this.#threshold) {
			health.unhealthy = true;
			this.#deps.emit('scope:unhealthy', { scope, errorRate, calls });
		} else if (health.unhealthy && errorRate < this.#threshold / 2) {
			health.unhealthy = false;
			this.#deps.emit('scope:healthy', { scope, errorRate, calls });
		}
	}

	/** The scope's figures over the window ending now (zeros for a scope no call reached the network for). */
	stats(scope: string): HealthStats {
		const health = this.#scopes.get(scope);
		if (!health) {
			return { latency: { p50: 0, p95: 0, p99: 0 }, errorRate: 0, topErrors: [] };
		}

		const now = this.#deps.clock.now();
		const [calls, failures] = health.window.sums(now);
		const latencies: number[] = [];
		const counts = new Map<string, number>();
		for (let index = 0; index < health.size; index++) {
			if (now - health.times[index * 2]! < this.#windowMs) {
				latencies.push(health.times[index * 2 + 1]!);
				const code = health.codes[index];
				if (code !== undefined) {
					counts.set(code, (counts.get(code) ?? 0) + 1);
				}
			}
		}

		latencies.sort((a, b) => a - b);
		const at = (p: number): number => latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)]!;
		return {
			latency: { p50: at(0.5), p95: at(0.95), p99: at(0.99) },
			errorRate: calls === 0 ? 0 : failures / calls,
			topErrors: [...counts].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count).slice(0, 5),
		};
	}
}
