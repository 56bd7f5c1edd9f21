import type { WaitUntil } from '../core/options.js';
import { isOffline } from '../core/runtime.js';
import { classify, classifyStatus } from '../errors/classify.js';
import { isSteadfetchError, type SteadfetchErrorCode } from '../errors/SteadfetchError.js';
import { requestScoped, storageError } from '../shared/part-store.js';
import { isHeaders, isRecord, toEntry, type OutboxRecord } from './record.js';
import { backoff, digestNow, digestOf, emitAbout, headersOf, listKeys, locked, occupied, pendingCount, removeAll, schedule, secretUrl, splitHeaders, type FlushResult, type Queue, type Ticket } from './queue.js';
import type { StoredEntry } from './types.js';
import { snapshotBody, type Stringify } from './snapshot.js';

export interface Drain {
	/**
	 * Ask for a drain. `scope` (or `true`: every scope) makes that scope's entries due now, except
	 * those a server's `Retry-After` holds, and ends its 401/403 pause. While a drain runs, it runs
	 * once more and the promise covers both; in Workers, where a promise of one request must not be
	 * awaited by another, it resolves `undefined` at once instead. Never rejects.
	 */
	(scope?: string | true, waitUntil?: WaitUntil): Promise<FlushResult | undefined>;
	/**
	 * Remove every entry (or one identity's) under the drain's lock: resolves once the store confirmed
	 * every removal, else rejects; nothing it removes comes back, nor is sent.
	 */
	clear(identity?: string): Promise<void>;
	/** Drain at `at` (epoch ms, injected clock) unless a live timer does earlier; never in Workers, where a timer dies with its request. */
	arm(at: number): void;
	close(): void;
}

/**
 * In Workers, a drain's request beats every second while it lives (its timers end with it): a drain
 * silent this long (ms) died with its request, and the next drain takes over.
 */
const staleMs = 5_000;

/**
 * Whether `onConflict`'s answer is a rebased write: a plain object of `json`, `body` and `headers`
 * only, one at least. An array, a Response, a Date, a class instance, `{}` or a misspelt key is no
 * rebase (it would replay the stored write without its precondition): a dead letter.
 */
const isRebase = (value: unknown): boolean => {
	const keys = Object.keys(Object(value));
	return [Object.prototype, null].includes(Object.getPrototypeOf(Object(value))) && keys.length > 0 && keys.every((key) => /^(json|body|headers)$/.test(key));
};
const maxTimeout = 2_147_483_647;

/**
 * Replays the outbox: one drain at a time per client, and per client name across the tabs, workers
 * and clients of a process where Web Locks exist (in workerd, whose isolate has no locks, the
 * client's own: a drain of another request is never awaited, and one whose request ended — its
 * heartbeat stopped for `staleMs` — is taken over, its claims dropped). FIFO per scope with
 * head-of-line blocking: one pass in key order, a blocked scope skipped for the rest of it. An entry
 * is removed only after its successful response, so a drain cut short (a closed tab) resends it,
 * with the same Idempotency-Key, on the next drain.
 *
 * Entries it leaves alone: another identity's (untouched, whatever their age), a newer version's
 * (until retention ends), one claimed in this client (another request's drain in workerd: it
 * blocks its scope).
 *
 * A replay's outcome is `classify()`'s, with these deliberate differences for a write already
 * queued: 409 and 425 stay retriable (an idempotency key may still be in progress), 401 and 403
 * pause the scope until the next trigger (a new token may come), a refusal made by the client
 * itself without I/O (open breaker, rate limit) is not an attempt, 412 — or 409 for an entry with a
 * precondition — is a conflict.
 */
export const createDrain = (queue: Queue): Drain => {
	const { context, options, store, paused } = queue;
	const { clock } = context;
	/** Scopes made due now by a trigger (`''`: every scope), for the next pass. */
	const forced = new Set<string>();
	let again = false;
	let runs = 0;
	/** When the running drain's request last showed life, in real time (Workers take a silent one over, see `staleMs`). */
	let beat = 0;
	let timer: ReturnType<typeof setTimeout> | undefined;
	let timerAt = Infinity;
	let failedRuns = 0;
	let abort: AbortController | undefined;
	context.on('storage:error', ({ part }) => {
		queue.failures += part === 'outbox' ? 1 : 0;
	});

	const arm = (at: number): void => {
		const now = clock.now();
		if (at === Infinity || queue.closed || requestScoped() || (timer && timerAt <= at && timerAt > now)) {
			return;
		}

		clearTimeout(timer);
		timerAt = at;
		timer = setTimeout(() => {
			timer = undefined;
			void drain();
		}, Math.min(maxTimeout, Math.max(0, at - now)));
		(timer as { unref?: () => void }).unref?.(); // A Node or Deno script whose calls are done exits.
	};

	const run = async (waitUntil: WaitUntil | undefined): Promise<FlushResult> => {
		const me = ++runs;
		const result: FlushResult = { sent: 0, failed: 0, dead: 0, remaining: 0 };
		const failed = queue.failures;
		let wake = Infinity;
		// In Workers the drain's request beats while it lives: one that ended stops, and is taken over.
		const pulse = requestScoped() ? setInterval(() => {
			beat = Date.now();
		}, 1000) : undefined;
		await 0; // Let the trigger record this run before it can end.
		try {
			await occupied(queue, async () => {
				do {
					again = false;
					if (queue.closed || isOffline()) {
						break;
					}

					const due = new Set(forced);
					forced.clear();
					wake = await locked(queue, async () => pass(result, due, waitUntil));
				} while (again && !queue.closed);
			});
		} catch (error) {
			queue.failures++;
			storageError(context, 'outbox', 'drain', error);
		}

		clearInterval(pulse);
		if (runs === me) {
			queue.running = undefined;
		}

		// The store failed (or missed its deadline): try again after a backoff, not only on the next trigger.
		failedRuns = queue.failures === failed ? 0 : failedRuns + 1;
		arm(failedRuns ? Math.min(wake, clock.now() + 50 + backoff(queue, failedRuns)) : wake);
		result.remaining = await pendingCount(queue);
		return result;
	};

	/**
	 * One pass under the lock over the pending entries, oldest first: an entry not due (or failing)
	 * blocks its scope for the rest of the pass (FIFO per scope). Returns when the earliest blocked
	 * entry is due.
	 */
	const pass = async (result: FlushResult, due: ReadonlySet<string>, waitUntil: WaitUntil | undefined): Promise<number> => {
		const epoch = queue.epoch;
		queue.holding = true; // Under the lock, until it returns.
		/** False once `clear()` or `close()` began, or `discard(id)` removed the entry: nothing more of it is sent or written back. */
		const current = (id?: string): boolean => epoch === queue.epoch && !queue.closed && !queue.removed.has(id!);
		const controller = new AbortController(); // Per pass, in the request that runs it: `close()` aborts its replays.
		abort = controller;
		const { signal } = controller;
		/**
		 * The app's answer (`migrate`, `onConflict`), or `undefined` once `close()` or `clear()` aborted the
		 * pass (or after `ms`): its entry then stays as it was, and nothing waits for it (nor for a timer).
		 */
		const answer = async (work: () => unknown, ms?: number): Promise<unknown> => {
			let timer: ReturnType<typeof setTimeout> | undefined;
			try {
				return await Promise.race([
					Promise.resolve().then(work),
					new Promise((resolve) => {
						signal.addEventListener('abort', () => resolve(undefined));
						if (signal.aborted) {
							resolve(undefined);
						}

						if (ms) {
							timer = setTimeout(resolve, ms);
							(timer as { unref?: () => void }).unref?.();
						}
					}),
				]);
			} finally {
				clearTimeout(timer);
			}
		};
		const blocked = new Set(paused);
		let wake = Infinity;
		const block = (scope: string, at = Infinity): void => {
			blocked.add(scope);
			wake = Math.min(wake, at);
		};

		const bury = async (record: OutboxRecord, key: string, reason: NonNullable<OutboxRecord['deadReason']>): Promise<void> => {
			if (current(record.id)) {
				record.deadReason = reason;
				await store.set(`d${key.slice(1)}`, record);
				await store.delete(key);
				result.dead++;
				emitAbout(queue, 'outbox:dead', record, { deadReason: reason, code: (record.lastError?.code ?? 'TIMEOUT') as SteadfetchErrorCode });
			}
		};

		await listKeys(queue);
		const { keys } = queue;
		for (let index = 0; index < keys.length && current(); index++) {
			const { key, id, scope } = keys[index]!;
			const failed = queue.failures;
			// The identity now, for each entry: a user who logs out during a pass never sends another's write.
			const identity = await digestOf(queue, context.identity());
			const raw = blocked.has(scope) ? null : await store.get(key);
			const now = clock.now();
			if (raw === undefined && queue.failures !== failed) {
				block(scope); // The store failed: the run tries again after a backoff.
			} else if (raw && !isRecord(raw)) {
				storageError(context, 'outbox', 'decode', new TypeError('Unreadable outbox record'), key);
				await bury({ v: 1, id, method: '', url: '', headers: {}, idempotencyKey: id, createdAt: now, attempts: 0, nextAttemptAt: now, scope, lastError: { code: 'INVALID_REQUEST', message: 'Unreadable' }, raw }, key, 'rejected');
			}

			// Gone meanwhile, unreadable, or another identity's write: passed over, untouched (and its
			// identity's later entries of the scope with it, should that identity come back during the pass).
			if (!isRecord(raw) || !current(id)) {
				continue;
			}

			const lane = `${scope} ${raw.identity}`;
			if (raw.identity !== identity || blocked.has(lane)) {
				blocked.add(lane);
				continue;
			}

			if (queue.inFlight.has(id)) {
				block(scope); // Claimed in this client (workerd: another request's drain replays it).
				continue;
			}

			queue.inFlight.add(id);
			let response: Response | undefined;
			try {
				let record = raw;
				const start = record.retainFrom ?? record.createdAt;
				const version = record.version ?? 1;
				// Whatever its version; a start in the future counts too (no time read from storage goes beyond retention).
				if (Math.abs(now - start) > options.retentionMs) {
					await bury(record, key, 'expired');
					continue;
				}

				// A newer app version's write: left alone, pending.
				if (version > options.version) {
					continue;
				}

				if (record.nextAttemptAt > now && (record.held || !(due.has('') || due.has(scope)))) {
					block(scope, Math.min(record.nextAttemptAt, start + options.retentionMs));
					continue;
				}

				if (version < options.version && options.migrate) {
					try {
						const next = await answer(() => options.migrate!({ ...toEntry(record), body: record.body! }, version));
						if (next === null) {
							await store.delete(key);
							emitAbout(queue, 'outbox:discarded', record);
							continue;
						}

						// `undefined` (a forgotten return) or anything but an entry: the app's error, the write is kept.
						const { url, headers, body, preconditions } = Object(next) as StoredEntry;
						const href = new URL(url).href;
						const { preconditions: stored, ...rest } = record; // Its preconditions are the ones it gives.
						// Its headers replace the stored ones as a rebase's do: no sensitive one, names in any case (the
						// last given wins), preconditions apart (one given in `headers` wins).
						const migrated = { ...rest, url: href, ...splitHeaders(queue, headersOf(preconditions, headers)), body, version: options.version };
						// Invalid (OutboxOptions.migrate): a field a stored record may not hold, a URL of another scope
						// or with a sensitive parameter, a body over maxBodyBytes.
						if (!isRecord(migrated) || !isHeaders(headers) || !isHeaders(preconditions ?? {}) || context.scopeOf(href) !== record.scope || secretUrl(queue, href) || (body?.byteLength ?? 0) > options.maxBodyBytes) {
							throw new TypeError('migrate() returned no valid entry');
						}

						record = migrated;
						if (!current(id)) {
							continue;
						}

						await store.set(key, record);
					} catch (error) {
						record.lastError = { code: 'INVALID_REQUEST', message: String(error) };
						await bury(record, key, 'migrate');
						continue;
					}
				}

				let error: unknown;
				// Checked again as the attempt starts (the layer), with no await before it goes out: a replay
				// never goes out under another identity, nor after its entry was removed.
				const ticket: Ticket = { due: () => current(id) && digestNow(queue) === record.identity };
				queue.replays.set(record.idempotencyKey, ticket);
				try {
					response = await context.send(record.url, {
						method: record.method, headers: { ...record.headers, ...record.preconditions }, body: record.body,
						idempotencyKey: record.idempotencyKey, retry: 0, throwHttpErrors: false, prefix: '', searchParams: undefined,
						signal, waitUntil,
					}, true);
				} catch (error_) {
					error = error_;
				} finally {
					queue.replays.delete(record.idempotencyKey);
				}

				if (ticket.refused) {
					block(scope); // Untouched, pending; its scope waits for the next trigger (FIFO).
					continue;
				}

				const status = response?.status;
				const failure = response ? classifyStatus(status!) : classify(error);
				if (!failure) {
					await store.delete(key);
					result.sent++;
					emitAbout(queue, 'outbox:sent', record, { status: status! });
					continue;
				}

				if (!isSteadfetchError(error)) {
					record.attempts++; // It reached the network: our own refusals (open breaker, rate limit…) made no I/O.
				}

				record.lastError = { code: failure.code, message: response ? `${status} ${response.statusText}`.trim() : String(error), ...status && { status } };
				if (status === 412 || (status === 409 && record.preconditions)) {
					emitAbout(queue, 'outbox:conflict', record, { status });
					let verdict: unknown = 'dead';
					try {
						verdict = await answer(() => options.onConflict?.({ entry: toEntry(record), response: response! }), 10_000);
					} catch {
						// A resolver that throws counts as 'dead'.
					}

					if (verdict === 'discard' && current(id)) {
						await store.delete(key);
						emitAbout(queue, 'outbox:discarded', record);
						continue;
					}

					try {
						const given = verdict as { json?: unknown; body?: unknown; headers?: Record<string, string> };
						if (isRebase(given) && record.attempts < options.maxAttempts && current(id)) {
							// A rebased write in the entry's place, replayed now (attempts go on: a resolver loop ends at maxAttempts).
							const { body, type } = await snapshotBody(undefined, given, options.maxBodyBytes, context.options['stringifyJson'] as Stringify | undefined);
							const { preconditions, ...rest } = record; // Its preconditions are the ones it gives.
							// Its Content-Type describes what it sends: the one given, else a new body's own (or none), else the stored body's.
							const { 'content-type': stored, ...others } = rest.headers;
							if (current(id)) {
								await store.set(key, { ...rest, ...splitHeaders(queue, headersOf(given.headers ?? others), body ? type : stored), ...body && { body }, idempotencyKey: crypto.randomUUID(), nextAttemptAt: now });
								result.failed++;
								index--;
							}

							continue;
						}
					} catch {
						// Headers fetch refuses or a body over maxBodyBytes: the conflict stays a dead letter.
					}

					record.lastError = { code: 'CONFLICT', status, message: `${status} conflict` };
					await bury(record, key, 'conflict');
					continue;
				}

				const pause = status === 401 || status === 403 || (!response && !failure.transient && failure.code !== 'INVALID_REQUEST');
				const retriable = failure.transient || status === 409 || status === 425;
				if (!pause && (!retriable || record.attempts >= options.maxAttempts)) {
					await bury(record, key, retriable ? 'max-attempts' : 'rejected');
					continue;
				}

				if (!current(id)) {
					continue;
				}

				if (pause) {
					paused.add(scope);
				} else {
					schedule(queue, record, now, response, error);
				}

				await store.set(key, record);
				result.failed++;
				emitAbout(queue, 'outbox:retry', record, { nextAttemptAt: record.nextAttemptAt, code: failure.code });
				block(scope, pause ? Infinity : record.nextAttemptAt);
			} finally {
				queue.inFlight.delete(id);
				void response?.body?.cancel().catch(() => undefined); // Once read (by `onConflict`) or not needed.
			}
		}

		queue.holding = false;
		return wake;
	};

	const drain = (async (scope, waitUntil) => {
		if (scope) {
			forced.add(scope === true ? '' : scope);
			if (scope === true) {
				paused.clear();
			} else {
				paused.delete(scope);
			}
		}

		queue.started = true;
		if (queue.closed) {
			return undefined;
		}

		// Under way (in Workers: its request still lives): it runs once more.
		if (queue.running && !(requestScoped() && Date.now() - beat > staleMs)) {
			again = true;
			return requestScoped() ? undefined : queue.running;
		}

		if (queue.running) {
			queue.inFlight.clear(); // A takeover (workerd): the claims of the drain that died with its request go with it.
		}

		beat = Date.now();
		queue.running = run(waitUntil);
		return queue.running;
	}) as Drain;

	drain.clear = async (who) => {
		queue.epoch++;
		if (!requestScoped()) {
			// The replay under way here ends now instead of holding the lock (in workerd the pass may be
			// another request's: it only stops writing).
			abort?.abort(new DOMException('The outbox was cleared', 'AbortError'));
		}

		const identity = await digestOf(queue, who);
		await locked(queue, async () => {
			const gone: string[] = [];
			for (const { key } of await listKeys(queue, true)) {
				const failed = queue.failures;
				const record = who === undefined ? undefined : await store.get<OutboxRecord>(key);
				if (who !== undefined && record === undefined && queue.failures !== failed) {
					throw new Error(`The outbox could not read ${key} to tell whose it is: not cleared`);
				}

				if (who === undefined || record?.identity === identity) {
					gone.push(key);
				}
			}

			await removeAll(queue, gone);
		});
		await listKeys(queue);
	};

	drain.arm = arm;
	drain.close = () => {
		clearTimeout(timer);
		abort?.abort(new DOMException('The client was closed', 'AbortError'));
	};

	return drain;
};
