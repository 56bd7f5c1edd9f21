import { bounded, closed, machine, PROBE, readRecord, type BreakerRecord } from './circuit.js';
import { isNonNegativeFinite, isNonNegativeInteger } from '../utils/validate.js';

/** The thresholds an isolate sends with each sync (its breaker's options), bounded by the coordinator. */
export interface SharedPolicy {
	consecutiveFailures: number;
	openMs: number;
	maxOpenMs: number;
	/** How long a granted probe holds the scope's single probe slot, in ms. */
	probeTimeoutMs: number;
}

/** What an isolate tells the coordinator of one scope, and asks it. */
export interface SyncMessage {
	policy: SharedPolicy;
	/** Outcomes of attempts since the last sync, in order: 0 a success, else the failure's Retry-After in ms (1 for none). At most 64. */
	outcomes: number[];
	/** Ask for the half-open probe (granted to one caller in the world at a time). */
	probe?: boolean;
	/**
	 * With `probe`: how long the probe's attempt may take (its call's `timeout`), in ms: the grant holds
	 * the scope's probe slot that long (bounded like `probeTimeoutMs`; missing: `probeTimeoutMs`).
	 */
	probeMs?: number | undefined;
	/**
	 * The outcome of a probe this isolate was granted: its grant time, whether it failed, the
	 * Retry-After of its failed answer in ms (0 or missing: none; an older isolate sends none), which
	 * re-opens the scope for that long as a failure's in `outcomes` does, and the HTTP status of its answer
	 * (missing: none, or an older isolate), which the closed state it makes carries (`BreakerRecord.status`, 200 to 599,
	 * else none): every isolate that adopts that closing tells `scope:back` with it where its own attempts failed.
	 */
	probed?: { at: number; failed: boolean; retryAfterMs?: number; status?: number };
	/**
	 * The grant time of a probe this isolate gave up without an outcome (its attempt ended before it
	 * was sent, or the caller aborted it): nothing is counted, the probe slot is freed. An older
	 * coordinator ignores it: the slot is then held until `probeTimeoutMs`.
	 */
	freed?: number;
	/** `client.breaker.isolate` / `reset`, for every isolate. */
	command?: 'isolate' | 'reset';
	/**
	 * A number in [0, 1) from the isolate's `random`: the jitter of the open period if this sync opens
	 * the scope (the fleet's period, jittered once where it is decided). Bounded by the coordinator;
	 * missing (an older isolate) or not a finite number: 0.5, the nominal period.
	 */
	jitter?: number;
}

/**
 * The coordinator's answer: the scope's state as a breaker record (closed: with the fleet's failures
 * in a row, `failures`, which tell an isolate its closed state is not clean, see `sharedTimeoutMs`),
 * and the probe grant's time when one was granted.
 */
export interface SyncAnswer {
	record: BreakerRecord;
	granted?: number;
}

/** One scope's state, as a coordinator stores it. */
export interface ScopeState {
	v: 1;
	record: BreakerRecord;
	consecutive: number;
	/** The probe granted last, while it holds the scope's probe slot (epoch ms); 0 when none. */
	probeAt: number;
	/** How long that probe holds the slot (its `SyncMessage.probeMs`), in ms; 0 or none: the policy's `probeTimeoutMs`. */
	probeMs?: number | undefined;
}

/** A finite number bounded to [min, max], else `fallback`. */
export const clamp = (value: unknown, min: number, max: number, fallback: number): number =>
	typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;

/** The longest a granted probe holds a scope's probe slot (`probeTimeoutMs`, `probeMs`), in ms. */
const maxProbeMs = 600_000;

/**
 * The state of a scope a coordinator holds nothing of (never written, lost, or not ours): closed as of
 * `at` (the coordinator's now, as Redis's `breakerOf` does): dated 0, it would be older than the open
 * state an isolate adopted before the loss, which would never take it, and be refused every probe (a
 * closed scope grants none): failing fast for good with the fleet's state closed.
 */
export const emptyState = (scope: string, at = 0): ScopeState => ({ v: 1, record: closed(scope, at), consecutive: 0, probeAt: 0 });

/** The longest open period a coordinator decides (`sync` bounds a message's `maxOpenMs` to it), in ms. */
export const maxFleetOpenMs = 3_600_000;

/**
 * A stored state of `scope`, checked and bounded before use, or `undefined` when it is missing or not
 * one of ours. Its record is read as an isolate reads one (`readRecord`: opened no later than `now`,
 * open at most `maxFleetOpenMs`; dated no further ahead than that, as the tabs read one: else every
 * isolate that adopted it would take no state of the fleet dated before it, once the key is lost),
 * its failures in a row a whole count (at most 1 000), its probe a
 * time: a state another program, a garbled write or a clock far ahead left in a Deno KV, a Durable
 * Object's storage or Redis can neither hold a scope open nor keep it from opening.
 */
export const readState = (scope: string, value: unknown, now: number): ScopeState | undefined => {
	const { v, record, consecutive, probeAt, probeMs } = (value ?? {}) as Partial<ScopeState>;
	const read = v === 1 ? readRecord(record, now, maxFleetOpenMs) : undefined;
	return read?.scope === scope && read.at <= now + maxFleetOpenMs && isNonNegativeInteger(consecutive) && isNonNegativeFinite(probeAt)
		? { v: 1, record: read, consecutive: Math.min(consecutive, 1000), probeAt, probeMs: clamp(probeMs, 0, maxProbeMs, 0) } : undefined;
};

/**
 * Apply one isolate's message to a scope's state (changed in place) and answer it. The shared
 * breaker is the isolates' own state machine (`machine` of breaker/circuit.ts) run by the
 * coordinator over the message's thresholds, bounded so a message cannot hold a scope open for more
 * than an hour: consecutive failures across isolates open it (`openMs × 2^opens`, jittered within
 * ±20 % by the message's `jitter`, clamped to [0, 1], 0.5 when missing or not a finite number; capped at
 * `maxOpenMs`), a failure with Retry-After opens it for that long (a probe's too); once the open period is over, one
 * probe is granted in the world at a time, and one that reports nothing within `probeTimeoutMs`
 * counts as failed; the probe's success closes it, its failure re-opens it for longer. Isolated by
 * hand: open until reset, no probe. (The failure ratio stays each isolate's own.)
 */
export const sync = (state: ScopeState, message: SyncMessage, now: number): SyncAnswer => {
	const policy: Partial<SharedPolicy> | undefined = message?.policy;
	const maxOpenMs = clamp(policy?.maxOpenMs, 1, maxFleetOpenMs, 300_000);
	// The sender's draw, used only if this sync opens the scope: every isolate that adopts it has the same period.
	const jitter = clamp(message?.jitter, 0, 1, 0.5);
	const probeTimeoutMs = clamp(policy?.probeTimeoutMs, 1, maxProbeMs, 10_000);
	const { circuit, admit, count, isolate, reset, snapshot } = machine({
		consecutiveFailures: Math.round(clamp(policy?.consecutiveFailures, 1, 1000, 5)),
		openMs: clamp(policy?.openMs, 1, maxOpenMs, 5_000),
		maxOpenMs,
		probeTimeoutMs,
		halfOpenProbes: 1,
		minimumThroughput: Number.POSITIVE_INFINITY,
		failureRatio: 1,
		windowMs: 1,
	}, () => undefined, () => jitter);
	const scope = circuit(state.record.scope);
	// A stored open period is bounded by this message's `maxOpenMs` too (API.md: no time read is used beyond
	// its options' bounds), not only by `maxFleetOpenMs`: one planted (or left by a client of the name with a
	// longer `maxOpenMs`) cannot refuse this isolate's probe past its own bound.
	scope.record = readRecord(state.record, now, maxOpenMs)!;
	scope.consecutive = state.consecutive;
	scope.probes = state.probeAt ? [state.probeAt] : [];
	scope.probeMs = state.probeMs ?? 0;
	snapshot(scope, now); // A granted probe that never reported counts as failed first.
	if (message?.command === 'isolate') {
		isolate(scope, now);
	} else if (message?.command === 'reset') {
		reset(scope, now);
	}

	for (const outcome of Array.isArray(message?.outcomes) ? message.outcomes.slice(0, 64) : []) {
		if (scope.record.state === 'open') {
			break; // Outcomes of attempts sent before it opened say nothing more.
		}

		count(scope, scope.record, now, outcome !== 0, typeof outcome === 'number' && outcome > 1 ? outcome : 0);
	}

	// A probe's outcome, or a probe given up (`freed`): its slot freed, nothing counted.
	const probed = message?.probed;
	const at = probed ? probed.at : message?.freed;
	if (scope.probes.includes(at!)) {
		// Its answer's status, kept with the closed state a success makes (as an isolate reads one: an HTTP status, else none).
		const status = probed?.status;
		count(scope, scope.record, now, probed ? Boolean(probed.failed) : undefined, clamp(probed?.retryAfterMs, 0, maxOpenMs, 0), at, undefined, undefined, bounded(status, 599) === status && status >= 200 ? status : undefined);
	}

	// The grant holds the slot for the probe's own attempt timeout (a per-call `timeout` too), as an isolate's local probe does.
	const granted = message?.probe === true && admit(scope, now, undefined, clamp(message.probeMs, 1, maxProbeMs, probeTimeoutMs)) === PROBE;
	state.record = scope.record;
	state.consecutive = scope.consecutive;
	state.probeAt = scope.probes[0] ?? 0;
	state.probeMs = scope.probeMs;
	const record = state.record.state === 'closed' && state.consecutive > 0 ? { ...state.record, failures: state.consecutive } : state.record;
	return granted ? { record, granted: now } : { record };
};
