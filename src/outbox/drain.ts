import type { WaitUntil } from '../core/options.js';
import { background, storageError } from '../core/part-store.js';
import { backoff } from './outcome.js';
import { Pass, type FlushResult } from './pass.js';
import type { Queue } from './queue.js';
import type { Tally } from './record.js';
import { diesWithRequest, drainOfAnotherRequest, heartbeat, tookOver } from './request-bound.js';
import { maxTimerMs } from '../utils/validate.js';
import { within } from '../utils/within.js';

/** A drain's outcomes: by entry id, the pass of its last outcome and that outcome; then `remaining`. */
type Drained = [Map<string, [number, Parameters<Tally>[1]]>, number];

/**
 * `flush()`'s result of a drain, from pass `from` on (a trigger that joined a drain under way: the pass under way and
 * the later ones): each entry counted once, by its last outcome (none once discarded).
 */
const counted = async (drain: Promise<Drained>, from: number): Promise<FlushResult> => {
	const [outcomes, remaining] = await drain;
	const result = { sent: 0, failed: 0, dead: 0, remaining };
	for (const [pass, outcome] of outcomes.values()) {
		pass >= from && outcome && result[outcome]++;
	}

	return result;
};

/**
 * When the outbox replays: one drain at a time per client — and per client name across the tabs,
 * workers and clients of a process, through the queue's lock (in workerd, whose isolate has no
 * locks, the client's own: a drain of another request is never awaited, and one whose request
 * ended — its heartbeat stopped — is taken over, its claims dropped: request-bound.ts). A drain runs
 * passes (`Pass`) until no trigger asked for another meanwhile, then sets a timer for the earliest
 * entry it left waiting (never in Workers, where a timer dies with its request).
 */
export class Drain {
	readonly #queue: Queue;
	/** Scopes made due now by a trigger (`''`: every scope), for the next pass. */
	readonly #forced = new Set<string>();
	/** Entries queued up to this time (epoch ms, the injected clock) are due now in the next pass: a reload's (`start`). */
	#before = -Infinity;
	/** A pass made every scope due (`flush()`, `online`, the page visible): a reload's drain after it hurries nothing (each was just tried). */
	#all = false;
	/** A trigger came while a drain ran: it runs one more pass. */
	#again = false;
	#started = false;
	/** When the client started in a page (`loaded`). */
	#loadedAt: number | undefined;
	#drains = 0;
	/** The running drain: each entry's last outcome (`Tally`) with the pass that gave it, and what is left pending. */
	#running: Promise<Drained> | undefined;
	/** Counts the passes' starts and ends: a pass under way has its own number, one over has a smaller one. */
	#pass = 0;
	/** When the running drain's request last showed life, in real time (Workers: its `heartbeat`; a silent one is taken over, `tookOver`). */
	#beat = 0;
	#timer: ReturnType<typeof setTimeout> | undefined;
	#timerAt = Infinity;
	/** Drains in a row whose store failed: the next one comes after a backoff. */
	#failed = 0;
	/** Aborted by `close()`: the waits of `resume`s before their drain end. Made at the first wait (none at `createClient`: a Worker's global scope). */
	#closing: AbortController | undefined;

	constructor(queue: Queue) {
		this.#queue = queue;
	}

	/**
	 * Ask for a drain. `scope` (or `true`: every scope) makes that scope's entries due now, except
	 * those a server's `Retry-After` pinned, and ends its 401/403 pause; a time (epoch ms: a reload's,
	 * `start`) makes due, so, the entries queued up to it, whatever their scope. While a drain runs, it runs
	 * once more and the promise covers both: what the pass under way and the later ones did, each
	 * entry counted once, by its last outcome; in Workers, where a promise of one request must not be
	 * awaited by another, it resolves `undefined` at once instead. Never rejects.
	 */
	async trigger(scope?: string | true | number, waitUntil?: WaitUntil): Promise<FlushResult | undefined> {
		if (typeof scope === 'number') {
			this.#before = this.#all ? this.#before : Math.max(this.#before, scope);
		} else if (scope) {
			this.#forced.add(scope === true ? '' : scope);
			if (scope === true) {
				this.#queue.paused.clear();
			} else {
				this.#queue.paused.delete(scope);
			}
		}

		this.#started = true;
		if (this.#queue.closed) {
			return undefined;
		}

		// Under way: it runs once more, unless (in Workers) its request ended: then this drain takes over.
		if (this.#running && !tookOver(this.#queue, this.#beat)) {
			this.#again = true;
			return drainOfAnotherRequest() ? undefined : counted(this.#running, this.#pass);
		}

		this.#running = this.#drain(waitUntil);
		return counted(this.#running, 0);
	}

	/** `trigger` as the outbox's background work (kept alive by `waitUntil`, a failure reported): the caller goes on at once. */
	soon(scope?: string, waitUntil?: WaitUntil): void {
		background(this.#queue.context, 'outbox', waitUntil, async () => this.trigger(scope, waitUntil));
	}

	/**
	 * Ask for a drain because `scope` (`true`: every scope) came back — `online`, the page visible
	 * again, a reload, a breaker's probe or an app's call got through — after a wait drawn from 0 to `resumeJitterMs` (the client's
	 * `random`), so a fleet of clients that recovers at once does not replay on the same second. As
	 * `trigger` once the wait is over (`close()` ends it: no drain). Never rejects.
	 */
	async resume(scope: string | true | number, waitUntil?: WaitUntil): Promise<FlushResult | undefined> {
		const { context, options } = this.#queue;
		const ms = options.resumeJitterMs * context.random();
		if (ms > 0) {
			this.#closing ??= new AbortController();
			await within(new Promise<never>(() => undefined), ms, this.#closing.signal); // A wait of `ms` only `close()` ends early.
		}

		return this.trigger(scope, waitUntil);
	}

	/**
	 * Start the first drain, unless one was: at the client's start, or by its first eligible call where
	 * no timer may be set (workerd) or before the start's timer. In a page (`loaded`: a reload) it is the
	 * reload's: the entries queued up to the client's start are due, after the `resume` wait — a page loaded
	 * again is where a user waits for them —; not those the page queued itself, later or in the same millisecond,
	 * whose backoff stands (a write that just failed is not replayed at once), nor any once a pass during the wait made
	 * every entry due (`flush()`: each was just tried).
	 */
	start(waitUntil?: WaitUntil): void {
		if (!this.#started) {
			this.#started = true;
			const loadedAt = this.#loadedAt;
			background(this.#queue.context, 'outbox', waitUntil, async () => loadedAt === undefined ? this.trigger(undefined, waitUntil) : this.resume(loadedAt, waitUntil));
		}
	}

	/** The client started in a page at `at` (epoch ms, the injected clock): its first drain is a reload's (`start`). */
	loaded(at: number): void {
		this.#loadedAt = at;
	}

	/** Drain at `at` (epoch ms, injected clock) unless a live timer does earlier; never in Workers. */
	arm(at: number): void {
		const now = this.#queue.context.clock.now();
		if (at === Infinity || this.#queue.closed || diesWithRequest() || (this.#timer && this.#timerAt <= at && this.#timerAt > now)) {
			return;
		}

		clearTimeout(this.#timer);
		this.#timerAt = at;
		this.#timer = setTimeout(() => {
			this.#timer = undefined;
			if (this.#failed) {
				this.#queue.quiet = 0; // The backoff's try after the store failed lists it, even within 10 s of a failed listing.
			}

			void this.trigger();
		}, Math.min(maxTimerMs, Math.max(0, at - now)));
		(this.#timer as { unref?: () => void }).unref?.(); // A Node or Deno script whose calls are done exits.
	}

	close(): void {
		clearTimeout(this.#timer);
		this.#closing?.abort();
	}

	/** One drain: passes until no trigger came meanwhile; then the timer for what waits (after a backoff when the store failed). */
	async #drain(waitUntil: WaitUntil | undefined): Promise<Drained> {
		const queue = this.#queue;
		const me = ++this.#drains;
		const outcomes: Drained[0] = new Map();
		const failures = queue.failures;
		let wake = Infinity;
		// In Workers the drain's request beats while it lives: one that ended stops, and is taken over.
		const pulse = heartbeat((now) => {
			this.#beat = now;
		});
		await 0; // Let the trigger note this drain before it can end.
		try {
			do {
				this.#again = false;
				if (queue.closed) {
					break;
				}

				const due = new Set(this.#forced);
				const before = this.#before;
				this.#all ||= due.has('');
				this.#forced.clear();
				this.#before = -Infinity;
				wake = await queue.permit(async (permit) => {
					if (permit.current()) {
						const pass = ++this.#pass;
						const at = await new Pass(queue, permit, (id, outcome) => outcomes.set(id, [pass, outcome]), due, before, waitUntil).run();
						this.#pass++;
						return at;
					}

					// No longer current as the lock is granted (a clear, another identity, since it was asked for): another
					// pass, with the same scopes due, asked for now (after the clear's removal, which asked for the lock before).
					this.#again = true;
					for (const scope of due) {
						this.#forced.add(scope);
					}

					this.#before = Math.max(this.#before, before);

					return Infinity;
				});
			} while (this.#again && !queue.closed);
		} catch (error) {
			storageError(queue.context, 'outbox', 'drain', error);
		}

		clearInterval(pulse);
		if (this.#drains === me) {
			this.#running = undefined;
		}

		// The store failed (or missed its deadline): try again after a backoff, not only on the next trigger.
		this.#failed = queue.failures === failures ? 0 : this.#failed + 1;
		this.arm(this.#failed ? Math.min(wake, queue.context.clock.now() + 50 + backoff(queue.options, this.#failed, queue.context.random())) : wake);
		return [outcomes, await queue.count()];
	}
}
