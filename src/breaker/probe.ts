import type { PolicyCall } from '../core/policy.js';
import { PROBE, type Circuit } from './circuit.js';
import { eachPeer, noop, tally, type Circuits } from './circuits.js';
import { heldRequest } from '../utils/runtime.js';
import { classify } from '../errors/classify.js';
import { originFailed } from '../errors/origin-failed.js';
import { isSteadfetchError } from '../errors/SteadfetchError.js';

/**
 * Make the probe slot `admit` gave at `started` this context's: with a coordinator, its grant first
 * (one probe in the world; an unreachable coordinator leaves it to this isolate); across tabs, one
 * of the scope's Web Locks, and the stored state read again under it (another tab's probe may just
 * have settled: `Circuits.probeLock`, which tabs.ts's `start()` sets where there are tabs and Web
 * Locks; never in the edge build). Resolves with what to run once the probe is counted (the lock is
 * given back once the new state is stored, so the next tab to take it reads that state instead of
 * probing again), or `undefined`: not ours after all, the slot is freed (the coordinator's grant too). So is
 * the slot of an attempt given up while it waited (`signal`, the attempt's: ky's timeout, a lost hedge), or
 * whose client closed meanwhile: nothing was sent, nothing is counted.
 */
export const claim = async (circuits: Circuits, circuit: Circuit, started: number, call: PolicyCall | undefined, signal?: AbortSignal): Promise<(() => void) | undefined> => {
	const { record } = circuit;
	const { probeLock, link } = circuits;
	let release = link && (await link.probe(circuit, call)) === false ? undefined : noop;
	if (release && probeLock) {
		release = await probeLock(circuit, started);
	} else if (!link) {
		// Where no channel or coordinator shares the slots, the peers' probes in flight (a client's and its
		// extensions') take them too, each peer's lost probe counted first (`snapshot`): one probe for them all.
		let probes = circuit.probes.length;
		eachPeer(circuits, (peer) => {
			const twin = peer.scopes.get(record.scope);
			probes += twin && peer.snapshot(twin, started) ? twin.probes.length : 0;
		});
		if (probes > circuits.settings.halfOpenProbes) {
			release = undefined;
		}
	}

	if (release && circuit.record === record && !signal?.aborted && !circuits.closed) {
		return () => void Promise.resolve(circuit.saved).then(release);
	}

	tally(circuits, circuit, record, started, undefined, undefined, call);
	release?.();
	return undefined;
};

/**
 * `breaker.probe`'s own request: straight to the transport (no hooks, no retries), bounded by the
 * probe timeout; any answer of 400 or more fails (a 404 too), but a steadfetch service worker's refusal of its client's
 * own (`originFailed`: nothing), or its stale copy for one, is no probe, its slot freed, and its stale copy for a network
 * failure, a timeout or a 5xx a failed one; its body is let go at once. A subrequest of the
 * request context of the call that found the breaker half-open: none goes once it has none left.
 */
export const probe = async (circuits: Circuits, circuit: Circuit, started: number, call?: PolicyCall): Promise<void> => {
	const { record } = circuit;
	if (circuits.closed) {
		return tally(circuits, circuit, record, started, undefined); // none after close(): its slot is freed, nothing counted
	}

	// The client's world as it starts (no identity bound: the breaker is the origin's), which its report to a coordinator is
	// bound to (`BreakerLink.report`): a probe started before a `clear()` that fails after it is counted there for nothing.
	const world = circuits.context.world();

	const after = await claim(circuits, circuit, started, call);
	if (after) {
		let response: Response | undefined;
		let failed: boolean | undefined = true;
		let sending: AbortSignal | undefined; // the probe's signal, once its request was made
		try {
			const { scope } = record;
			const own = circuits.options.probe!;
			// An absolute URL (http or https: `breaker.probe`'s rule) as it is (a custom `scope` is no URL to resolve against), else
			// against the scope: a path whose query holds a URL (`/health?next=https://…`) too.
			const made = typeof own === 'string' ? new Request(/^https?:/i.test(own) ? own : new URL(own, scope.replace(/\/?$/, '/'))) : own(scope);
			if (circuits.context.subrequest(call)) {
				const signal = AbortSignal.any([made.signal, AbortSignal.timeout(circuits.settings.probeTimeoutMs)]);
				sending = signal;
				// A transport that ignores its signal (a fetch wrapper that drops it): the probe fails at its abort, as a caller's
				// attempt counts at its own (`send`), and its lock is given back then, not when (if ever) the transport settles.
				// Held by its signal until then (`heldRequest`): the abort at the probe's timeout reaches a `fetch` that waits on nothing else.
				const [sent, release] = heldRequest(made, { signal });
				response = await Promise.race([circuits.transport!(sent), new Promise<never>((_, reject) => {
					signal.onabort = reject;
				})]).finally(release);
				void response.body?.cancel().catch(noop);
				// A steadfetch service worker's refusal of its client's own (its breaker open, its throttle), or its stale copy for
				// one: the origin was not asked. No probe, as that refusal counts in the worker and as a caller's attempt answered so
				// counts here (`send`). Its copy for a network failure, a timeout or a 5xx: a failed probe.
				const origin = originFailed(response);
				failed = origin === undefined ? undefined : origin || response.status >= 400;
			} else {
				failed = undefined; // The context has no subrequest left for it: no probe, the slot is freed.
			}
		} catch (error) {
			// No request could be made, or no answer came (a network failure, the probe's timeout): a failed probe. A refusal
			// of the client's own as it went (a policy below the breaker: an app's without a band) or an error of the app's
			// `fetch` (`classify()`: not transient) says nothing of the origin: no probe, its slot freed, as for a caller's attempt (`send`).
			failed = !sending || sending.aborted || (!isSteadfetchError(error) && classify(error).transient) || undefined;
		}

		tally(circuits, circuit, record, started, failed, response, undefined, world);
		after();
	}
};

/** With `breaker.probe`, its probe goes now if the breaker lets one through (none after `close()`); `call`: whose request context it counts in. */
export const poke = (circuits: Circuits, circuit: Circuit, now: number, call?: PolicyCall): void => {
	if (circuits.options.probe !== undefined && !circuits.closed && circuits.admit(circuit, now, call?.waitUntil) === PROBE) {
		circuit.probing = probe(circuits, circuit, now, call);
		circuit.probing.catch(noop);
	}
};
