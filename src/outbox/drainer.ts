import type { PolicyContext } from '../core/policy.js';
import type { KeyValueStore } from '../stores/types.js';
import { backoffDelay } from './backoff.js';
import { exclusive } from './guard.js';
import { isOffline } from '../core/runtime.js';
import type { ResolvedOutboxOptions } from './options.js';
import { outcomeOfError, outcomeOfResponse, type ReplayOutcome } from './outcome.js';
import type { QueueStore } from './queue-store.js';
import { isRecord, unreadableRecord, withState, type OutboxRecord, type RecordKey } from './record.js';
import type { OutboxEntry } from './types.js';

export interface FlushResult {
	sent: number;
	failed: number;
	dead: number;
	remaining: number;
}

/** What a trigger asks of the drain. */
export interface DrainRequest {
	/** Treat entries that last failed to reach the origin (network, timeout, open circuit, offline) as due now: `true` for every scope, or one scope. */
	force?: true | string;
	/** End the 401/403 pause of every scope (`true`) or of one. */
	unpause?: true | string;
}

/** Failures that say the origin was unreachable: an "it may be reachable now" trigger makes them due at once. */
const unreachable = new Set(['NETWORK', 'TIMEOUT', 'CIRCUIT_OPEN', 'OFFLINE']);
const maxTimeout = 2_147_483_647;
const none = (): FlushResult => ({ sent: 0, failed: 0, dead: 0, remaining: 0 });

/**
 * Replays the outbox: one drain at a time (per process on the same store, and across tabs through a
 * Web Lock), FIFO per scope with head-of-line blocking per scope, scopes in parallel. An entry is
 * removed only after its successful response, so a drain cut short (a closed tab) resends it, with
 * the same Idempotency-Key, on the next drain.
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
	readonly #abort = new AbortController();
	/** Delivered entries whose removal failed: never resent by this client. */
	readonly #delivered = new Set<string>();
	readonly #forced = new Set<string>();
	#forceAll = false;
	#again = false;
	#running: Promise<FlushResult> | undefined;
	#timer: ReturnType<typeof setTimeout> | undefined;
	#timerAt = Infinity;

	constructor(context: PolicyContext, options: ResolvedOutboxOptions, queue: QueueStore, store: KeyValueStore) {
		this.#context = context;
		this.#options = options;
		this.#queue = queue;
		this.#store = store;
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

	close(): void {
		this.closed = true;
		clearTimeout(this.#timer);
		this.#abort.abort(new DOMException('The client was closed', 'AbortError'));
	}

	async #run(): Promise<FlushResult> {
		await Promise.resolve(); // Let trigger() record this run before it can end.
		const result: FlushResult = none();
		let wake = Infinity;
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

				// eslint-disable-next-line no-await-in-loop
				wake = await exclusive(this.#store, `steadfetch:${this.#context.name}/outbox`, this.#abort.signal, async () =>
					this.#pass(result, (scope) => forceAll || forced.has(scope)));
			} while (this.#again && !this.closed);
		} catch (error) {
			if (!this.closed) {
				this.#context.storageError('outbox', 'drain', error);
			}
		}

		this.#running = undefined;
		this.draining = false;
		this.#schedule(wake);
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
	async #pass(result: FlushResult, force: (scope: string) => boolean): Promise<number> {
		const lanes = new Map<string, RecordKey[]>();
		for (const key of await this.#queue.keys()) {
			if (key.state === 'p') {
				const lane = lanes.get(key.scope) ?? [];
				lanes.set(key.scope, lane);
				lane.push(key);
			}
		}

		const wakes = await Promise.all([...lanes].map(async ([scope, lane]) => this.#lane(scope, lane, force(scope), result)));
		return Math.min(Infinity, ...wakes);
	}

	async #lane(scope: string, lane: RecordKey[], force: boolean, result: FlushResult): Promise<number> {
		const { clock } = this.#context;
		for (const parsed of lane) {
			if (this.closed || this.paused.has(scope)) {
				return Infinity;
			}

			if (this.#delivered.has(parsed.id)) {
				// eslint-disable-next-line no-await-in-loop
				await this.#queue.delete(parsed.key);
				continue;
			}

			let raw: unknown;
			try {
				// eslint-disable-next-line no-await-in-loop
				raw = await this.#queue.get(parsed.key);
			} catch (error) {
				// The store failed (not the record): the lane waits for the next trigger.
				this.#context.storageError('outbox', 'get', error, parsed.key);
				return Infinity;
			}

			if (raw === undefined) {
				continue; // Delivered or discarded elsewhere meanwhile.
			}

			if (!isRecord(raw)) {
				const message = 'The stored outbox record could not be read';
				this.#context.storageError('outbox', 'decode', new TypeError(message), parsed.key);
				// eslint-disable-next-line no-await-in-loop
				await this.#bury(unreadableRecord(parsed, raw, clock.now(), message), parsed.key, 'rejected', result);
				continue;
			}

			const record = raw;
			const now = clock.now();
			if (now - (record.retainFrom ?? record.createdAt) > this.#options.retentionMs) {
				// eslint-disable-next-line no-await-in-loop
				await this.#bury(record, parsed.key, 'expired', result);
				continue;
			}

			if (record.nextAttemptAt > now && !(force && unreachable.has(record.lastError?.code ?? ''))) {
				return record.nextAttemptAt;
			}

			// eslint-disable-next-line no-await-in-loop
			const outcome = await this.#replay(record);
			if (this.closed && outcome.kind !== 'sent') {
				return Infinity; // Cut short by close(): the entry stays as it was.
			}

			// eslint-disable-next-line no-await-in-loop
			const wake = await this.#settle(record, parsed.key, outcome, result);
			if (wake !== undefined) {
				return wake;
			}
		}

		return Infinity;
	}

	/** Apply a replay's outcome; returns the lane's wake time when the entry blocks it. */
	async #settle(record: OutboxRecord, key: string, outcome: ReplayOutcome, result: FlushResult): Promise<number | undefined> {
		const now = this.#context.clock.now();
		if (outcome.kind === 'sent') {
			if (!await this.#queue.delete(key)) {
				this.#delivered.add(record.id);
			}

			result.sent++;
			this.#emit('outbox:sent', record, { status: outcome.status ?? 0 });
			return undefined;
		}

		record.attempts++;
		record.lastError = outcome.status === undefined
			? { code: outcome.code, message: outcome.message }
			: { code: outcome.code, status: outcome.status, message: outcome.message };
		if (outcome.kind === 'rejected') {
			await this.#bury(record, key, 'rejected', result);
			return undefined;
		}

		if (outcome.kind === 'retry' && record.attempts >= this.#options.maxAttempts) {
			await this.#bury(record, key, 'max-attempts', result);
			return undefined;
		}

		if (outcome.kind === 'retry') {
			const { baseBackoffMs, maxBackoffMs } = this.#options;
			record.nextAttemptAt = now + (outcome.waitMs ?? backoffDelay(record.attempts, baseBackoffMs, maxBackoffMs, this.#context.random));
		} else {
			this.paused.add(record.scope);
		}

		await this.#queue.set(key, record);
		result.failed++;
		this.#emit('outbox:retry', record, { nextAttemptAt: record.nextAttemptAt, code: outcome.code });
		return outcome.kind === 'retry' ? record.nextAttemptAt : Infinity;
	}

	/** Move a pending entry to the dead letters (written before the pending copy is removed). */
	async #bury(record: OutboxRecord, key: string, reason: NonNullable<OutboxEntry['deadReason']>, result: FlushResult): Promise<void> {
		record.deadReason = reason;
		await this.#queue.set(withState(key, 'd'), record);
		await this.#queue.delete(key);
		result.dead++;
		this.#emit('outbox:dead', record, { deadReason: reason, code: record.lastError?.code ?? reason.toUpperCase() });
	}

	async #replay(record: OutboxRecord): Promise<ReplayOutcome> {
		try {
			const response = await this.#context.send(record.url, {
				method: record.method,
				headers: record.headers,
				body: record.body,
				outbox: false,
				idempotencyKey: record.idempotencyKey,
				retry: 0,
				throwHttpErrors: false,
				prefix: '',
				searchParams: undefined,
				signal: this.#abort.signal,
			});
			void response.body?.cancel().catch(() => undefined);
			return outcomeOfResponse(response, this.#context.clock.now());
		} catch (error) {
			return outcomeOfError(error);
		}
	}

	#emit(type: 'outbox:sent' | 'outbox:retry' | 'outbox:dead', record: OutboxRecord, extra: Record<string, unknown>): void {
		this.#context.emit(type, {
			scope: record.scope, method: record.method, url: record.url, entryId: record.id,
			idempotencyKey: record.idempotencyKey, attempts: record.attempts, ...extra,
		} as never);
	}

	/** Keep one timer, for the earliest blocked head. */
	#schedule(wake: number): void {
		if (this.closed || !Number.isFinite(wake) || (this.#timer !== undefined && this.#timerAt <= wake)) {
			return;
		}

		clearTimeout(this.#timer);
		this.#timerAt = wake;
		try {
			this.#timer = setTimeout(() => {
				this.#timer = undefined;
				this.#timerAt = Infinity;
				void this.trigger();
			}, Math.min(maxTimeout, Math.max(0, wake - this.#context.clock.now())));
		} catch {
			// workerd outside a request: the next trigger drains instead.
			this.#timer = undefined;
			this.#timerAt = Infinity;
		}
	}
}
