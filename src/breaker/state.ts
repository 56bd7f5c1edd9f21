import type { Policy } from './resolve.js';
import { boundRecord, type BreakerRecord } from './record.js';
import { FailureWindow } from './window.js';

export type Change = 'open' | 'half-open' | 'closed';

/** `admit()`: go ahead, the breaker is closed. */
export const PASS = -1;
/** `admit()`: go ahead as a half-open probe (a probe slot is now taken). */
export const PROBE = -2;

/**
 * One scope's breaker as a pure state machine over the injected time: no timers. Open and
 * half-open are derived from timestamps when asked (`admit`, `snapshot`).
 *
 * Every change of state bumps `gen`. An attempt remembers the `gen` it started in and its outcome
 * is ignored once the state has moved on: failures still in flight when the breaker opens cannot
 * re-open it or stretch it, and a late answer of an expired probe cannot close it.
 */
export class Circuit {
	open = false;
	/** Opened by hand (`client.breaker.isolate`): open until `reset`, no probe ever. */
	isolated = false;
	consecutive = 0;
	opens = 0;
	openedAt = 0;
	reopensAt = 0;
	/** When the current state began (epoch ms); decides between shared records. */
	changedAt = -Infinity;
	gen = 0;
	/** Start times of this isolate's probes in flight, oldest first. */
	readonly probes: number[] = [];
	#halfOpen = false;
	/** The open period as first set or received, before any bounding: tells our own record when it comes back. */
	#period: readonly [number, number] = [0, 0];
	readonly #window: FailureWindow;

	constructor(readonly policy: Policy, readonly notify: (change: Change, reason: string) => void) {
		this.#window = new FailureWindow(policy.windowMs);
	}

	/** Before an attempt: `PASS`, `PROBE`, or the ms to wait (the attempt must fail fast). */
	admit(now: number): number {
		if (!this.open) {
			return PASS;
		}

		if (this.isolated) {
			return this.policy.maxOpenMs; // A hint: it stays open until reset by hand.
		}

		this.expire(now);
		if (now < this.reopensAt) {
			return this.reopensAt - now;
		}

		if (!this.#halfOpen) {
			this.#halfOpen = true;
			this.notify('half-open', 'open-elapsed');
		}

		const { probes, policy } = this;
		if (probes.length < policy.halfOpenProbes) {
			probes.push(now);
			return PROBE;
		}

		return probes[0]! + policy.probeTimeoutMs - now;
	}

	/**
	 * A probe that has not settled within the probe timeout counts as failed. And a clock that stepped
	 * back never stretches an open period: times after `now` are moved back to `now`, so the breaker
	 * stays open at most `maxOpenMs` by the clock as it reads now, and a probe still expires.
	 */
	expire(now: number): void {
		if (this.isolated) {
			return;
		}

		if (this.open && now < this.openedAt) {
			this.reopensAt = now + Math.min(this.reopensAt - this.openedAt, this.policy.maxOpenMs);
			this.openedAt = now;
			this.changedAt = Math.min(this.changedAt, now);
		}

		const { probes } = this;
		for (let index = 0; index < probes.length; index++) {
			probes[index] = Math.min(probes[index]!, now);
		}

		if (this.open && probes.length > 0 && now - probes[0]! >= this.policy.probeTimeoutMs) {
			this.#open(now, 'probe-timeout');
		}
	}

	/** The outcome of an attempt started in `gen` (`probe`: its start time, for a probe). */
	record(now: number, gen: number, failed: boolean, retryAfterMs: number, probe?: number): void {
		this.release(gen, probe);
		if (gen !== this.gen || this.isolated) {
			return;
		}

		if (this.open) {
			// Only probes pass an open breaker.
			if (failed) {
				this.#open(now, 'probe-failed', retryAfterMs);
			} else {
				this.#close(now, 'probe-succeeded');
			}

			return;
		}

		const { policy } = this;
		const tripped = this.#window.add(now, failed, policy.minimumThroughput, policy.failureRatio);
		if (!failed) {
			this.consecutive = 0;
		} else if (retryAfterMs > 0) {
			this.consecutive++;
			this.#open(now, 'retry-after', retryAfterMs);
		} else if (++this.consecutive >= policy.consecutiveFailures) {
			this.#open(now, 'consecutive-failures');
		} else if (tripped) {
			this.#open(now, 'failure-ratio');
		}
	}

	/** Free a probe slot without an outcome (the caller aborted it). */
	release(gen: number, probe?: number): void {
		const index = probe === undefined || gen !== this.gen ? -1 : this.probes.indexOf(probe);
		if (index !== -1) {
			this.probes.splice(index, 1);
		}
	}

	/**
	 * Take another tab's (or a stored) state if it is newer than ours. Its times are bounded first: no
	 * time later than `now`, and an open period no longer than `maxOpenMs` from when it opened — a
	 * record written by any script of the origin (or a clock far ahead) cannot hold a scope open.
	 */
	adopt(received: BreakerRecord, reason: string, now: number): void {
		if (this.open && received.state === 'open' && received.openedAt === this.#period[0] && received.reopensAt === this.#period[1]) {
			return; // This open period, already ours (its times may have been moved back since).
		}

		const record = boundRecord(received, now, this.policy.maxOpenMs);
		const open = record.state === 'open';
		if (record.at < this.changedAt || (record.at === this.changedAt && (open === this.open || !open))) {
			return;
		}

		const was = this.open;
		this.opens = record.opens;
		if (!open) {
			this.consecutive = 0;
		}

		this.#set(open, record.openedAt, record.reopensAt, record.at);
		this.#period = record.period;
		this.isolated = open && record.isolated === true;
		if (open || was) {
			this.notify(open ? 'open' : 'closed', this.isolated && reason === 'restored' ? 'isolated' : reason);
		}
	}

	/** Open by hand until `reset` (a kill switch): no probe goes, whatever the time. */
	isolate(now: number): void {
		this.#set(true, now, now, now);
		this.isolated = true;
		this.notify('open', 'isolated');
	}

	/** Close by hand: ends an isolation (or any open period) at once. */
	reset(now: number): void {
		this.#close(now, 'reset', this.open);
	}

	#open(now: number, reason: string, forMs = 0): void {
		const { openMs, maxOpenMs } = this.policy;
		const ms = Math.min(maxOpenMs, forMs > 0 ? forMs : openMs * 2 ** this.opens);
		this.opens++;
		this.#set(true, now, now + ms, now);
		this.notify('open', reason);
	}

	#close(now: number, reason: string, notify = true): void {
		this.isolated = false;
		this.opens = 0;
		this.consecutive = 0;
		this.#set(false, 0, 0, now);
		if (notify) {
			this.notify('closed', reason);
		}
	}

	#set(open: boolean, openedAt: number, reopensAt: number, at: number): void {
		this.#period = [openedAt, reopensAt];
		this.open = open;
		this.openedAt = openedAt;
		this.reopensAt = reopensAt;
		this.changedAt = at;
		this.gen++;
		this.probes.length = 0;
		this.#halfOpen = false;
		this.#window.reset();
	}
}
