import { storageError } from '../shared/deadline.js';
import type { PolicyContext } from '../core/policy.js';
import { isOffline } from '../core/runtime.js';
import { identityDigest } from '../shared/digest.js';
import type { KeyValueStore } from '../stores/types.js';
import { exclusive } from './guard.js';
import { runLane, type FlushResult, type Pass } from './lane.js';
import type { ResolvedOutboxOptions } from './options.js';
import type { QueueStore } from './queue-store.js';
import type { RecordKey } from './record.js';
import { WakeTimer } from './wake-timer.js';

export type { FlushResult } from './lane.js';

/** What a trigger asks of the drain. */
export interface DrainRequest {
	/** Treat entries that last failed to reach the origin (network, timeout, open circuit, offline) as due now: `true` for every scope, or one scope. */
	force?: true | string;
	/** End the 401/403 pause of every scope (`true`) or of one. */
	unpause?: true | string;
}

const none = (): FlushResult => ({ sent: 0, failed: 0, dead: 0, remaining: 0 });

/**
 * Replays the outbox: one drain at a time (per process on the same store, and across tabs through a
 * Web Lock), FIFO per scope with head-of-line blocking per scope (lane.ts), scopes in parallel. An
 * entry is removed only after its successful response, so a drain cut short (a closed tab) resends
 * it, with the same Idempotency-Key, on the next drain. `exclusively()` runs other work (a clear)
 * under the same lock, after aborting the pass under way: nothing it removes is written back.
 */
export class Drainer {
	/** Scopes paused by a 401/403 until the next trigger. */
	readonly paused = new Set<string>();
	draining = false;
	closed = false;
	readonly #context: PolicyContext;
	readonly #options: ResolvedOutboxOptions;
	readonly #queue: QueueStore;
	readonly #store: KeyValueStore;
	readonly #lockName: string;
	readonly #closing = new AbortController();
	/** Aborted by `close()` and by every `exclusively()`: the replays of the pass under way. */
	#pass = new AbortController();
	/** Bumped by every `exclusively()`: a pass of an older epoch writes nothing back. */
	#epoch = 0;
	/** Delivered entries whose removal failed: never resent by this client. */
	readonly #delivered = new Set<string>();
	readonly #forced = new Set<string>();
	#forceAll = false;
	#again = false;
	#running: Promise<FlushResult> | undefined;
	readonly #timer: WakeTimer;
	/** Drains in a row that met a storage failure: the retry after the next one waits twice as long. */
	#failedRuns = 0;

	constructor(context: PolicyContext, options: ResolvedOutboxOptions, queue: QueueStore, store: KeyValueStore) {
		this.#context = context;
		this.#options = options;
		this.#queue = queue;
		this.#store = store;
		this.#lockName = `steadfetch:${context.name}/outbox`;
		this.#timer = new WakeTimer(context.clock, () => void this.trigger());
	}

	/** Ask for a drain. While one runs, it runs once more; the promise covers both. Never rejects. */
	async trigger(request: DrainRequest = {}): Promise<FlushResult> {
		if (this.closed) {
			return none();
		}

		if (request.unpause === true) {
			this.paused.clear();
		} else if (request.unpause !== undefined) {
			this.paused.delete(request.unpause);
		}

		if (request.force === true) {
			this.#forceAll = true;
		} else if (request.force !== undefined) {
			this.#forced.add(request.force);
		}

		if (this.#running) {
			this.#again = true;
			return this.#running;
		}

		this.#running = this.#run();
		return this.#running;
	}

	/**
	 * Run `task` as the only user of the outbox's records: the pass under way (here) is aborted and
	 * writes nothing back, and `task` runs under the drain's lock (so after any other tab's pass).
	 */
	async exclusively<T>(task: () => Promise<T>): Promise<T> {
		this.#epoch++;
		this.#pass.abort(new DOMException('The outbox was cleared', 'AbortError'));
		this.#pass = new AbortController();
		return exclusive(this.#store, this.#lockName, this.#closing.signal, task);
	}

	close(): void {
		this.closed = true;
		this.#timer.clear();
		const reason = new DOMException('The client was closed', 'AbortError');
		this.#closing.abort(reason);
		this.#pass.abort(reason);
	}

	async #run(): Promise<FlushResult> {
		await Promise.resolve(); // Let trigger() record this run before it can end.
		const result: FlushResult = none();
		let wake = Infinity;
		const failures = this.#queue.failures;
		let failed = false;
		this.draining = true;
		try {
			do {
				this.#again = false;
				const forced = new Set(this.#forced);
				const forceAll = this.#forceAll;
				this.#forced.clear();
				this.#forceAll = false;
				if (this.closed || isOffline()) {
					break;
				}

				wake = await exclusive(this.#store, this.#lockName, this.#closing.signal, async () =>
					this.#passOnce(result, (scope) => forceAll || forced.has(scope)));
			} while (this.#again && !this.closed);
		} catch (error) {
			if (!this.closed) {
				failed = true;
				storageError(this.#context, 'outbox', 'drain', error);
			}
		}

		this.#running = undefined;
		this.draining = false;
		if (failed || this.#queue.failures !== failures) {
			// The store failed (or missed its deadline) during the drain: what it could not list or read
			// is tried again after a backoff, not left for a trigger that may never come.
			wake = Math.min(wake, this.#context.clock.now() + this.#retryDelay(++this.#failedRuns));
		} else {
			this.#failedRuns = 0;
		}

		if (!this.closed) {
			this.#timer.set(wake);
		}

		return this.#tally(result);
	}

	/**
	 * Count what is left, in this context's view of the keys (the pass just listed them; a run
	 * stopped at once, offline or closed, lists nothing).
	 */
	async #tally(result: FlushResult): Promise<FlushResult> {
		await this.#queue.load();
		result.remaining = this.#queue.pending().length;
		return result;
	}

	/** One pass over every scope; returns when the earliest blocked head is due. */
	async #passOnce(result: FlushResult, force: (scope: string) => boolean): Promise<number> {
		const epoch = this.#epoch;
		const who = this.#context.identity();
		const pass: Pass = {
			result,
			force,
			identity: who === undefined ? undefined : await identityDigest(this.#context.name, who),
			signal: this.#pass.signal,
			current: () => epoch === this.#epoch && !this.closed,
		};
		const lanes = new Map<string, RecordKey[]>();
		for (const key of await this.#queue.keys()) {
			if (key.state === 'p') {
				const lane = lanes.get(key.scope) ?? [];
				lanes.set(key.scope, lane);
				lane.push(key);
			}
		}

		const deps = { context: this.#context, options: this.#options, queue: this.#queue, paused: this.paused, delivered: this.#delivered };
		const wakes = await Promise.all([...lanes].map(async ([scope, lane]) => runLane(deps, pass, scope, lane)));
		return Math.min(Infinity, ...wakes);
	}

	/**
	 * The wait before a drain that met a storage failure runs again: `min(maxBackoffMs, max(50,
	 * baseBackoffMs) × 2^(runs − 1))`, jittered to between half and all of it (never a tight loop).
	 */
	#retryDelay(runs: number): number {
		const { baseBackoffMs, maxBackoffMs } = this.#options;
		const ceiling = Math.min(Math.max(maxBackoffMs, 50), Math.max(50, baseBackoffMs) * 2 ** Math.min(30, runs - 1));
		return ceiling / 2 + (this.#context.random() * ceiling) / 2;
	}
}
