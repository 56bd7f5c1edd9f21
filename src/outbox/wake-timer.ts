import type { Clock } from '../core/types.js';

const maxTimeout = 2_147_483_647;

/**
 * One timer for the drain, set for the earliest time something is due (a blocked head, a retry after
 * a storage failure); an earlier wake replaces a later one. Where timers keep a process alive (Node,
 * Deno) it does not: a script whose calls are done exits, and what is still pending stays stored and
 * replays on the next start. In workerd outside a request (no timers) it sets nothing: the next
 * trigger drains instead.
 */
export class WakeTimer {
	readonly #clock: Clock;
	readonly #wake: () => void;
	#timer: ReturnType<typeof setTimeout> | undefined;
	#at = Infinity;

	constructor(clock: Clock, wake: () => void) {
		this.#clock = clock;
		this.#wake = wake;
	}

	/** Wake at `at` (epoch ms, injected clock) unless already set to wake earlier. */
	set(at: number): void {
		if (!Number.isFinite(at) || (this.#timer !== undefined && this.#at <= at)) {
			return;
		}

		this.clear();
		this.#at = at;
		try {
			this.#timer = setTimeout(() => {
				this.#timer = undefined;
				this.#at = Infinity;
				this.#wake();
			}, Math.min(maxTimeout, Math.max(0, at - this.#clock.now())));
			(this.#timer as { unref?: () => void }).unref?.();
		} catch {
			this.#timer = undefined;
			this.#at = Infinity;
		}
	}

	clear(): void {
		clearTimeout(this.#timer);
		this.#timer = undefined;
		this.#at = Infinity;
	}
}
