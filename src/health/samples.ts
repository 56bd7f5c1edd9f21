import type { Classification } from '../errors/classify.js';
import { BucketWindow } from '../utils/window.js';

/** Latency, error rate and most frequent errors of one scope, in `client.stats()` with `health()`. */
export interface HealthStats {
	/** Percentiles of the time from a call's first attempt on the network to its outcome, in ms (0 before any). */
	latency: { p50: number; p95: number; p99: number };
	/** Transient failures over calls that reached the network, over `windowMs` (0 to 1). */
	errorRate: number;
	/** Failed calls by code over `windowMs`, the most frequent first (at most 5). */
	topErrors: Array<{ code: string; count: number }>;
}

/** Samples kept per scope for percentiles and top errors: memory stays bounded at any call rate. */
const kept = 512;

/**
 * One scope's calls over `windowMs`: counted in a window (calls, transient failures), and the last
 * `kept` of them sampled in a ring (when, how long, the failure code) for percentiles and top errors.
 */
export class Samples {
	/** Whether `scope:unhealthy` fired and `scope:healthy` has not yet. */
	unhealthy = false;
	readonly #windowMs: number;
	readonly #window: BucketWindow;
	/** Ring of the last samples (grown as they come, up to `kept`): when, how long (ms), and the failure code (undefined for a success). */
	readonly #at: number[] = [];
	readonly #ms: number[] = [];
	readonly #codes: Array<string | undefined> = [];
	#next = 0;

	constructor(windowMs: number) {
		// As its counts' window (`BucketWindow`): one under 1 ms is 1 ms.
		this.#windowMs = Math.max(windowMs, 1);
		this.#window = new BucketWindow(windowMs);
	}

	/** Count one call that ended at `now` after `ms`, with `outcome` (undefined: a success); the window's calls and failures after it. */
	add(now: number, ms: number, outcome: Classification | undefined): [number, number] {
		this.#window.add(now, 0);
		if (outcome?.transient) {
			this.#window.add(now, 1);
		}

		const slot = this.#next++ % kept;
		this.#at[slot] = now;
		this.#ms[slot] = ms;
		this.#codes[slot] = outcome?.code;
		return this.#window.sums(now);
	}

	stats(now: number): HealthStats {
		const latencies: number[] = [];
		const counts = new Map<string, number>();
		const [calls, failures] = this.#window.sums(now);
		for (let index = 0; index < Math.min(kept, this.#next); index++) {
			if (now - this.#at[index]! < this.#windowMs) {
				latencies.push(this.#ms[index]!);
				const code = this.#codes[index];
				if (code !== undefined) {
					counts.set(code, (counts.get(code) ?? 0) + 1);
				}
			}
		}

		latencies.sort((a, b) => a - b);
		const at = (p: number): number => latencies.length === 0 ? 0 : latencies[Math.ceil(p * latencies.length) - 1]!;
		return {
			latency: { p50: at(0.5), p95: at(0.95), p99: at(0.99) },
			errorRate: calls === 0 ? 0 : failures / calls,
			topErrors: [...counts].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count).slice(0, 5),
		};
	}
}
