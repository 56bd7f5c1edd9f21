import type { FetchInit, FetchLike } from '../core/types.js';
import { CircuitOpenError } from '../errors/CircuitOpenError.js';
import { send, type Settle } from './attempt.js';
import type { BreakerOptions } from './options.js';
import type { BreakerStore, Persisted } from './persist.js';
import { probeRequest, probeTransport } from './probe.js';
import type { Policy } from './resolve.js';
import type { Sharing } from './share.js';
import type { Shared } from './shared.js';
import type { Clock } from '../core/types.js';

export interface ProbeDeps {
	readonly policy: Policy;
	readonly options: BreakerOptions;
	readonly persisted: BreakerStore;
	readonly shared: Shared | undefined;
	/** With `shared`: the coordinator's grant of the probe in flight, by circuit. */
	readonly grants: WeakMap<object, number>;
	readonly settle: Settle;
	readonly clock: Clock;
	sharing(): Sharing | undefined;
	transport(): FetchLike | undefined;
	/** Go through the breaker again (the state changed while the probe waited). */
	attempt(entry: Persisted, request: Request, init: FetchInit | undefined, next: FetchLike): Promise<Response>;
}

/** The half-open probe, in its three forms: a caller's call, `breaker.probe`'s own request, the coordinator's grant first. */
export const createProbes = (deps: ProbeDeps) => {
	const { policy, options, persisted, shared, grants, settle, clock, attempt } = deps;

	/**
	 * With `shared`, the half-open probe is the coordinator's to grant (one in the world): granted, or
	 * the coordinator unreachable (the local breaker decides), the probe goes; held elsewhere, the
	 * caller fails fast — unless the answer closed the breaker, then the call goes through.
	 */
	const sharedProbe = async (entry: Persisted, started: number, request: Request, init: FetchInit | undefined, next: FetchLike): Promise<Response> => {
		const { circuit, scope } = entry;
		const gen = circuit.gen;
		const granted = await shared!.probe(scope, circuit);
		if (granted === false || circuit.gen !== gen) {
			circuit.release(gen, started);
			if (!circuit.open) {
				return attempt(entry, request, init, next);
			}

			throw new CircuitOpenError(scope, policy.probeTimeoutMs);
		}

		if (granted !== undefined) {
			grants.set(circuit, granted);
		}

		if (options.probe !== undefined) {
			probeAside(entry, started);
			throw new CircuitOpenError(scope, policy.probeTimeoutMs);
		}

		return probe(entry, started, request, init, next);
	};

	/**
	 * A half-open probe: take the cross-tab lock, re-read the stored state under it (another tab's
	 * probe may have just settled), then send. The probe settles at its outcome or when its request
	 * signal aborts (ky's timeout, the caller), whichever comes first; the lock is given back once
	 * the new state is stored, so the next tab to take it reads that state instead of probing again.
	 */
	const probe = async (entry: Persisted, started: number, request: Request, init: FetchInit | undefined, next: FetchLike): Promise<Response> => {
		const { circuit, scope } = entry;
		const gen = circuit.gen;
		const sharing = deps.sharing();
		const release = sharing ? await sharing.lock(scope, policy.halfOpenProbes) : () => undefined;
		if (!release) {
			circuit.release(gen, started);
			throw new CircuitOpenError(scope, policy.probeTimeoutMs);
		}

		if (sharing) {
			await persisted.read(entry, 'shared');
		}

		if (circuit.gen !== gen) {
			release();
			return attempt(entry, request, init, next);
		}

		return send(settle, circuit, started, request, init, next, () => {
			void entry.saving.then(release);
		});
	};

	/**
	 * `breaker.probe`: send the probe's own request (through the transport, not ky: no hooks, no
	 * retries) in place of a caller's, under the same cross-tab lock. Never rejects.
	 */
	const probeAside = (entry: Persisted, started: number): void => {
		const request = probeRequest(options.probe!, entry.scope, policy.probeTimeoutMs);
		const transport = deps.transport();
		if (request && transport) {
			probe(entry, started, request, undefined, probeTransport(transport)).catch(() => undefined);
		} else {
			// No request could be made: a failed probe (the breaker re-opens for its next period).
			entry.circuit.record(clock.now(), entry.circuit.gen, true, 0, started);
		}
	};

	return { probe, probeAside, sharedProbe };
};
