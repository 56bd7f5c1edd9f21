import type { PolicyCall } from '../core/policy.js';
import { describe, isOptions, isTimerMs, thrownText, timerMs } from '../utils/validate.js';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { SteadfetchError } from '../errors/SteadfetchError.js';
import { clientClosed, untilClosed } from '../core/closing.js';
import { circuitFor, restore, type Circuits } from './circuits.js';
import { poke } from './probe.js';
import { monotonicNow } from '../utils/clock.js';

/**
 * `ms` of real time, cut short by `close()` and by a change of state (`Circuits.paused`); also by `signal`'s
 * abort and by `until` settling, if given (an attempt's wait for an early probe, breaker.ts).
 */
export const pause = async (wake: Set<() => void>, ms: number, signal?: AbortSignal, until?: Promise<unknown>): Promise<void> => new Promise((resolve) => {
	const done = (): void => {
		clearTimeout(timer);
		wake.delete(done);
		signal?.removeEventListener('abort', done);
		resolve();
	};
	const timer = setTimeout(done, ms);
	wake.add(done);
	signal?.addEventListener('abort', done);
	until?.then(done, done);
});

/**
 * `waitForHealthy`'s `timeoutMs` (default 30 000), its options checked: also by the preset's stand-in
 * when the breaker is off (src/entries/index.ts), so bad options reject there too.
 */
export const waitMs = (waitOptions?: { timeoutMs?: number }): number => {
	// Options that are no object (`5`, `'x'`, a list) would read as none: refused, as a call's are (`null` is none).
	if (waitOptions != null && !isOptions(waitOptions)) {
		throw new InvalidRequestError(`\`waitForHealthy\` takes { timeoutMs } as options; got ${describe(waitOptions)}`);
	}

	let timeoutMs: unknown;
	try {
		({ timeoutMs = 30_000 } = waitOptions ?? {});
	} catch (error) {
		// Options that cannot be read (a Proxy whose traps throw): refused as any other bad value, never the trap's error.
		throw new InvalidRequestError(`\`waitForHealthy\` could not read its options: ${thrownText(error)}`, { cause: error });
	}

	// A duration, at most what a timer holds, as every other (API.md "Option values").
	if (!isTimerMs(timeoutMs)) {
		throw new InvalidRequestError(`\`timeoutMs\` must be ${timerMs}; got ${describe(timeoutMs)}`);
	}

	return timeoutMs;
};

/** A request's client (`withContext(ctx)`, breaker.ts `membersFor`): `closed` and `gone` settled once its `close()` was called. */
export interface Gone {
	closed?: boolean;
	gone?: Promise<unknown>;
}

/** `client.waitForHealthy()` (see `BreakerMembers.waitForHealthy`); `call`, a request's client's, also ends as that one closes. */
export const waitForHealthy = async (circuits: Circuits, urlOrScope: string | URL, waitOptions?: { timeoutMs?: number }, call?: PolicyCall & Gone): Promise<void> => {
	const timeoutMs = waitMs(waitOptions);
	const circuit = circuitFor(circuits, urlOrScope);
	// Real time: the caller waits `timeoutMs` of it, and the pauses below are real timers.
	const end = monotonicNow() + timeoutMs;
	// Like a first call, it reads the scope's stored state first (after a reload nothing may have
	// yet): bounded by `storageTimeoutMs`; a failing store leaves what this client knows. `close()` rejects
	// it at once, also during that read (and one made after it, before any); so does its request's client's (`call`).
	const closed = (): boolean => circuits.closed || !!call?.closed;
	if (closed()) {
		throw clientClosed();
	}

	const loading = restore(circuits, circuit);
	await (loading && untilClosed(call?.gone ? Promise.race([loading, call.gone]) : loading, circuits.wake));

	// Asked every 20 ms; with `breaker.probe`, nobody's call need come: the probe goes each time the
	// breaker lets one through (the injected clock may move on its own). `close()` wakes it at once.
	// With a coordinator, the state this isolate adopted is synced again once older than `sharedCacheMs`
	// (one sync at a time): a closing elsewhere in the fleet (a probe, a reset) wakes it with no call.
	// Like a first call, it does not resolve under a state it has not synced within `sharedCacheMs`
	// (never, in a new isolate): it waits for that first sync (`asking`), as a call would, within `timeoutMs`.
	let asking = false;
	let syncing: Promise<unknown> | undefined;
	const ask = (): void => {
		syncing ??= circuits.link?.fresh(circuit, call)?.finally(() => {
			syncing = undefined;
			asking = false;
		});
	};

	ask();
	asking = !!syncing;
	for (let left = 0; closed() || asking || circuit.record.state !== 'closed'; await pause(circuits.paused, Math.min(left, 20), undefined, call?.gone)) {
		if (closed()) {
			throw clientClosed();
		}

		left = end - monotonicNow();
		if (left <= 0) {
			throw new SteadfetchError(`${circuit.record.scope} was not healthy within ${timeoutMs} ms`, 'TIMEOUT', true);
		}

		ask();
		poke(circuits, circuit, circuits.clock.now(), call);
	}
};
