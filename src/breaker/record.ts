/**
 * The shared and persisted form of one scope's breaker: a plain, versioned object, the same in the
 * store (key: the scope) and on the BroadcastChannel. Half-open is not stored: it is derived from
 * `reopensAt` when asked.
 */
export interface BreakerRecord {
	v: 1;
	scope: string;
	state: 'open' | 'closed';
	/** Epoch ms; 0 when closed. */
	openedAt: number;
	/** Epoch ms when a probe may go through; 0 when closed. */
	reopensAt: number;
	/** Opens since the last full close: the next open lasts `openMs × 2^opens` (capped). */
	opens: number;
	/** When this state began (epoch ms): the later record wins. */
	at: number;
	/** Opened by hand (`client.breaker.isolate`): open until reset. */
	isolated?: true;
}

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** The record, or `undefined` for anything else (an unknown version, a corrupt value). */
export const decodeRecord = (value: unknown): BreakerRecord | undefined => {
	const record = value as Partial<BreakerRecord> | null;
	return typeof record === 'object' && record !== null && record.v === 1 && typeof record.scope === 'string' && record.scope.length <= 2048
		&& (record.state === 'open' || record.state === 'closed') && finite(record.openedAt) && finite(record.reopensAt)
		&& finite(record.at) && Number.isInteger(record.opens) && record.opens! >= 0
		&& (record.isolated === undefined || record.isolated === true)
		? record as BreakerRecord
		: undefined;
};

/**
 * A received record with its times bounded: nothing later than `now`, an open period no longer than
 * `maxOpenMs` from when it opened (an isolation stays open until reset). `period` keeps the times as
 * received, to tell our own record when it comes back.
 */
export const boundRecord = (record: BreakerRecord, now: number, maxOpenMs: number): BreakerRecord & { period: readonly [number, number] } => {
	const at = Math.min(record.at, now);
	if (record.state !== 'open') {
		return { ...record, at, openedAt: 0, reopensAt: 0, opens: 0, period: [0, 0] };
	}

	const openedAt = Math.min(record.openedAt, now);
	if (record.isolated) {
		// Isolated by hand: open until reset, whatever the times say.
		return { ...record, at, openedAt, reopensAt: openedAt, opens: Math.min(record.opens, 32), period: [record.openedAt, record.reopensAt] };
	}

	const span = Math.max(0, Math.min(record.reopensAt - record.openedAt, maxOpenMs));
	return { ...record, at, openedAt, reopensAt: openedAt + span, opens: Math.min(record.opens, 32), period: [record.openedAt, record.reopensAt] };
};

/** The record of a circuit's state, as stored and announced to other tabs. */
export const recordOf = (circuit: { open: boolean; openedAt: number; reopensAt: number; opens: number; changedAt: number; isolated: boolean }, scope: string): BreakerRecord => ({
	v: 1, scope, state: circuit.open ? 'open' : 'closed', openedAt: circuit.openedAt, reopensAt: circuit.reopensAt, opens: circuit.opens, at: circuit.changedAt,
	...(circuit.isolated ? { isolated: true } : {}),
});
