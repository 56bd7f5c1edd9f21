import type { WaitUntil } from '../core/types.js';
import { BucketWindow } from '../utils/window.js';
import type { BreakerSnapshot } from './snapshot.js';

/**
 * The shared and persisted form of one scope's breaker: a plain, versioned object, the same in the
 * store (key: the scope), on the BroadcastChannel and from a coordinator. Half-open is not stored:
 * it is derived from `reopensAt` when asked. Version 2 added the failure counts of a closed state
 * (`failures`, `window`), which travel with it (the tabs' channel, the store, a coordinator's
 * answer); a version 1 record (no counts) is still read.
 */
export interface BreakerRecord {
	v: 2;
	scope: string;
	state: 'open' | 'closed';
	/** Epoch ms; 0 when closed. */
	openedAt: number;
	/** Epoch ms when a probe may go through; 0 when closed. */
	reopensAt: number;
	/** Opens since the last full close: the next open lasts `openMs × 2^opens` (capped). */
	opens: number;
	/**
	 * When this state began (epoch ms): the later record wins. At least 1 ms after the record it
	 * follows (`after`), so two changes within one ms are ordered in every tab too (a reset right after
	 * an isolation, a probe that closes the breaker in the ms it opened).
	 */
	at: number;
	/** Opened by hand (`client.breaker.isolate`): open until reset. */
	isolated?: true;
	/**
	 * Opened by an attempt that got no HTTP answer (a network failure, a timeout; a steadfetch service worker's `503`/`504`
	 * saying its own attempts met one, `Steadfetch-Error: NETWORK` or `TIMEOUT`): a recovery trigger
	 * (`online`, the page visible again, a reload) turns it half-open before its period is over.
	 */
	unanswered?: true;
	/**
	 * Re-opened by a failed probe that a recovery trigger let through (early, or once the period was over): the other tabs, which get
	 * the same `online` (or their own `visibilitychange`) a few ms later, do not turn it half-open again
	 * for a second probe of an origin just found down (`recover`).
	 */
	probed?: true;
	/**
	 * The closed state a `clear()` told the other tabs (dated half a second ahead): it lifts no kill switch, not one another
	 * tab turned on before the clear reached it either (API.md: only `reset()` does), and an isolation is taken over it
	 * whatever their dates (`adopt`).
	 */
	cleared?: true;
	/**
	 * Failures in a row counted in this closed state, across the tabs of the name (or, from a
	 * coordinator, the fleet); bounded by `consecutiveFailures` when read. Absent: none (or unknown).
	 * Of an open state: the failures in a row it opened with (what its snapshot shows), at most 1 000.
	 */
	failures?: number;
	/** The failure-ratio window's calls and failures as of `at` (epoch ms), for a reload to go on counting. */
	window?: { calls: number; failures: number; at: number };
	/** One outcome on the tabs' channel (not stored): 1 a failure (`unanswered`: without an HTTP answer), 0 a success. */
	outcome?: 0 | 1;
	/**
	 * The HTTP status of the answer it tells: an outcome's (on the tabs' channel), or of a closed state, the answer of the
	 * probe that closed it (`probe-succeeded`; none for a `reset()`'s or a `clear()`'s, which no answer made). Where it is
	 * one `classify()` does not call transient, it is `scope:back` in a tab whose own attempts failed or whose copy answered
	 * (tabs.ts `hear`; circuits.ts, for a closing another tab tells). Read bounded (`readRecord`): 200 to 599, else none.
	 */
	status?: number;
	/**
	 * This context only (never read: `readRecord` leaves it out): a recovery trigger made this open
	 * record half-open before its period was over, which ended then (epoch ms). A probe started before
	 * it that fails re-opens for the nominal period that was running, not doubled (`open`). Also set
	 * (to its opening) on the record this context's failed early probe re-opened (`probed`), and (to its
	 * end) on one a reload found with its period over: its first call waits for `breaker.probe` too.
	 */
	early?: number;
}

/**
 * One scope's breaker. Its state is its record: every change of state is a new record, and an
 * attempt remembers the record it started under — its outcome is ignored once the state has moved
 * on: failures still in flight when the breaker opens cannot re-open it or stretch it, and a late
 * answer of an expired probe cannot close it.
 */
export interface Circuit {
	record: BreakerRecord;
	consecutive: number;
	/** Start times of this context's probes in flight, oldest first. */
	probes: number[];
	/**
	 * How long this context's probes in flight may take before they count as failed (ms): the longest
	 * attempt timeout among them (a caller's request given a `timeout` of its own); the probe timeout
	 * when unset (a coordinator's granted probe).
	 */
	probeMs?: number;
	/** The open record `breaker:half-open` was told for (once per open period). */
	half?: BreakerRecord;
	/** Calls (0) and failures (1) over `windowMs`. */
	window: BucketWindow;
	/**
	 * The stored state was read (the first calls to a scope wait for it). `false`: known only from
	 * another tab's messages, not read yet: held like a closed one (circuits.ts `held`).
	 */
	read?: boolean;
	/** The last write of the state: a probe's cross-tab lock is given back once others can read it. */
	saved?: Promise<unknown>;
	/** A write of the counts was asked for and has not read the store yet (tabs.ts `shareCount`): a success asks for none more. */
	storing?: boolean;
	/**
	 * The record the stored state left (`load`), or that a recovery trigger let through early (tabs.ts `recover`): the
	 * early probe under it is waited for by every call of this context (breaker.ts).
	 */
	reloaded?: BreakerRecord;
	/**
	 * A reload's first read of the stored state failed and the other tabs were asked then (epoch ms, circuits.ts `load`):
	 * the first record told of the scope within `storageTimeoutMs` of it stands for that read (tabs.ts `start`); a later
	 * one is another tab's news (an opening there a minute on is no reload's to probe at once).
	 */
	asked?: number | undefined;
	/** This context's latest probe (its claim, then its request): a call waiting for an early probe goes on when it settles. */
	probing?: Promise<unknown>;
	/**
	 * When this tab last answered another tab's `ask` of the scope, or told back its window to another tab's outcome (epoch
	 * ms; tabs.ts: at most once a second).
	 */
	answered?: number;
	/** When this context (one without a page) last took a page's recovery trigger for the scope (epoch ms; tabs.ts: at most once a second). */
	recovered?: number;
	/**
	 * The last state taken from another tab or a peer (circuits.ts `receive`): a coordinator's answer to a sync sent before
	 * it adopts nothing (shared.ts), as after a command by hand: it may carry the state that tab ended (its `reset()`).
	 */
	fromTabs?: BreakerRecord;
	/** Attempts sent and not counted yet, or waiting for its stored state or its sync: a closed circuit is forgotten (`Scopes`) only without any. */
	busy: number;
}

/** The breaker's thresholds, resolved and checked: what a circuit reads. */
export interface Settings {
	consecutiveFailures: number;
	minimumThroughput: number;
	halfOpenProbes: number;
	windowMs: number;
	openMs: number;
	maxOpenMs: number;
	failureRatio: number;
	/** A probe that has not settled after this long counts as failed (ms). */
	probeTimeoutMs: number;
}

export type Change = 'open' | 'half-open' | 'closed';

/** `admit()`: go ahead, the breaker is closed. */
export const PASS = -1;
/** `admit()`: go ahead as a half-open probe (a probe slot is now taken). */
export const PROBE = -2;

/**
 * How long after a failed early probe a recovery trigger (`online`, `visible`) is taken as the one
 * that let it through, seen later by another tab: every tab gets `online` at once, and each handles
 * it when its event loop comes to it (ms apart), by then maybe after that probe failed (ms).
 */
const triggerMs = 1_000;

/**
 * How far ahead a `clear()` dates the closed state it tells the other tabs where a channel tells them (ms; circuits.ts
 * `since`): a state a tab made, or an outcome it told, before it heard the clear is older, and counts for nothing (tabs.ts
 * `hear`). Below the second past which a record is taken as the oldest (circuits.ts `read`).
 */
export const clearLeadMs = 500;

/**
 * A tab answers another tab's `{ ask }` of a scope at most once in this many ms, and a tab that asked asks again once
 * it is over (tabs.ts `ask`, `start`).
 */
export const askMs = 1000;

/** The `at` of a circuit's next record, made `now`: after the one it follows (`BreakerRecord.at`). */
const after = ({ record }: Circuit, now: number): number => Math.max(now, record.at + 1);

/** A closed record of `scope`, as of `at`. */
export const closed = (scope: string, at: number): BreakerRecord => ({ v: 2, scope, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at });

/** A count from outside: a non-negative integer, at most `max`; else 0. */
export const bounded = (value: unknown, max: number): number => Number.isInteger(value) && (value as number) > 0 ? Math.min(value as number, max) : 0;

/**
 * A record from outside (the store, another tab, a coordinator), checked and bounded, or
 * `undefined` for anything that is not one (an unknown version, a corrupt value). It opened no
 * later than `now` and no earlier than `maxOpenMs` (and `clearLeadMs`) before its `at` (what `snapshot()` and `stats()` show), and its open period is no longer than `maxOpenMs` from then: a record written
 * by any script of the origin (or a clock far ahead) cannot hold a scope open. An isolation stays
 * open until reset, whatever its times say. `at` orders records only (the later wins) and is kept
 * as written, so a record read again is known as the same one. Version 1 and 2; the counts of a
 * version 2 record are read apart (`takeCounts` and `hear`, circuits.ts), by those that use them.
 * Its scope is at most 8 192 characters: a URL's length, as a `scope` function naming URLs gives them (servers refuse
 * longer URLs), so every scope this build makes is read back (a reload) and heard (the other tabs).
 */
export const readRecord = (value: unknown, now: number, maxOpenMs: number): BreakerRecord | undefined => {
	const { v, scope, state, openedAt, reopensAt, opens, at, isolated, unanswered, probed, cleared, failures, status } = (value ?? {}) as Partial<BreakerRecord>;
	if (((v as number) === 1 || v === 2) && typeof scope === 'string' && scope.length <= 8192 && [openedAt, reopensAt, at].every(Number.isFinite) && Number.isInteger(opens) && opens! >= 0 && (isolated ?? true) === true && (unanswered ?? true) === true) {
		// Opened no earlier than `maxOpenMs` before its record's date, less the lead an isolation told the tabs is dated by (a
		// tab dates an opening at it, ms after; an `isolate()` `clearLeadMs` after): what it shows. A true record reads unchanged.
		// A date ahead of `now` counts as `now`: else a state read again at each sync (a coordinator's) whose date was far
		// ahead (a garbled write, up to the hour `readState` takes) started its period again at each read, open until then.
		const from = Math.min(Math.max(openedAt!, Math.min(at!, now) - maxOpenMs - clearLeadMs), now);
		return state === 'closed' ? { ...closed(scope, at!), ...(cleared === true && { cleared }), ...(bounded(status, 599) === status && status >= 200 && { status }) }
			: state === 'open' ? { v: 2, scope, state, openedAt: from, reopensAt: from + Math.max(0, Math.min(reopensAt! - openedAt!, maxOpenMs)), opens: Math.min(opens!, 32), at: at!, ...(isolated && { isolated }), ...(unanswered && { unanswered }), ...(probed === true && { probed }), failures: bounded(failures, 1000) }
				: undefined;
	}

	return undefined;
};

/**
 * Enter a state: no probe in flight, an empty window; then tell (`change` omitted: silently).
 * `via`: the `waitUntil` of the call that caused the change, handed to `notify` (where the change's
 * write goes); absent for a change no call caused.
 */
type Enter = (circuit: Circuit, record: BreakerRecord, change?: Change, reason?: string, via?: WaitUntil) => void;
/**
 * Open for `ms` (a `Retry-After`), else the next doubling, jittered; `unanswered`: opened by an
 * attempt that got no HTTP answer; `probe`: the start of the probe whose failure re-opens it (one
 * that started early, `BreakerRecord.early`, re-opens for the period that was running, not doubled).
 */
type Open = (circuit: Circuit, now: number, reason: string, ms?: number, unanswered?: boolean, via?: WaitUntil, probe?: number) => void;
/** Hears every change of state, with the `waitUntil` of the call that caused it (if a call did). */
type Notify = (circuit: Circuit, change: Change, reason: string, via?: WaitUntil) => void;

/**
 * The outcome of an attempt started under `record` (`probe`: its start time, for a probe):
 * `true` a failure (`retryAfterMs` > 0 opens it for that long; `unanswered`: it got no HTTP
 * answer), `false` a success, `undefined` nothing to count (its probe slot is freed). `via`: the
 * counted call's `waitUntil`; `status`: its answer's, which the closed state a probe's success makes carries (`BreakerRecord.status`).
 */
const counting = ({ consecutiveFailures, minimumThroughput, failureRatio }: Settings, set: Enter, open: Open) =>
	(circuit: Circuit, record: BreakerRecord, now: number, failed: boolean | undefined, retryAfterMs: number, probe?: number, unanswered?: boolean, via?: WaitUntil, status?: number): void => {
		const { probes, window } = circuit;
		if (record !== circuit.record) {
			return;
		}

		const slot = probes.indexOf(probe!);
		if (slot >= 0) {
			probes.splice(slot, 1);
		}

		if (failed === undefined || record.isolated) {
			// Nothing to count.
		} else if (record.state === 'open') {
			// Only probes pass an open breaker.
			if (failed) {
				open(circuit, now, 'probe-failed', retryAfterMs, unanswered, via, probe);
			} else {
				set(circuit, { ...closed(record.scope, after(circuit, now)), ...(status && { status }) }, 'closed', 'probe-succeeded', via);
			}
		} else if (failed) {
			window.add(now, 0);
			window.add(now, 1);
			const [calls, failures] = window.sums(now);
			circuit.consecutive++;
			if (retryAfterMs > 0) {
				open(circuit, now, 'retry-after', retryAfterMs, false, via);
			} else if (circuit.consecutive >= consecutiveFailures) {
				open(circuit, now, 'consecutive-failures', 0, unanswered, via);
			} else if (calls >= minimumThroughput && failures >= failureRatio * calls) {
				open(circuit, now, 'failure-ratio', 0, unanswered, via);
			}
		} else {
			window.add(now, 0);
			circuit.consecutive = 0;
		}
	};

/** The changes from outside the circuit's own attempts: another record, a recovery trigger, a kill switch. */
const byHand = (set: Enter, notify: Notify) => ({
	/** Take a record from outside (bounded by `readRecord`) if it is newer than ours. */
	adopt(circuit: Circuit, received: BreakerRecord, reason: string): void {
		const { record } = circuit;
		const opening = received.state === 'open';
		// Of two records made in the same ms, an open one over a closed one; and of two openings on HTTP answers from the
		// same state heard from another tab or the fleet, the later period: tabs that opened it in the same ms (each with
		// its own jitter) keep one period. Not a record ordered as the oldest (`at` 0: dated ahead, `readRecord`), nor
		// one opened on attempts without an answer (a recovery trigger cuts its period short in place: `recover`).
		const later = reason === 'shared' && record.at > 0 && !record.unanswered && received.opens === record.opens && received.reopensAt > record.reopensAt;
		// A kill switch and a clear's closed state (`cleared`), whatever their dates: the switch stays, in every tab.
		if (received.cleared && record.isolated) {
			return;
		}

		if (received.at > record.at || (received.at === record.at && opening && (record.state === 'closed' || later)) || (received.isolated && record.cleared)) {
			// Opened in another tab too, from the same state (as many opens), while this one's open period runs and was
			// not told half-open: the tabs' failures crossed on the channel. The later period is taken, the opening told once.
			// Not a re-opening by a failed early probe (`probed`: as many opens, not doubled), a new period this tab is told of.
			const told = opening && record.state === 'open' && received.opens === record.opens && !received.probed && !received.isolated && !record.isolated && circuit.half !== record;
			set(circuit, received, told ? undefined : opening ? 'open' : record.state === 'open' ? 'closed' : undefined, received.isolated && reason === 'restored' ? 'isolated' : reason);
		}
	},

	/**
	 * A recovery trigger (`reason`: `online`, `visible`, `restored`): a breaker open because of
	 * attempts that got no HTTP answer turns half-open now instead of at the end of its period
	 * (the next attempt is the probe; one that fails re-opens it for a new period of the length that
	 * was running, from then, not doubled: `early`). One open on HTTP answers, or by hand, keeps its
	 * period; so does one that another tab re-opened by a failed early probe less than `triggerMs` ago,
	 * on `online` or `visible`: one probe across the tabs per trigger (a reload still probes; in the tab
	 * that probed, a trigger after it is a new one). True when it turned half-open.
	 */
	recover(circuit: Circuit, now: number, reason: string): boolean {
		const { record } = circuit;
		// A trigger within `triggerMs` of another tab's failed early probe is the one that let it through, as this tab got it.
		if (record.state !== 'open' || !record.unanswered || record.isolated || now >= record.reopensAt || (record.probed && record.early === undefined && reason !== 'restored' && now - record.openedAt < triggerMs)) {
			return false;
		}

		set(circuit, { ...record, reopensAt: now, early: record.reopensAt });
		circuit.half = circuit.record;
		notify(circuit, 'half-open', reason);
		return true;
	},

	/**
	 * Open by hand until reset (a kill switch): no probe goes, whatever the time; isolated already, nothing changes. `via`:
	 * where its write goes; `lead`: dated that far ahead (`clearLeadMs` where a channel tells the tabs, as a clear's), so an
	 * opening or a closing a tab made before it heard it is older and does not lift it.
	 */
	isolate(circuit: Circuit, now: number, via?: WaitUntil, lead = 0): void {
		const { record } = circuit;
		if (!record.isolated) {
			set(circuit, { ...record, state: 'open', openedAt: now, reopensAt: now, at: after(circuit, now + lead), isolated: true }, 'open', 'isolated', via);
		}
	},

	/**
	 * Close by hand: ends an isolation (or any open period) at once. `via`: where its write goes; `lead` as `isolate`'s: the
	 * outcomes a tab told before it heard the reset count for nothing after it (tabs.ts `hear`), as before a clear.
	 */
	reset(circuit: Circuit, now: number, via?: WaitUntil, lead = 0): void {
		const { record } = circuit;
		set(circuit, closed(record.scope, after(circuit, now + lead)), record.state === 'open' ? 'closed' : undefined, 'reset', via);
	},
});

/**
 * The state machine of one breaker's scopes: pure over the injected time and randomness, no timers.
 * Open and half-open are derived from timestamps when asked (`admit`, `snapshot`); `notify` hears
 * every change. Each open period it computes is jittered, uniform within ±20 % of its length (never
 * beyond `maxOpenMs`: once the doubling reaches it, within its lower 20 %), drawn from `random` (0.5:
 * none below the cap), so breakers that opened together do not probe
 * together; a server's `Retry-After` is kept as it is. The coordinators run it too
 * (breaker/sync.ts), with the `jitter` the syncing isolate drew: the fleet's one period, jittered once
 * where it is decided, is every isolate's.
 */
export const machine = (settings: Settings, notify: Notify, random = (): number => 0.5) => {
	const { halfOpenProbes, openMs, maxOpenMs, probeTimeoutMs } = settings;

	const set: Enter = (circuit, record, change, reason, via) => {
		circuit.record = record;
		circuit.probes = [];
		circuit.window.reset();
		// A closed state counts from nothing (its stored counts are taken apart); an open one shows the failures in a row
		// that opened it, in every tab and after a reload (its record carries them).
		circuit.consecutive = record.failures || 0;

		if (change) {
			notify(circuit, change, reason!, via);
		}
	};

	const open: Open = (circuit, now, reason, ms = 0, unanswered, via, probe = now) => {
		const { scope, opens, early, reopensAt } = circuit.record;
		// An early probe (started before the period it cut short would have ended) does not advance the doubling.
		const again = early !== undefined && probe < early ? 1 : 0;
		// A probe a recovery trigger (or a reload) let through, also once the period was over (`early` its end): its failure
		// is `probed`, so the other tabs that get the same trigger a moment later do not probe again (`recover`).
		const probed = early! >= reopensAt;
		// Uniform within ±20 % of the nominal period (capped), never beyond `maxOpenMs`: at the cap within its lower 20 %
		// (else every breaker that reached it would reopen together). `low`: its lower bound (1.5 × it is +20 %).
		const low = 0.8 * Math.min(maxOpenMs, openMs * 2 ** Math.max(0, opens - again));
		const period = Math.min(maxOpenMs, ms || low + (Math.min(1.5 * low, maxOpenMs) - low) * random());
		// Re-opened by its own early probe: `early` (now, before any probe under it) tells this context's record from the others' (`recover`).
		set(circuit, { v: 2, scope, state: 'open', openedAt: now, reopensAt: now + period, opens: opens + 1 - again, at: after(circuit, now), failures: circuit.consecutive, ...(unanswered && { unanswered }), ...(probed && { probed: true, early: now }) }, 'open', reason, via);
	};

	/**
	 * A probe that has not settled within the probe timeout counts as failed (so does one that
	 * started "later" than a clock that stepped back). And a clock that stepped back never stretches
	 * an open period: it starts again from `now`, at most `maxOpenMs` long by the clock as it reads now.
	 */
	const expire = (circuit: Circuit, now: number, via?: WaitUntil): void => {
		const { record, probes: [probe] } = circuit;
		const { openedAt, reopensAt } = record;
		if (record.state === 'open' && !record.isolated) {
			if (now < openedAt) {
				set(circuit, { ...record, openedAt: now, reopensAt: now + Math.min(reopensAt - openedAt, maxOpenMs) });
			} else if (probe !== undefined && (now - probe >= (circuit.probeMs || probeTimeoutMs) || now < probe)) {
				open(circuit, now, 'probe-timeout', 0, true, via, probe);
			}
		}
	};

	/** The open period is over: told once per open record, by the first to see it (a call, a snapshot). */
	const elapsed = (circuit: Circuit, via?: WaitUntil): void => {
		if (circuit.half !== circuit.record) {
			circuit.half = circuit.record;
			notify(circuit, 'half-open', 'open-elapsed', via);
		}
	};

	return {
		circuit: (scope: string): Circuit => ({ record: closed(scope, 0), consecutive: 0, probes: [], window: new BucketWindow(settings.windowMs), busy: 0 }),

		/**
		 * Before an attempt (`via`: its call's `waitUntil`; `limit`: its attempt timeout, the probe timeout
		 * by default): `PASS`, `PROBE`, or the ms to wait (the attempt must fail fast).
		 */
		admit(circuit: Circuit, now: number, via?: WaitUntil, limit = probeTimeoutMs): number {
			if (circuit.record.state === 'closed') {
				return PASS;
			}

			expire(circuit, now, via);
			const { record, probes } = circuit;
			if (record.isolated) {
				return maxOpenMs; // A hint: it stays open until reset by hand.
			}

			if (now < record.reopensAt) {
				return record.reopensAt - now;
			}

			elapsed(circuit, via);
			if (probes.length < halfOpenProbes) {
				circuit.probeMs = Math.max((probes.length && circuit.probeMs) || 0, limit);
				return probes.push(now) && PROBE;
			}

			return probes[0]! + (circuit.probeMs || probeTimeoutMs) - now;
		},

		count: counting(settings, set, open),

		...byHand(set, notify),

		/** What `client.breaker(url)` shows now (an expired probe counted first). */
		snapshot(circuit: Circuit, now: number): BreakerSnapshot {
			expire(circuit, now);
			const { consecutive: consecutiveFailures, record: { scope, state, openedAt, reopensAt, isolated } } = circuit;
			const half = state === 'open' && !isolated && now >= reopensAt;
			if (half) {
				elapsed(circuit);
			}

			return state === 'closed' ? { scope, state, consecutiveFailures }
				: { scope, state: half ? 'half-open' : state, consecutiveFailures, openedAt, ...(!isolated && { reopensAt }) };
		},
	};
};

export type Machine = ReturnType<typeof machine>;
