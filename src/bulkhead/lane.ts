import { wallNow } from '../utils/clock.js';
import { clientClosed } from '../core/closing.js';

/**
 * A slot, held by one attempt until the attempt ends or its deadline passes (`until`, epoch ms of the
 * real clock, `wallNow()`: the deadline is ky's, whose timers are real, so an injected clock does not move it).
 * Outside Workers, past its deadline only once the attempt's `signal` has aborted too: a request dedupe
 * shares goes on while a later caller waits on it, and holds its slot as long (the lane wakes its waiters
 * when that signal aborts).
 */
export interface Lease {
	readonly until: number;
	readonly signal: AbortSignal;
}

/** A waiting attempt: its deadline, and how it is answered (a lease hands it a slot, an error refuses it). */
interface Waiter {
	readonly until: number;
	readonly signal: AbortSignal;
	/** The client whose call waits (`close`). */
	readonly by: unknown;
	go(lease?: Lease, error?: unknown): void;
}

/** How often a waiting attempt looks for a free slot itself where a request cannot wake another (Workers), in ms. */
const lookMs = 10;

/**
 * One scope's slots: the leases of the attempts running, the attempts waiting for one (in order),
 * and how many were refused. `scoped`: in Workers (`requestScoped()`) a request may not wake
 * another, so a waiter looks for a free slot itself and takes only the one it asks for.
 */
export class Lane {
	/** Attempts refused because the queue was full. */
	rejected = 0;
	readonly #leases = new Set<Lease>();
	#waiting: Waiter[] = [];
	readonly #max: number;
	readonly #scoped: boolean;

	constructor(maxConcurrent: number, scoped: boolean) {
		this.#max = maxConcurrent;
		this.#scoped = scoped;
	}

	/** Slots held now (`settle` first to count only the live ones). */
	get running(): number {
		return this.#leases.size;
	}

	/** Attempts waiting now. */
	get queued(): number {
		return this.#waiting.length;
	}

	/**
	 * Take back the slots past their deadline (their attempt has failed with ky's `TimeoutError`, or
	 * belongs to a request that has ended), drop the waiters past theirs (in Workers: their request has
	 * ended; elsewhere their signal's abort takes them out), and hand free slots out: in order, to the first waiters (nobody takes a
	 * slot in between); in Workers only to `self`, the waiter asking (a promise of a request that has
	 * ended must not be settled from another).
	 */
	settle(self?: Waiter): void {
		const now = wallNow();
		for (const lease of this.#leases) {
			if (lease.until <= now && (this.#scoped || lease.signal.aborted)) {
				this.#leases.delete(lease);
			}
		}

		// A waiter past its deadline as a lease is: outside Workers, only once its signal aborted (then it has left already): a
		// request dedupe shares waits on while a later caller does, whatever its first caller's timeout.
		this.#waiting = this.#waiting.filter(({ until, signal }) => until > now || !(this.#scoped || signal.aborted));
		while (this.#leases.size < this.#max && this.#waiting.length > 0 && (!this.#scoped || this.#waiting.includes(self!))) {
			const waiter = this.#scoped ? self! : this.#waiting[0]!;
			this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
			waiter.go(this.#take(waiter.until, waiter.signal));
		}
	}

	/** A slot now, until `until` (and `signal` aborts), when one is free (after `settle`). */
	free(until: number, signal: AbortSignal): Lease | undefined {
		return this.#leases.size < this.#max ? this.#take(until, signal) : undefined;
	}

	#take(until: number, signal: AbortSignal): Lease {
		const lease = { until, signal };
		this.#leases.add(lease);
		if (!this.#scoped) {
			// A lease past its deadline ends when its signal aborts: look again then (its transport may ignore the abort).
			signal.addEventListener('abort', () => this.settle(), { once: true });
		}

		return lease;
	}

	/** Give a slot back as its attempt ends (a slot taken back at its deadline is not given back twice). */
	release(lease: Lease): void {
		if (this.#leases.delete(lease)) {
			this.settle();
		}
	}

	/**
	 * Wait until a slot is handed over (the attempt then goes on in its own call); leave the queue at
	 * once when `signal` aborts (the caller, or ky's timeout or totalTimeout running out while it
	 * waits), holding nothing. Its own timer, in its own request, looks again when the first slot's
	 * deadline passes (in Workers, every `lookMs`: no other request may wake it); in Workers, one found
	 * dropped at its own deadline with its signal not aborted (a request dedupe shares) is refused then
	 * with `refused()`. `by`: the client whose call waits (`close`).
	 */
	wait(until: number, signal: AbortSignal, refused: () => unknown, by: unknown): Promise<Lease> {
		return new Promise<Lease>((resolve, reject) => {
			let timer: ReturnType<typeof setTimeout> | undefined;
			const done = (): void => {
				clearTimeout(timer);
				signal.removeEventListener('abort', onAbort);
			};

			const waiter: Waiter = {
				until,
				signal,
				by,
				go(lease, error) {
					done();
					if (lease) {
						resolve(lease);
					} else {
						reject(error);
					}
				},
			};

			const onAbort = (): void => {
				done();
				this.#waiting = this.#waiting.filter((other) => other !== waiter);
				reject(signal.reason);
			};

			const look = (): void => {
				// Real time: the deadlines are (see `Lease`), and so is the timer that looks again.
				const now = wallNow();
				let first = this.#scoped ? now + lookMs : Infinity;
				for (const lease of this.#leases) {
					// A lease held past its deadline (its signal not aborted) wakes the lane as it ends: no timer for it. One whose
					// deadline passed since the lane was last settled, its signal aborted already, wakes nothing more: looked at now
					// (a timer at once; before, the attempt waited to its own deadline when the millisecond turned in between).
					if (lease.until > now || lease.signal.aborted) {
						first = Math.min(first, lease.until);
					}
				}

				if (first < Infinity) {
					timer = setTimeout(() => {
						this.settle(waiter);
						if (this.#waiting.includes(waiter)) {
							look();
						} else {
							// Dropped at its deadline without a slot (in Workers; handed one, it has gone on already): a request dedupe
							// shares, its first caller's deadline passed while a later caller waits on it, is refused (`refused`), after
							// the timers due now (ky's timeout of the attempt itself, whose abort takes it out first: its TIMEOUT stands).
							timer = setTimeout(() => waiter.go(undefined, refused()));
						}
					}, first - wallNow());
				}
			};

			signal.addEventListener('abort', onAbort, { once: true });
			this.#waiting.push(waiter);
			look();
		});
	}

	/** Refuse every waiting attempt of client `by`: it closed (`CLIENT_CLOSED`). The lane is its `extend()` family's: the others' wait on. */
	close(by: unknown): void {
		for (const waiter of this.#waiting) {
			if (waiter.by === by) {
				this.#waiting = this.#waiting.filter((other) => other !== waiter);
				waiter.go(undefined, clientClosed());
			}
		}
	}
}
