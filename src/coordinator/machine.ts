import type { BreakerRecord } from '../breaker/circuit.js';

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
	/** The outcome of a probe this isolate was granted: its grant time and whether it failed. */
	probed?: { at: number; failed: boolean };
	/** `client.breaker.isolate` / `reset`, for every isolate. */
	command?: 'isolate' | 'reset';
}

/** The coordinator's answer: the scope's state as a breaker record, and the probe grant's time when one was granted. */
export interface SyncAnswer {
	record: BreakerRecord;
	granted?: number;
}

/** One scope's state, as a coordinator stores it. */
export interface ScopeState {
	v: 1;
	record: BreakerRecord;
	consecutive: number;
	/** The probe granted last, and until when it holds the slot (epoch ms); 0 when none. */
	probeAt: number;
	probeUntil: number;
}

const clamp = (value: unknown, min: number, max: number, fallback: number): number =>
	typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;

/** The isolate's thresholds, bounded: a message cannot hold a scope open for more than an hour. */
const bounded = (policy: Partial<SharedPolicy> | undefined): SharedPolicy => {
	const maxOpenMs = clamp(policy?.maxOpenMs, 1, 3_600_000, 300_000);
	return {
		consecutiveFailures: Math.round(clamp(policy?.consecutiveFailures, 1, 1000, 5)),
		openMs: clamp(policy?.openMs, 1, maxOpenMs, 5_000),
		maxOpenMs,
		probeTimeoutMs: clamp(policy?.probeTimeoutMs, 1, 600_000, 10_000),
	};
};

export const emptyState = (scope: string): ScopeState => ({
	v: 1, record: { v: 1, scope, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: 0 }, consecutive: 0, probeAt: 0, probeUntil: 0,
});

/** A stored state, or a fresh one when it is missing or not one of ours. */
export const readState = (scope: string, value: unknown): ScopeState => {
	const state = value as Partial<ScopeState> | undefined;
	return state?.v === 1 && state.record?.scope === scope && typeof state.consecutive === 'number' ? state as ScopeState : emptyState(scope);
};

const open = (state: ScopeState, now: number, ms: number, policy: SharedPolicy): void => {
	const { record } = state;
	const opens = record.state === 'open' ? record.opens + 1 : record.opens;
	state.record = { v: 1, scope: record.scope, state: 'open', openedAt: now, reopensAt: now + Math.min(policy.maxOpenMs, ms), opens: Math.min(opens, 32), at: now };
	state.probeAt = 0;
	state.probeUntil = 0;
};

const close = (state: ScopeState, now: number): void => {
	state.record = { v: 1, scope: state.record.scope, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: now };
	state.consecutive = 0;
	state.probeAt = 0;
	state.probeUntil = 0;
};

/**
 * Apply one isolate's message to a scope's state (changed in place) and answer it. The state machine
 * of the shared breaker: consecutive failures across isolates open it (`openMs × 2^opens`, capped at
 * `maxOpenMs`), a failure with Retry-After opens it for that long; once the open period is over, one
 * probe is granted in the world at a time (the slot is held `probeTimeoutMs`); the probe's success
 * closes it, its failure re-opens it for longer. Isolated by hand: open until reset, no probe.
 */
export const sync = (state: ScopeState, message: SyncMessage, now: number): SyncAnswer => {
	const policy = bounded(message?.policy);
	if (message?.command === 'isolate') {
		state.record = { ...state.record, state: 'open', openedAt: now, reopensAt: now, at: now, isolated: true };
	} else if (message?.command === 'reset') {
		close(state, now);
	}

	const outcomes = Array.isArray(message?.outcomes) ? message.outcomes.slice(0, 64) : [];
	for (const outcome of outcomes) {
		if (state.record.state === 'open') {
			break; // Outcomes of attempts sent before it opened say nothing more.
		}

		if (outcome === 0) {
			state.consecutive = 0;
		} else if (typeof outcome === 'number' && outcome > 1) {
			state.consecutive++;
			open(state, now, outcome, policy);
		} else if (++state.consecutive >= policy.consecutiveFailures) {
			open(state, now, policy.openMs * 2 ** state.record.opens, policy);
		}
	}

	const probed = message?.probed;
	if (probed && state.record.state === 'open' && !state.record.isolated && probed.at === state.probeAt) {
		if (probed.failed) {
			open(state, now, policy.openMs * 2 ** (state.record.opens + 1), policy);
		} else {
			close(state, now);
		}
	}

	const { record } = state;
	if (message?.probe === true && record.state === 'open' && !record.isolated && now >= record.reopensAt && now >= state.probeUntil) {
		state.probeAt = now;
		state.probeUntil = now + policy.probeTimeoutMs;
		return { record, granted: now };
	}

	return { record };
};
